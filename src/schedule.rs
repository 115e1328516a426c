//! The one scheduler: durable jobs (due time, kind, payload) that run once,
//! survive restarts, and read time from the app's clock. A job's effects
//! commit in the same transaction that removes it, so it never runs twice.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::keys::{read_u64_at, sched};
use crate::store::{decode, encode, Keyspace, Store, Writes};

/// One scheduled job. `key` names it uniquely (`notice.remind:12`):
/// scheduling a key again moves the job instead of adding a second one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Which feature runs it (a kind its feature declares).
    pub kind: String,
    pub key: String,
    pub payload: Vec<u8>,
    /// Failed runs so far (a failing job is retried later, not lost).
    pub tries: u32,
}

impl Job {
    pub fn new(kind: &str, key: impl Into<String>, payload: Vec<u8>) -> Job {
        Job { kind: kind.to_owned(), key: key.into(), payload, tries: 0 }
    }
}

/// Adds `job`, due at `at_ms`, to `w`; an earlier job with the same key is replaced.
pub fn put(store: &Store, w: &mut Writes, at_ms: u64, job: &Job) -> Result<()> {
    cancel(store, w, &job.key)?;
    let id = store.next_id()?;
    let due = sched::due(at_ms, id);
    w.put(Keyspace::Schedule, due, encode(job));
    w.put(Keyspace::Schedule, sched::by_key(&job.key), due);
    Ok(())
}

/// Schedules one job now (its own small transaction).
pub fn schedule(store: &Store, at_ms: u64, job: &Job) -> Result<()> {
    let mut w = Writes::default();
    put(store, &mut w, at_ms, job)?;
    store.commit(&w)
}

/// Removes the job named `key`, if there is one.
pub fn cancel(store: &Store, w: &mut Writes, key: &str) -> Result<()> {
    let k = sched::by_key(key);
    if let Some(due) = store.schedule.get(&k)? {
        w.remove(Keyspace::Schedule, &due);
        w.remove(Keyspace::Schedule, k);
    }
    Ok(())
}

/// When the job named `key` is due (unix ms), if it is scheduled.
pub fn due_at(store: &Store, key: &str) -> Result<Option<u64>> {
    match store.schedule.get(sched::by_key(key))? {
        Some(due) => Ok(Some(read_u64_at(&due, 1, format_args!("schedule/{key}"))?)),
        None => Ok(None),
    }
}

/// The earliest due time of any job.
pub fn next_due(store: &Store) -> Result<Option<u64>> {
    match store.schedule.scan_prefix([sched::DUE]).keys().next() {
        Some(k) => Ok(Some(read_u64_at(&k?, 1, "schedule")?)),
        None => Ok(None),
    }
}

/// Every job due at `now_ms`, earliest first: (row key, job).
fn due(store: &Store, now_ms: u64) -> Result<Vec<(Vec<u8>, Job)>> {
    let mut out = Vec::new();
    for kv in store.schedule.range(sched::due(0, 0).to_vec()..sched::due(now_ms, u64::MAX).to_vec()) {
        let (k, v) = kv?;
        out.push((k.to_vec(), decode(&v)?));
    }
    Ok(out)
}

/// How long a failed job waits before its next try.
const RETRY_MS: u64 = 60_000;

/// Runs every job due at `now_ms` through `run`; each job's writes commit
/// with its removal. A job whose run fails is moved a minute on and tried
/// again. Returns how many jobs ran.
pub fn run_due(store: &Store, now_ms: u64, mut run: impl FnMut(&Job) -> Result<Writes>) -> Result<usize> {
    let mut n = 0;
    for (row, job) in due(store, now_ms)? {
        match run(&job) {
            Ok(mut w) => {
                let stored = encode(&job);
                w.remove(Keyspace::Schedule, row.clone());
                // A run may have scheduled its own key again; keep that index.
                remove_index_unless_rescheduled(&mut w, &job.key);
                // Only while the job is still there: two runners racing for
                // it commit its effects once.
                if store.commit_if(&w, Keyspace::Schedule, &row, Some(&stored))? {
                    n += 1;
                }
            }
            Err(e) => {
                tracing::error!(kind = %job.kind, key = %job.key, error = %e, "a scheduled job failed; it will be tried again");
                let mut again = job.clone();
                again.tries += 1;
                let mut w = Writes::default();
                w.remove(Keyspace::Schedule, row);
                put_after_removal(store, &mut w, now_ms + RETRY_MS, &again)?;
                store.commit(&w)?;
            }
        }
    }
    Ok(n)
}

fn remove_index_unless_rescheduled(w: &mut Writes, key: &str) {
    if !w.has_put(Keyspace::Schedule, &sched::by_key(key)) {
        w.remove(Keyspace::Schedule, sched::by_key(key));
    }
}

fn put_after_removal(store: &Store, w: &mut Writes, at_ms: u64, job: &Job) -> Result<()> {
    let due = sched::due(at_ms, store.next_id()?);
    w.put(Keyspace::Schedule, due, encode(job));
    w.put(Keyspace::Schedule, sched::by_key(&job.key), due);
    Ok(())
}

#[cfg(test)]
mod tests;
