//! Group commit for delivery outcomes. sled keeps applied batches in memory
//! and writes them to disk every `flush_every_ms` (500 ms): a kill -9 lost
//! the last half second of outcomes, and a platform that cannot de-duplicate
//! (Telegram) got those messages again after the restart (5 groups at
//! 30/s). A flusher thread makes every commit durable as soon as it can:
//! while one flush runs, later commits gather and the next flush takes them
//! all, so a burst of commits costs a few fsyncs, and the outbox loop never
//! waits on the disk.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::store::Store;

#[derive(Default)]
struct State {
    /// Commits asked for, and commits made durable (a generation count).
    asked: u64,
    done: u64,
    stop: bool,
}

pub(super) struct Flusher {
    shared: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub fn start(store: Store) -> Flusher {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("treecast-flush".into())
            .spawn(move || {
                let (lock, cv) = &*s;
                loop {
                    let target = {
                        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                        while st.asked == st.done && !st.stop {
                            st = cv.wait(st).unwrap_or_else(|e| e.into_inner());
                        }
                        if st.asked == st.done {
                            return;
                        }
                        st.asked
                    };
                    if let Err(e) = store.flush() {
                        tracing::error!(error = %e, "could not write delivery outcomes to disk");
                    }
                    let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                    st.done = target;
                    cv.notify_all();
                }
            })
            .expect("spawn the flush thread");
        Flusher { shared, thread: Some(thread) }
    }

    /// Asks for what was committed so far to be made durable.
    pub fn soon(&self) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).asked += 1;
        cv.notify_all();
    }

    /// Flushes what was asked for, then ends the thread.
    pub fn stop(&mut self) {
        {
            let (lock, cv) = &*self.shared;
            lock.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
            cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_asked_for_is_on_disk_once_the_flusher_catches_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut f = Flusher::start(store.clone());
        for _ in 0..100 {
            f.soon();
        }
        {
            let (lock, cv) = &*f.shared;
            let mut st = lock.lock().unwrap();
            while st.done < 100 {
                st = cv.wait(st).unwrap();
            }
            assert_eq!(st.asked, 100);
        }
        f.stop();
        assert!(f.thread.is_none(), "stop joins the thread");
    }
}
