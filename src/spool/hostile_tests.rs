//! The spool folder as hostile ground (README, "Durable spool"), with real files, links, FIFOs, sockets, a
//! foreign owner and a full disk. Tests that need root (chown, mount) print why they skip.

use super::tests::{event_at, restored, temp_dir, write_now};
use super::*;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

/// An event id that is not any event's: a name in the spool's own grammar.
const PLANTED_ID: &str = "00000000-0000-4000-8000-000000000000";

fn private_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    fs::create_dir(&dir).unwrap(); // ok: test code
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap(); // ok: test code
    dir
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777 // ok: test code
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn unusable(result: Result<Spool, OpenError>) -> String {
    match result {
        Err(OpenError::Unusable(reason)) => reason,
        other => panic!("expected the folder to be refused, got {other:?}"),
    }
}

#[test]
fn planted_links_are_never_written_through() {
    let dir = private_dir("links");
    let outside = temp_dir("links-target");
    fs::write(&outside, "precious").unwrap(); // ok: test code
    symlink(&outside, dir.join(".probe.tmp")).unwrap(); // ok: test code
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    assert_eq!(fs::read_to_string(&outside).unwrap(), "precious"); // ok: test code

    let event = event_at("through a link", 1_000);
    symlink(
        &outside,
        dir.join(format!("{}.event.json.tmp", event.event_id)),
    )
    .unwrap(); // ok: test code
    write_now(&spool, &event).unwrap(); // ok: test code
    assert_eq!(fs::read_to_string(&outside).unwrap(), "precious"); // ok: test code
    let written = dir.join(format!("{}.event.json", event.event_id));
    assert!(fs::symlink_metadata(&written).unwrap().is_file()); // ok: test code
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(2_000);
    assert_eq!(loaded.events, vec![restored(&event)]);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
    fs::remove_file(outside).unwrap(); // ok: test code
}

