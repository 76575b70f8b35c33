use super::*;
use crate::classify::{Classification, ErrorType};
use crate::event::SessionInfo;
use std::fs;

/// A fresh path under the system's temporary folder (not created).
pub(super) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cyrus-telemetry-spool-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = fs::remove_dir_all(&dir);
    dir
}

pub(super) fn event_at(message: &str, reported_at_ms: i64) -> Event {
    let mut event = Event::new(
        SessionInfo {
            session_id: "s".into(),
            ..SessionInfo::default()
        },
        Classification {
            error_type: ErrorType::Crash,
            detail: "unknown",
            message: message.into(),
            resets_at: None,
        },
    );
    event.team_id = "team".into();
    event.reported_at_ms = reported_at_ms;
    event
}

pub(super) fn restored(event: &Event) -> Event {
    Event {
        spooled: true,
        ..event.clone()
    }
}

#[test]
fn events_survive_a_reopen_in_order() {
    let dir = temp_dir("reopen");
    let first = event_at("first", 1_000);
    let second = event_at("second", 2_000);
    {
        let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
        spool.write(&second).unwrap();
        spool.write(&first).unwrap();
    }
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
    let loaded = spool.load(3_000);
    assert_eq!(loaded.events, vec![restored(&first), restored(&second)]);
    assert_eq!(loaded.dropped, 0);
    spool.remove(&first.event_id);
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap()
        .load(3_000);
    assert_eq!(loaded.events.len(), 1);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_second_owner_is_refused_until_the_first_closes() {
    let dir = temp_dir("lock");
    let first = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.clone())),
        Err(OpenError::Busy)
    ));
    drop(first);
    assert!(Spool::open(SpoolConfig::new(dir.clone())).is_ok());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bounds_and_age_drop_the_oldest() {
    let dir = temp_dir("bounds");
    let config = SpoolConfig {
        max_events: 2,
        max_age: Duration::from_millis(10_000),
        ..SpoolConfig::new(dir.clone())
    };
    let spool = Spool::open(config.clone()).unwrap();
    let events: Vec<Event> = (0..3)
        .map(|n| event_at(&format!("e{n}"), 1_000 * (n + 1)))
        .collect();
    assert_eq!(spool.write(&events[0]).unwrap(), 0);
    assert_eq!(spool.write(&events[1]).unwrap(), 0);
    assert_eq!(spool.write(&events[2]).unwrap(), 1);
    drop(spool);
    let spool = Spool::open(config).unwrap();
    let loaded = spool.load(12_500);
    assert_eq!(
        loaded.events,
        vec![restored(&events[2])],
        "e0 evicted, e1 expired"
    );
    assert_eq!(loaded.dropped, 1);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn corrupt_foreign_and_partial_files_are_skipped() {
    let dir = temp_dir("corrupt");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
    let event_file = |event: &Event| dir.join(names::event(&event.event_id));
    let good = event_at("good", 1_000);
    spool.write(&good).unwrap();
    let bytes = fs::read(event_file(&good)).unwrap();
    let truncated = event_at("truncated", 1_000);
    fs::write(event_file(&truncated), &bytes[..bytes.len() / 2]).unwrap();
    fs::write(dir.join("notes.txt"), "not ours").unwrap();
    let interrupted = dir.join(names::temporary(&event_at("interrupted", 1_000).event_id));
    fs::write(&interrupted, "{").unwrap();
    let renamed = event_at("renamed", 1_000);
    fs::write(event_file(&renamed), &bytes).unwrap();
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap()
        .load(2_000);
    assert_eq!(loaded.events, vec![restored(&good)]);
    let mut unreadable = loaded.unreadable.clone();
    unreadable.sort();
    let mut expected = vec![
        names::event(&truncated.event_id),
        names::event(&renamed.event_id),
    ];
    expected.sort();
    assert_eq!(unreadable, expected, "foreign files are not counted");
    assert!(!interrupted.exists());
    assert!(
        dir.join("notes.txt").exists(),
        "foreign files are left alone"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn files_and_folder_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
    let stored = event_at("mode", 1_000);
    spool.write(&stored).unwrap();
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(names::event(&stored.event_id))), 0o600);
    assert_eq!(mode(&dir.join(names::LOCK)), 0o600);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn what_is_written_is_read_back() {
    let dir = temp_dir("read-back");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
    let mut huge = event_at("huge", 1_000);
    huge.session_id = "s".repeat(1_100_000);
    let written = spool.write(&huge).is_ok();
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap()
        .load(2_000);
    assert!(loaded.unreadable.is_empty(), "{:?}", loaded.unreadable);
    if written {
        assert_eq!(loaded.events, vec![restored(&huge)]);
    } else {
        assert_eq!(loaded.events, vec![]);
        let left = fs::read_dir(&dir).unwrap().count();
        assert_eq!(left, 1, "only the lock is left");
    }
    fs::remove_dir_all(dir).unwrap();
}
