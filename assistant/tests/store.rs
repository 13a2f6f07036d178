//! The store survives a writer killed with SIGKILL in the middle of writes:
//! the file passes SQLite's integrity check and every write the writer saw
//! return is there, intact.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use awal::store::Store;
use serde_json::json;

const CHILD: &str = "AWAL_STORE_WRITER";

/// The writer: the test binary run again with `CHILD` set to the database
/// path. It writes drafts until killed and reports each one once its writes
/// returned.
fn write_until_killed(path: &str) -> ! {
    let store = Store::open(std::path::Path::new(path)).unwrap();
    for i in 0.. {
        let draft = store.new_draft("ma-form-cooperative", "fr").unwrap();
        store.set_answer(draft, "name", &json!(format!("cooperative {i}"))).unwrap();
        store.set_answer(draft, "members", &json!(i)).unwrap();
        store.set_status(draft, "confirmed").unwrap();
        store.count("skill.paperwork").unwrap();
        println!("confirmed {draft} {i}");
    }
    unreachable!("writes until killed")
}

#[test]
fn killed_writer_loses_nothing_confirmed() {
    if let Ok(path) = std::env::var(CHILD) {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("awal.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "killed_writer_loses_nothing_confirmed", "--nocapture", "--test-threads", "1"])
        .env(CHILD, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut confirmed = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("confirmed ") {
            let (draft, i) = rest.split_once(' ').unwrap();
            confirmed.push((draft.parse::<i64>().unwrap(), i.parse::<i64>().unwrap()));
        }
        if confirmed.len() == 150 {
            child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint
            break;
        }
    }
    child.wait().unwrap();
    assert_eq!(confirmed.len(), 150, "the writer stopped early");

    let store = Store::open(&path).expect("reopens after the kill");
    store.check_integrity().unwrap();
    for (draft, i) in confirmed {
        let saved = store.draft(draft).unwrap();
        assert_eq!(saved.status, "confirmed");
        assert_eq!(saved.answers, json!({"name": format!("cooperative {i}"), "members": i}));
    }
    assert!(store.usage().unwrap()[0].2 >= 150);
}

/// Two first runs at once on a new data directory (two `simulate`s started
/// together, a kiosk and a `doctor`) both open the store: schema creation
/// waits for the other instead of failing with "table learners already
/// exists". Eight fresh stores, four openers each, started on a barrier.
#[test]
fn concurrent_first_opens_all_succeed() {
    for round in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("awal.sqlite");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::open(&path).map(|store| store.new_draft("ma-form-cooperative", "fr").unwrap())
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert!(opened.is_ok(), "round {round}: {}", opened.unwrap_err());
        }
        assert_eq!(Store::open(&path).unwrap().open_drafts().unwrap().len(), 4);
    }
}
