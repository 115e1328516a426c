//! The event log: appended atomically with the change, read in order,
//! handed to each subscriber once, compacted behind the slowest.

use super::*;
use crate::store::{abort, Keyspace, Store, Writes};

fn posted(n: u64) -> Event {
    Event::NoticePosted { notice: n, issuer: 1, author: 1, reminder_of: None }
}

/// A change (a marker row) and its event in one transaction.
fn change(store: &Store, n: u64) {
    store
        .transact(&[Keyspace::Notices], |tx| {
            tx.insert(Keyspace::Notices, &n.to_be_bytes(), b"x")?;
            append(tx, n, &posted(n));
            Ok(())
        })
        .unwrap();
}

#[test]
fn an_event_lands_with_its_change_or_not_at_all() {
    let store = Store::temporary().unwrap();
    change(&store, 1);
    let failed = store.transact(&[Keyspace::Notices], |tx| {
        tx.insert(Keyspace::Notices, &2u64.to_be_bytes(), b"x")?;
        append(tx, 2, &posted(2));
        Err::<(), _>(abort(Error::invalid("refused half way")))
    });
    assert!(failed.is_err());
    store.inject_commit_failures(1);
    assert!(store
        .transact(&[], |tx| {
            append(tx, 3, &posted(3));
            Ok(())
        })
        .is_err());
    let all = read(&store, 0, 100).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0].seq, all[0].at_ms, &all[0].event), (1, 1, &posted(1)));
    assert!(store.notices.get(2u64.to_be_bytes()).unwrap().is_none());
    change(&store, 4);
    assert_eq!(read(&store, 1, 100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [2]);
}

/// Counts each event it sees in its own keyspace rows.
fn counter(store: &Store, name: &str, upto: &mut Vec<u64>) -> usize {
    catch_up(store, name, |batch| {
        let mut w = Writes::default();
        for r in batch {
            upto.push(r.seq);
            w.put(Keyspace::Threads, format!("{name}/{}", r.seq).into_bytes(), Vec::new());
        }
        Ok(w)
    })
    .unwrap()
}

#[test]
fn each_subscriber_sees_each_event_once_from_its_own_position() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for n in 1..=1200 {
            change(&store, n);
        }
        let mut seen = Vec::new();
        assert_eq!(counter(&store, "a", &mut seen), 1200);
        assert_eq!(seen, (1..=1200).collect::<Vec<_>>());
        assert_eq!(counter(&store, "a", &mut seen), 0, "nothing twice");
        store.flush().unwrap();
    }
    // After a restart: "a" goes on from 1200, "b" starts from the beginning.
    let store = Store::open(dir.path()).unwrap();
    change(&store, 1201);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    assert_eq!(counter(&store, "a", &mut a), 1);
    assert_eq!(a, [1201]);
    assert_eq!(counter(&store, "b", &mut b), 1201);
}

#[test]
fn a_failed_subscriber_commit_is_retried_without_doubling() {
    let store = Store::temporary().unwrap();
    for n in 1..=3 {
        change(&store, n);
    }
    store.inject_commit_failures(1);
    let mut seen = Vec::new();
    assert!(catch_up(&store, "a", |batch| {
        seen.extend(batch.iter().map(|r| r.seq));
        Ok(Writes::default())
    })
    .is_err());
    assert_eq!(store.position("a").unwrap(), 0, "the position moves only with the subscriber's writes");
    assert_eq!(counter(&store, "a", &mut seen), 3);
    assert_eq!(store.threads.scan_prefix(b"a/").count(), 3);
}

