//! Crash test of the event log: a child process makes changes (each with its
//! event, in one transaction) while two subscribers follow the log, and is
//! killed with SIGKILL at random moments, again and again. After the last
//! restart each subscriber has seen each event exactly once: one mark per
//! change, and a counter that equals the number of changes. Every other
//! change writes only fan-out rows, as the delivery worker does: its event
//! goes to the log's part in the fan-out tree, in one sled batch.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::Rng;
use treecast::events::{self, Event};
use treecast::store::{Keyspace, Store, Writes};

const CHILD_ENV: &str = "TREECAST_EVENT_CRASH_CHILD";
const SUBSCRIBERS: [&str; 2] = ["tally", "marks"];

/// Marker rows of the fan-out-only changes.
const FAN_MARK: &[u8] = b"crash/";

/// One change: a marker row and its event, atomically (in a transaction,
/// or for odd `n` in the fan-out keyspace alone).
fn change(store: &Store, n: u64) {
    let e = Event::NoticePosted { notice: n, issuer: 1, author: 1, reminder_of: None };
    if n % 2 == 1 {
        let mut w = Writes::default();
        w.put(Keyspace::Fanout, [FAN_MARK, &n.to_be_bytes()].concat(), b"changed");
        events::emit(&mut w, n, &e);
        return store.commit(&w).unwrap();
    }
    store
        .transact(&[Keyspace::Notices], |tx| {
            tx.insert(Keyspace::Notices, &n.to_be_bytes(), b"changed")?;
            events::append(tx, n, &e);
            Ok(())
        })
        .unwrap();
}

/// Each subscriber marks every notice it sees and bumps its own counter,
/// in the same transaction that moves its position.
fn follow(store: &Store, name: &str) {
    events::catch_up(store, name, |batch| {
        let mut w = Writes::default();
        let count_key = format!("{name}/count").into_bytes();
        let mut count = store
            .tree(Keyspace::Threads)
            .unwrap()
            .get(&count_key)
            .unwrap()
            .map(|v| u64::from_be_bytes(v[..8].try_into().unwrap()))
            .unwrap_or(0);
        for r in batch {
            if let Event::NoticePosted { notice, .. } = r.event {
                // A repeat would find its mark already there.
                let mark = format!("{name}/seen/{notice:012}").into_bytes();
                let again = store.tree(Keyspace::Threads).unwrap().get(&mark).unwrap().map(|v| v[0]).unwrap_or(0);
                w.put(Keyspace::Threads, mark, vec![again + 1]);
                count += 1;
            }
        }
        w.put(Keyspace::Threads, count_key, count.to_be_bytes());
        Ok(w)
    })
    .unwrap();
}

/// The child: changes and subscribers interleaved until killed.
#[test]
fn child_appends_and_follows_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let store = Store::open(std::path::Path::new(&dir)).unwrap();
    let last = |k: &[u8]| u64::from_be_bytes(k[k.len() - 8..].try_into().unwrap());
    let in_notices = store.tree(Keyspace::Notices).unwrap().last().unwrap().map(|(k, _)| last(&k)).unwrap_or(0);
    let fanout = store.tree(Keyspace::Fanout).unwrap();
    let in_fanout = fanout.scan_prefix(FAN_MARK).keys().next_back().map(|k| last(&k.unwrap())).unwrap_or(0);
    let mut n = in_notices.max(in_fanout);
    loop {
        for _ in 0..50 {
            n += 1;
            change(&store, n);
        }
        for s in SUBSCRIBERS {
            follow(&store, s);
        }
    }
}

fn spawn_child(dir: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_appends_and_follows_until_killed", "--nocapture", "--include-ignored"])
        .env(CHILD_ENV, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child")
}

#[test]
fn sigkill_between_append_and_subscriber_loses_nothing_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rng();
    for _ in 0..12 {
        let mut child = spawn_child(dir.path());
        std::thread::sleep(Duration::from_millis(rng.random_range(150..900)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    for s in SUBSCRIBERS {
        follow(&store, s);
    }
    let in_notices = store.tree(Keyspace::Notices).unwrap().len() as u64;
    let in_fanout = store.tree(Keyspace::Fanout).unwrap().scan_prefix(FAN_MARK).count() as u64;
    assert!(in_notices > 250 && in_fanout > 250, "the child made only {in_notices} + {in_fanout} changes");
    let changes = in_notices + in_fanout;
    assert_eq!(store.last_event(), changes, "one event per change, none without its change");
    for s in SUBSCRIBERS {
        let count = u64::from_be_bytes(
            store.tree(Keyspace::Threads).unwrap().get(format!("{s}/count")).unwrap().unwrap()[..8].try_into().unwrap(),
        );
        assert_eq!(count, changes, "{s} counted every change once");
        let marks: Vec<u8> = store
            .tree(Keyspace::Threads)
            .unwrap()
            .scan_prefix(format!("{s}/seen/"))
            .values()
            .map(|v| v.unwrap()[0])
            .collect();
        assert_eq!(marks.len() as u64, changes, "{s} saw every change");
        assert!(marks.iter().all(|m| *m == 1), "{s} saw a change twice");
        assert_eq!(store.position(s).unwrap(), changes);
    }
}
