//! What each delivery id already posted, so a retry in the same process
//! neither posts twice nor re-posts the parts of a split message that made it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use treecast_wire::Delivered;

/// Deliveries remembered before the oldest are forgotten.
const CAPACITY: usize = 200_000;

#[derive(Default)]
pub(crate) struct SentLog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Delivery id -> (all parts posted?, message ids so far).
    by_id: HashMap<String, (bool, Vec<String>)>,
    order: VecDeque<String>,
}

impl SentLog {
    /// The finished delivery, if `id` was delivered already.
    pub fn done(&self, id: &str) -> Option<Delivered> {
        let st = self.inner.lock().unwrap();
        st.by_id.get(id).filter(|(done, _)| *done).map(|(_, ids)| Delivered { message_ids: ids.clone() })
    }

    /// Parts of `id` already posted by an earlier, interrupted attempt.
    pub fn progress(&self, id: &str) -> Vec<String> {
        let st = self.inner.lock().unwrap();
        st.by_id.get(id).map(|(_, ids)| ids.clone()).unwrap_or_default()
    }

    pub fn record_progress(&self, id: &str, ids: &[String]) {
        self.put(id, false, ids);
    }

    pub fn finish(&self, id: &str, done: &Delivered) {
        self.put(id, true, &done.message_ids);
    }

    fn put(&self, id: &str, done: bool, ids: &[String]) {
        let mut st = self.inner.lock().unwrap();
        if st.by_id.insert(id.to_owned(), (done, ids.to_vec())).is_none() {
            st.order.push_back(id.to_owned());
        }
        while st.order.len() > CAPACITY {
            if let Some(old) = st.order.pop_front() {
                st.by_id.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_progress_then_completion() {
        let log = SentLog::default();
        assert!(log.done("d").is_none());
        log.record_progress("d", &["-1:1".into()]);
        assert!(log.done("d").is_none());
        assert_eq!(log.progress("d"), vec!["-1:1".to_owned()]);
        log.finish("d", &Delivered { message_ids: vec!["-1:1".into(), "-1:2".into()] });
        assert_eq!(log.done("d").unwrap().message_ids.len(), 2);
    }
}
