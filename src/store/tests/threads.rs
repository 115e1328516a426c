//! `store/threads.rs`: private reply threads.

use treecast_wire::{Address, Platform};

use super::{assert_corrupt, store};
use crate::notice::reply::{Replier, Thread};
use crate::store::{Keyspace, Writes};

#[test]
fn threads_round_trip() {
    let s = store();
    let replier = Replier { platform: Platform::Telegram, user: "5001".into(), name: "李明".into() };
    let origin = Address::group(Platform::Telegram, "-1001");
    let t = Thread { id: 4, notice: 1, org: 2, author: 3, replier, origin, origin_message: "77".into() };
    let mut w = Writes::default();
    w.put_thread(&t);
    s.commit(&w).unwrap();
    assert_eq!(s.thread(4).unwrap(), Some(t));
    assert_eq!(s.thread(5).unwrap(), None);
}

#[test]
fn damaged_threads_name_their_key() {
    let s = store();
    s.threads.insert(4u64.to_be_bytes(), &[0xff][..]).unwrap();
    assert_corrupt(s.thread(4), Keyspace::Threads, &4u64.to_be_bytes());
}
