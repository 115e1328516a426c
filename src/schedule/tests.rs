//! The scheduler: due by the set clock, once, moved on failure, replaced by key.

use super::*;
use crate::error::Error;
use crate::store::Keyspace;

fn job(key: &str) -> Job {
    Job::new("test.kind", key, key.as_bytes().to_vec())
}

#[test]
fn jobs_run_when_due_once_with_their_writes() {
    let store = Store::temporary().unwrap();
    schedule(&store, 2_000, &job("b")).unwrap();
    schedule(&store, 1_000, &job("a")).unwrap();
    assert_eq!(next_due(&store).unwrap(), Some(1_000));
    let ran = std::cell::RefCell::new(Vec::new());
    let run = |j: &Job| {
        ran.borrow_mut().push(j.key.clone());
        let mut w = Writes::default();
        w.put(Keyspace::Threads, j.key.as_bytes(), b"done");
        Ok(w)
    };
    assert_eq!(run_due(&store, 999, run).unwrap(), 0);
    assert_eq!(run_due(&store, 2_000, run).unwrap(), 2);
    assert_eq!(*ran.borrow(), ["a", "b"], "earliest first");
    assert_eq!(run_due(&store, 10_000, run).unwrap(), 0, "once only");
    assert!(store.threads.get("a").unwrap().is_some());
    assert_eq!(due_at(&store, "a").unwrap(), None);
}

#[test]
fn scheduling_a_key_again_moves_the_job() {
    let store = Store::temporary().unwrap();
    schedule(&store, 5_000, &job("k")).unwrap();
    schedule(&store, 1_000, &job("k")).unwrap();
    assert_eq!(due_at(&store, "k").unwrap(), Some(1_000));
    let mut n = 0;
    assert_eq!(
        run_due(&store, 9_000, |_| {
            n += 1;
            Ok(Writes::default())
        })
        .unwrap(),
        1
    );
    assert_eq!(n, 1);
}

#[test]
fn a_failing_job_is_kept_and_tried_a_minute_later() {
    let store = Store::temporary().unwrap();
    schedule(&store, 1_000, &job("f")).unwrap();
    assert_eq!(run_due(&store, 1_000, |_| Err(Error::invalid("not yet"))).unwrap(), 0);
    assert_eq!(due_at(&store, "f").unwrap(), Some(61_000));
    let mut tries = 0;
    run_due(&store, 61_000, |j| {
        tries = j.tries;
        Ok(Writes::default())
    })
    .unwrap();
    assert_eq!(tries, 1);
}

#[test]
fn a_job_may_schedule_its_own_key_again() {
    let store = Store::temporary().unwrap();
    schedule(&store, 1_000, &job("daily")).unwrap();
    let s = store.clone();
    run_due(&store, 1_000, move |j| {
        let mut w = Writes::default();
        put(&s, &mut w, 86_401_000, j)?;
        Ok(w)
    })
    .unwrap();
    assert_eq!(due_at(&store, "daily").unwrap(), Some(86_401_000));
    assert_eq!(store.schedule.len(), 2, "one row and its key index");
}

/// A job due while the server was down runs once after the restart.
#[test]
fn a_job_due_while_down_runs_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        schedule(&store, 1_000, &job("while-down")).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let mut ran = 0;
    run_due(&store, 50_000, |_| {
        ran += 1;
        Ok(Writes::default())
    })
    .unwrap();
    run_due(&store, 60_000, |_| {
        ran += 1;
        Ok(Writes::default())
    })
    .unwrap();
    assert_eq!(ran, 1);
}

/// Two runners racing for the same due jobs (the background loop and a
/// caller) commit each job's effects once.
#[test]
fn racing_runners_commit_each_job_once() {
    let store = Store::temporary().unwrap();
    for i in 0..200 {
        schedule(&store, 1_000 + i, &job(&format!("j{i}"))).unwrap();
    }
    let run = |s: Store| {
        std::thread::spawn(move || {
            run_due(&s, 10_000, |j| {
                let mut w = Writes::default();
                let k = format!("ran/{}", j.key).into_bytes();
                let n = s.threads.get(&k).unwrap().map(|v| v[0]).unwrap_or(0);
                w.put(Keyspace::Threads, k, vec![n + 1]);
                Ok(w)
            })
            .unwrap()
        })
    };
    let (a, b) = (run(store.clone()), run(store.clone()));
    assert_eq!(a.join().unwrap() + b.join().unwrap(), 200);
    let counts: Vec<u8> = store.threads.scan_prefix(b"ran/").values().map(|v| v.unwrap()[0]).collect();
    assert_eq!(counts.len(), 200);
    assert!(counts.iter().all(|c| *c == 1), "a job's effects landed twice");
}