#[test]
fn compaction_deletes_only_what_every_subscriber_passed_and_keeps_the_newest() {
    let store = Store::temporary().unwrap();
    for n in 1..=10 {
        change(&store, n);
    }
    let mut v = Vec::new();
    counter(&store, "a", &mut v);
    assert_eq!(compact(&store, &["a", "b"]).unwrap(), 0, "b has seen nothing");
    catch_up(&store, "b", |_| Ok(Writes::default())).unwrap();
    assert_eq!(compact(&store, &["a", "b"]).unwrap(), 9);
    assert_eq!(read(&store, 0, 100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [10]);
    // Numbering goes on after compaction, also across a reopen of the log state.
    change(&store, 11);
    assert_eq!(read(&store, 10, 100).unwrap()[0].seq, 11);
}

#[test]
fn a_features_own_named_keyspace_commits_with_its_event() {
    let dir = tempfile::tempdir().unwrap();
    let mine = Keyspace::Named("topics.posts");
    {
        let store = Store::open(dir.path()).unwrap();
        let mut w = Writes::default();
        w.put(mine, "#青春心连心#".as_bytes(), b"1");
        emit(&mut w, 7, &posted(1));
        store.commit(&w).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.tree(mine).unwrap().get("#青春心连心#".as_bytes()).unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(read(&store, 0, 10).unwrap().len(), 1);
    assert!(store.tree(Keyspace::Orgs).unwrap().get("#青春心连心#".as_bytes()).unwrap().is_none());
}

/// Two runners of one subscriber racing (the background loop and a caller)
/// hand each event to it once.
#[test]
fn racing_catch_ups_of_one_subscriber_handle_each_event_once() {
    let store = Store::temporary().unwrap();
    for n in 1..=3000 {
        change(&store, n);
    }
    let run = |s: Store| {
        std::thread::spawn(move || {
            catch_up(&s, "a", |batch| {
                let mut w = Writes::default();
                for r in batch {
                    let k = format!("seen/{:06}", r.seq).into_bytes();
                    let n = s.threads.get(&k).unwrap().map(|v| v[0]).unwrap_or(0);
                    w.put(Keyspace::Threads, k, vec![n + 1]);
                }
                Ok(w)
            })
            .unwrap()
        })
    };
    let (a, b) = (run(store.clone()), run(store.clone()));
    assert_eq!(a.join().unwrap() + b.join().unwrap(), 3000);
    let seen: Vec<u8> = store.threads.scan_prefix(b"seen/").values().map(|v| v.unwrap()[0]).collect();
    assert_eq!(seen.len(), 3000);
    assert!(seen.iter().all(|c| *c == 1), "an event was handled twice");
}

/// A commit that writes only fan-out rows (the delivery worker's).
fn delivered(store: &Store, n: u64) {
    let mut w = Writes::default();
    w.put(Keyspace::Fanout, [b"row".as_slice(), &n.to_be_bytes()].concat(), b"sent");
    emit(&mut w, n, &Event::Delivered { notice: 1, to: vec![(n, 7)] });
    store.commit(&w).unwrap();
}

/// The fan-out worker's events live in the fan-out tree (one sled batch,
/// `store/log.rs`); readers, compaction and a reopened store see one log.
#[test]
fn the_logs_part_in_the_fanout_tree_reads_as_one_log_with_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        change(&store, 1);
        delivered(&store, 2);
        delivered(&store, 3);
        change(&store, 4);
        delivered(&store, 5);
        let all = read(&store, 0, 100).unwrap();
        assert_eq!(all.iter().map(|r| (r.seq, r.at_ms)).collect::<Vec<_>>(), [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]);
        assert_eq!(all[1].event, Event::Delivered { notice: 1, to: vec![(2, 7)] });
        assert_eq!(read(&store, 1, 2).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(read(&store, 3, 1).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [4]);
        // The row and its event land together or not at all.
        store.inject_commit_failures(1);
        let mut w = Writes::default();
        w.put(Keyspace::Fanout, b"row-lost", b"sent");
        emit(&mut w, 6, &posted(6));
        assert!(store.commit(&w).is_err());
        assert!(store.fanout.get(b"row-lost").unwrap().is_none());
        assert_eq!(store.last_event(), 5);
        store.flush().unwrap();
    }
    // The newest event was in the fan-out tree: numbering goes on after it.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.last_event(), 5);
    change(&store, 6);
    assert_eq!(read(&store, 5, 10).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [6]);
    catch_up(&store, "a", |_| Ok(Writes::default())).unwrap();
    assert_eq!(compact(&store, &["a"]).unwrap(), 5, "both parts are compacted");
    assert_eq!(read(&store, 0, 100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [6]);
    assert!(store.fanout.get(b"row\0\0\0\0\0\0\0\x02").unwrap().is_some(), "rows stay");
    delivered(&store, 7);
    catch_up(&store, "a", |_| Ok(Writes::default())).unwrap();
    assert_eq!(compact(&store, &["a"]).unwrap(), 1);
    assert_eq!(read(&store, 0, 100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [7], "the newest is kept");
}

#[test]
fn a_corrupt_event_in_the_fanout_tree_names_its_key() {
    let store = Store::temporary().unwrap();
    delivered(&store, 1);
    let key = [[0xFF; 8].as_slice(), b"e", &1u64.to_be_bytes()].concat();
    assert!(store.fanout.get(&key).unwrap().is_some(), "the worker's event is in the fan-out tree");
    store.fanout.insert(&key, &[1, 2][..]).unwrap();
    let e = read(&store, 0, 10).unwrap_err().to_string();
    assert!(e.contains("fanout/ffffffffffffffff65"), "{e}");
}