#[test]
fn a_lock_link_is_refused_and_creates_nothing_outside() {
    let dir = private_dir("lock-link");
    let outside = temp_dir("lock-link-target");
    symlink(&outside, dir.join(".lock")).unwrap(); // ok: test code
    let reason = unusable(Spool::open(SpoolConfig::new(dir.clone())));
    assert!(reason.contains("lock"), "{reason}");
    assert!(!outside.exists(), "the lock was created through the link");
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn an_event_named_link_is_not_read() {
    let dir = private_dir("event-link");
    let elsewhere = private_dir("event-link-elsewhere");
    let event = event_at("elsewhere", 1_000);
    let spool = Spool::open(SpoolConfig::new(elsewhere.clone())).unwrap(); // ok: test code
    write_now(&spool, &event).unwrap(); // ok: test code
    drop(spool);
    let name = format!("{}.event.json", event.event_id);
    symlink(elsewhere.join(&name), dir.join(&name)).unwrap(); // ok: test code
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(2_000);
    assert_eq!(loaded.events, vec![]);
    assert_eq!(loaded.unreadable, vec![name.clone()]);
    assert!(
        elsewhere.join(&name).exists(),
        "the link's target is left alone"
    );
    fs::remove_dir_all(dir).unwrap(); // ok: test code
    fs::remove_dir_all(elsewhere).unwrap(); // ok: test code
}

#[test]
fn a_fifo_or_socket_named_like_an_event_never_blocks() {
    let dir = private_dir("fifo");
    let fifo = format!("{PLANTED_ID}.event.json");
    let status = Command::new("mkfifo")
        .arg(dir.join(&fifo))
        .status()
        .unwrap(); // ok: test code
    assert!(status.success());
    let socket = "11111111-1111-4111-8111-111111111111.event.json".to_owned();
    let _listener = std::os::unix::net::UnixListener::bind(dir.join(&socket)).unwrap(); // ok: test code
    let (sender, receiver) = mpsc::channel();
    let loading = dir.clone();
    std::thread::spawn(move || {
        let spool = Spool::open(SpoolConfig::new(loading)).unwrap(); // ok: test code
        let _ = sender.send(spool.load(2_000));
    });
    let loaded = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the load blocked on a FIFO"); // ok: test code
    let mut unreadable = loaded.unreadable;
    unreadable.sort();
    assert_eq!(unreadable, vec![fifo, socket]);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn foreign_files_are_left_alone_and_not_counted() {
    let dir = private_dir("foreign");
    let foreign = [
        "notes.tmp",
        "backup_tmp",
        "x.event.json",
        "x.event.json.tmp",
        ".hidden.tmp",
        ".probe",
    ];
    for name in foreign {
        fs::write(dir.join(name), "someone else's").unwrap(); // ok: test code
    }
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(2_000);
    assert_eq!(loaded.unreadable, Vec::<String>::new());
    for name in foreign {
        assert!(dir.join(name).exists(), "{name} was deleted");
    }
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn a_folder_others_may_write_is_refused_and_no_mode_is_changed() {
    for shared in [0o777, 0o770, 0o1733, 0o702] {
        let dir = private_dir("shared");
        fs::set_permissions(&dir, fs::Permissions::from_mode(shared)).unwrap(); // ok: test code
        let reason = unusable(Spool::open(SpoolConfig::new(dir.clone())));
        assert!(reason.contains("may write"), "{reason}");
        assert_eq!(mode(&dir), shared, "mode changed");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "wrote into it"); // ok: test code
        fs::remove_dir_all(dir).unwrap(); // ok: test code
    }
    // Readable by others is the owner's choice (the files in it are 0600): used, not narrowed.
    let dir = private_dir("readable");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap(); // ok: test code
    assert!(Spool::open(SpoolConfig::new(dir.clone())).is_ok());
    assert_eq!(mode(&dir), 0o755);
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

#[test]
fn an_existing_path_that_is_not_a_folder_is_refused_untouched() {
    let file = temp_dir("not-a-folder");
    fs::write(&file, "").unwrap(); // ok: test code
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap(); // ok: test code
    unusable(Spool::open(SpoolConfig::new(file.clone())));
    assert_eq!(mode(&file), 0o644);
    fs::remove_file(file).unwrap(); // ok: test code
}

#[test]
fn only_what_does_not_exist_is_created_owner_only() {
    let parent = temp_dir("created");
    let dir = parent.join("a").join("spool");
    Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    assert_eq!(mode(&parent) & 0o077, 0);
    assert_eq!(mode(&dir), 0o700);
    fs::remove_dir_all(parent).unwrap(); // ok: test code
}

#[test]
fn a_folder_owned_by_another_user_is_refused() {
    if !is_root() {
        println!("skipped: giving a folder to another user needs root");
        return;
    }
    let dir = private_dir("owner");
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap(); // ok: test code
    let reason = unusable(Spool::open(SpoolConfig::new(dir.clone())));
    assert!(reason.contains("another user"), "{reason}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "wrote into it"); // ok: test code
    fs::remove_dir_all(dir).unwrap(); // ok: test code
}

/// A 64 KiB tmpfs, unmounted (and removed) on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(name: &str) -> Option<Self> {
        if !is_root() {
            println!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = private_dir(name);
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            println!("skipped: cannot mount a tmpfs on {}", dir.display());
            let _ = fs::remove_dir(&dir);
            return None;
        }
        Some(Self(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_full_disk_leaves_nothing_behind_and_what_was_written_reads_back() {
    let Some(disk) = SmallDisk::mount("full") else {
        return;
    };
    let dir = disk.0.join("spool");
    let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap(); // ok: test code
    let mut written = Vec::new();
    let mut failed = 0;
    for n in 0..60 {
        let event = event_at(&"x".repeat(6_000), 1_000 + n);
        match write_now(&spool, &event) {
            Ok(_) => written.push(restored(&event)),
            Err(_) => failed += 1,
        }
    }
    assert!(failed > 0 && !written.is_empty(), "{failed} failed");
    let mut left: Vec<String> = fs::read_dir(&dir)
        .unwrap() // ok: test code
        .map(|entry| entry.unwrap().file_name().into_string().unwrap()) // ok: test code
        .filter(|name| !name.ends_with(".event.json"))
        .collect();
    left.sort();
    assert_eq!(left, vec![".lock".to_owned()], "a failed write left files");
    drop(spool);
    let loaded = Spool::open(SpoolConfig::new(dir.clone()))
        .unwrap() // ok: test code
        .load(2_000);
    assert_eq!(loaded.events, written);
    assert!(loaded.unreadable.is_empty(), "{:?}", loaded.unreadable);
}
