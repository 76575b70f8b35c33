use super::thread::CAPACITY;
use super::*;
use crate::classify::{Classification, ErrorType};
use crate::event::SessionInfo;
use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

/// A fresh path under the system's temporary folder (not created).
pub(super) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cyrus-telemetry-spool-{name}-{}-{}",
        std::process::id(),
        rand::random::<u64>()
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

/// Writes through the spool's thread and waits for the outcome.
pub(super) fn write_now(spool: &Spool, event: &Event) -> io::Result<u64> {
    let (sender, receiver) = mpsc::channel();
    spool.write(event, move |result| {
        let _ = sender.send(result);
    });
    receiver
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| Err(io::Error::other("the spool thread never answered")))
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
        let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
        write_now(&spool, &second).unwrap(); // ok: test code
        write_now(&spool, &first).unwrap(); // ok: test code
    }
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    let loaded = spool.load(3_000);
    assert_eq!(loaded.events, vec![restored(&first), restored(&second)]);
    assert_eq!(loaded.dropped, 0);
    spool.remove(&first.event_id);
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(3_000);
    assert_eq!(loaded.events.len(), 1);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn a_second_owner_is_refused_until_the_first_closes() {
    let dir = temp_dir("lock");
    let first = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.clone())),
        Err(OpenError::Busy)
    ));
    drop(first);
    assert!(Spool::open(SpoolConfig::new(dir.clone())).is_ok());
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn bounds_and_age_drop_the_oldest() {
    let dir = temp_dir("bounds");
    let config = SpoolConfig {
        max_events: 2,
        max_age: Duration::from_millis(10_000),
        ..SpoolConfig::new(dir.clone())
    };
    let spool = Spool::open(config.clone()).unwrap(); // ok: test code
    let events: Vec<Event> = (0..3)
        .map(|n| event_at(&format!("e{n}"), 1_000 * (n + 1)))
        .collect();
    assert_eq!(write_now(&spool, &events[0]).unwrap(), 0); // ok: test code
    assert_eq!(write_now(&spool, &events[1]).unwrap(), 0); // ok: test code
    assert_eq!(write_now(&spool, &events[2]).unwrap(), 1); // ok: test code
    drop(spool);
    let spool = Spool::open(config).unwrap(); // ok: test code
    let loaded = spool.load(12_500);
    assert_eq!(
        loaded.events,
        vec![restored(&events[2])],
        "e0 evicted, e1 expired"
    );
    assert_eq!(loaded.dropped, 1);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn corrupt_foreign_and_partial_files_are_skipped() {
    let dir = temp_dir("corrupt");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    let event_file = |event: &Event| dir.join(names::event(&event.event_id));
    let good = event_at("good", 1_000);
    write_now(&spool, &good).unwrap(); // ok: test code
    let bytes = fs::read(event_file(&good)).unwrap(); // ok: test code
    let truncated = event_at("truncated", 1_000);
    fs::write(event_file(&truncated), &bytes[..bytes.len() / 2]).unwrap(); // ok: test code
    fs::write(dir.join("notes.txt"), "not ours").unwrap(); // ok: test code
    let interrupted = dir.join(names::temporary(&event_at("interrupted", 1_000).event_id));
    fs::write(&interrupted, "{").unwrap(); // ok: test code
    let renamed = event_at("renamed", 1_000);
    fs::write(event_file(&renamed), &bytes).unwrap(); // ok: test code
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
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
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[cfg(unix)]
#[test]
fn files_and_folder_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    let stored = event_at("mode", 1_000);
    write_now(&spool, &stored).unwrap(); // ok: test code
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777; // ok: test code
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(names::event(&stored.event_id))), 0o600);
    assert_eq!(mode(&dir.join(names::LOCK)), 0o600);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn what_is_written_is_read_back() {
    let dir = temp_dir("read-back");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
                                                                     // Past every cap: only an event built around Event::new can be this large.
    let mut huge = event_at("huge", 1_000);
    huge.session_id = "s".repeat(1_100_000);
    let written = write_now(&spool, &huge).is_ok();
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(2_000);
    assert!(loaded.unreadable.is_empty(), "{:?}", loaded.unreadable);
    if written {
        assert_eq!(loaded.events, vec![restored(&huge)]);
    } else {
        assert_eq!(loaded.events, vec![]);
        let left = fs::read_dir(&dir).unwrap().count(); // ok: test code
        assert_eq!(left, 1, "only the lock is left");
    }
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn writes_run_on_the_spool_thread_and_never_wait_for_it() {
    let dir = temp_dir("thread");
    let config = SpoolConfig {
        max_events: 1_000_000,
        max_bytes: 1 << 30,
        ..SpoolConfig::new(dir.clone())
    };
    let spool = Arc::new(Spool::open(config.clone()).unwrap()); // ok: test code
                                                                // The first write's callback stalls the spool thread, as a disk that hangs would.
    let first = event_at("stalls", 1_000);
    let (release, stalled) = mpsc::channel::<()>();
    let (names, name) = mpsc::channel();
    spool.write(&first, move |result| {
        let _ = names.send((thread::current().name().map(str::to_owned), result.is_ok()));
        let _ = stalled.recv();
    });
    assert_eq!(
        name.recv_timeout(Duration::from_secs(10)).unwrap(), // ok: test code
        (Some("cyrus-telemetry-spool".to_owned()), true)
    );
    let (answers, answered) = mpsc::channel();
    let handing_over = spool.clone();
    let caller = thread::spawn(move || {
        for n in 0..=CAPACITY {
            let answers = answers.clone();
            handing_over.write(&event_at(&format!("queued {n}"), 2_000), move |result| {
                let _ = answers.send((n, result.map_err(|error| error.kind())));
            });
        }
    });
    // Every call returned although the thread is stalled; the one over capacity was refused
    // at once, on the caller's thread.
    let refused = answered.recv_timeout(Duration::from_secs(10)).unwrap(); // ok: test code
    assert_eq!(refused, (CAPACITY, Err(io::ErrorKind::WouldBlock)));
    caller.join().unwrap(); // ok: test code
    release.send(()).unwrap(); // ok: test code
    let written = answered
        .iter()
        .take(CAPACITY)
        .filter(|(_, result)| result.is_ok())
        .count();
    assert_eq!(written, CAPACITY);
    // Handed over after those writes, so done after them; dropping waits for it, then releases
    // the lock.
    spool.remove(&first.event_id);
    drop(Arc::into_inner(spool).unwrap()); // ok: test code
    let loaded = Spool::open(config).unwrap().load(3_000); // ok: test code
    assert_eq!(loaded.events.len(), CAPACITY);
    assert!(!loaded
        .events
        .iter()
        .any(|event| event.event_id == first.event_id));
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn dropped_on_its_own_thread_it_still_ends_and_releases_the_lock() {
    let dir = temp_dir("self-drop");
    let held = Arc::new(Mutex::new(Some(
        Spool::open(SpoolConfig::new(dir.clone())).unwrap(), // ok: test code
    )));
    let (dropped, on_thread) = mpsc::channel();
    let last = held.clone();
    let guard = held.lock().unwrap(); // ok: test code
    guard
        .as_ref()
        .unwrap() // ok: test code
        .write(&event_at("last", 1_000), move |_| {
            let spool = last.lock().unwrap().take(); // ok: test code
            drop(spool);
            let _ = dropped.send(());
        });
    drop(guard);
    on_thread.recv_timeout(Duration::from_secs(10)).unwrap(); // ok: test code
    assert!(held.lock().unwrap().is_none()); // ok: test code
    let reopened = (0..500).find_map(|_| {
        thread::sleep(Duration::from_millis(10));
        Spool::open(SpoolConfig::new(dir.clone())).ok()
    });
    assert!(reopened.is_some(), "the lock was never released");
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn the_largest_possible_event_round_trips() {
    use crate::classify::MESSAGE_MAX_CHARS;
    use crate::context::MAX_TEAM_LEN;
    use crate::event::MAX_ID_CHARS;
    let dir = temp_dir("largest");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
                                                                     // Every capped text at its cap, in the character with the longest JSON form.
    let widest = |chars: usize| "\u{1f}".repeat(chars);
    let mut largest = event_at(&widest(MESSAGE_MAX_CHARS), 1_000);
    largest.team_id = widest(MAX_TEAM_LEN);
    largest.session_id = widest(MAX_ID_CHARS);
    largest.issue_id = Some(widest(MAX_ID_CHARS));
    largest.issue_identifier = Some(widest(MAX_ID_CHARS));
    largest.duration_seconds = Some(i64::MIN);
    largest.resets_at = Some("2026-03-13T17:36:00.123Z".into());
    largest.error_type = "rate_limit".into();
    largest.error_detail =
        "a_long_snake_case_detail_code_of_sixty_four_characters_in_all_xx".into();
    largest.reported_at_ms = i64::MIN;
    write_now(&spool, &largest).unwrap(); // ok: test code
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(i64::MIN);
    assert!(loaded.unreadable.is_empty(), "{:?}", loaded.unreadable);
    assert_eq!(loaded.dropped, 0);
    assert_eq!(loaded.events, vec![restored(&largest)]);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn a_drop_never_hangs_on_a_stalled_disk_and_the_lock_follows_the_thread() {
    let dir = temp_dir("stalled-drop");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    let (release, stalled) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel();
    spool.write(&event_at("stalls", 1_000), move |_| {
        let _ = started.send(());
        let _ = stalled.recv();
    });
    running.recv_timeout(Duration::from_secs(10)).unwrap(); // ok: test code
    let (dropped, returned) = mpsc::channel();
    thread::spawn(move || {
        drop(spool);
        let _ = dropped.send(());
    });
    returned
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the spool hung on its stalled thread"); // ok: test code
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.clone())),
        Err(OpenError::Busy)
    ));
    release.send(()).unwrap(); // ok: test code
    let reopened = (0..500).find_map(|_| {
        thread::sleep(Duration::from_millis(10));
        Spool::open(SpoolConfig::new(dir.clone())).ok()
    });
    assert!(reopened.is_some(), "the lock was never released");
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}
