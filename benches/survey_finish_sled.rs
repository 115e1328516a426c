//! The yardstick for finishing survey responses: the same rows written
//! straight to sled three ways, so the cost of the transaction that stores a
//! response with its event can be told apart from the engine's own. Count
//! instructions (the machine's load moves seconds):
//!
//! ```sh
//! cargo bench --bench survey_finish_sled --no-run
//! N=20480 valgrind --tool=callgrind target/release/deps/survey_finish_sled-* MODE
//! ```
//!
//! MODE: `none` (setup only), `plain` (the response inserted and the
//! conversation removed, plain writes, as before the event log), `tx` (both
//! and an event in one transaction), `txr` (the response and event in the
//! transaction, the removes after it: what `Surveys::commit_pending` does).

use std::time::Instant;

use sled::transaction::{ConflictableTransactionError, Transactional};

/// One group commit of the gateway.
const BATCH: u64 = 512;

fn key(tag: u8, person: u64) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend(7u64.to_be_bytes());
    k.extend(person.to_be_bytes());
    k
}

type Tx = Result<(), ConflictableTransactionError<()>>;

fn main() {
    let n: u64 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mode = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "txr".into());
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    let (surveys, events) = (db.open_tree("surveys").unwrap(), db.open_tree("events").unwrap());
    // Every person has a conversation open, as before the last question.
    for p in 0..n {
        surveys.insert(key(b'c', p), vec![1u8; 120]).unwrap();
    }
    db.flush().unwrap();
    let (response, event) = (vec![2u8; 90], vec![3u8; 64]);
    let t = Instant::now();
    for (seq, c) in (0..n / BATCH).enumerate() {
        let people = c * BATCH..(c + 1) * BATCH;
        let seq = (seq as u64 + 1).to_be_bytes();
        match mode.as_str() {
            "none" => {}
            "plain" => {
                for p in people {
                    surveys.insert(key(b'r', p), response.clone()).unwrap();
                    surveys.remove(key(b'c', p)).unwrap();
                }
            }
            "tx" => (&surveys, &events)
                .transaction(|(s, l)| -> Tx {
                    for p in people.clone() {
                        s.insert(key(b'r', p), response.clone())?;
                        s.remove(key(b'c', p))?;
                    }
                    l.insert(&seq, event.clone())?;
                    Ok(())
                })
                .unwrap(),
            "txr" => {
                (&surveys, &events)
                    .transaction(|(s, l)| -> Tx {
                        for p in people.clone() {
                            s.insert(key(b'r', p), response.clone())?;
                        }
                        l.insert(&seq, event.clone())?;
                        Ok(())
                    })
                    .unwrap();
                for p in people {
                    surveys.remove(key(b'c', p)).unwrap();
                }
            }
            other => panic!("unknown mode {other:?}: none, plain, tx or txr"),
        }
        db.flush().unwrap();
    }
    let d = t.elapsed();
    println!("{mode}: {n} responses finished in {:.2} s = {:.0}/s", d.as_secs_f64(), n as f64 / d.as_secs_f64());
}
