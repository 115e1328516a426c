//! `store/outbox.rs`: the queue of private messages and command replies.

use treecast_wire::{Address, Outbound, Platform};

use super::{assert_corrupt, store};
use crate::outbox::queue::Queued;
use crate::store::{Keyspace, Writes};

fn queued(text: &str) -> Queued {
    Queued::new(Outbound::reply(format!("r-{text}"), Address::direct(Platform::Console, "u"), text))
}

#[test]
fn the_queue_round_trips_in_order() {
    let s = store();
    let seqs = s.enqueue(vec![queued("a"), queued("b")]).unwrap();
    let mut w = Writes::default();
    w.enqueue(s.next_id().unwrap(), &queued("c"));
    s.commit(&w).unwrap();
    let texts = |s: &crate::store::Store| -> Vec<String> {
        s.queued().unwrap().into_iter().map(|(_, q)| q.msg.body.to_string()).collect()
    };
    assert_eq!(texts(&s), ["a", "b", "c"]);
    let mut again = queued("b");
    again.tries = 2;
    s.update_queued(seqs[1], &again).unwrap();
    s.dequeue(seqs[0]).unwrap();
    let left = s.queued().unwrap();
    assert_eq!((left.len(), left[0].0, left[0].1.tries), (2, seqs[1], 2));
}

#[test]
fn damaged_queue_entries_name_their_key() {
    let s = store();
    s.outbox.insert(9u64.to_be_bytes(), &[0xff; 2][..]).unwrap();
    assert_corrupt(s.queued(), Keyspace::Outbox, &9u64.to_be_bytes());
    let s = store();
    s.outbox.insert([0, 9], crate::store::encode(&queued("a"))).unwrap();
    assert_corrupt(s.queued(), Keyspace::Outbox, &[0, 9]);
}
