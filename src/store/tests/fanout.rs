//! `store/fanout.rs`: cursors, delivery rows, retry and failure marks, counters and acknowledgements.

use treecast_wire::Platform;

use super::super::fanout::{by_channel, by_org, head, ACK, ACK_COUNT, COUNTS, CURSOR, DELIVERY, FAILED, RETRY};
use super::{assert_corrupt, store};
use crate::notice::ack::{AckHow, AckRow};
use crate::notice::fanout::{Counts, Cursor, DeliveryRow, DeliveryState};
use crate::store::{Keyspace, Store, Writes};

const KS: Keyspace = Keyspace::Fanout;

fn row(org: u32) -> DeliveryRow {
    DeliveryRow { state: DeliveryState::Sent { at: 5, message_ids: vec!["m1".into()] }, tries: 1, org }
}

fn ack_row() -> AckRow {
    AckRow { person: Some(3), by: "李明".into(), via: Platform::Telegram, at: 9, how: AckHow::Reaction }
}

fn ack(s: &Store, notice: u64, org: u32, path: &[u32]) -> crate::error::Result<bool> {
    s.transact(&[KS], |tx| tx.add_ack(notice, org, path, &ack_row()))
}

#[test]
fn fanout_state_round_trips_per_notice() {
    let s = store();
    assert_eq!(s.cursor(7).unwrap(), Cursor::default());
    let pos = {
        let mut ops = crate::store::Ops::default();
        let ch = crate::tree::channels::Channel {
            id: 4,
            org: 2,
            level: 1,
            address: treecast_wire::Address::group(Platform::Console, "g"),
            alive: true,
            note: String::new(),
            account: String::new(),
        };
        ops.put_channel(&[1, 2], &ch);
        s.apply(ops).unwrap();
        s.channel_walk(&[1], None).next().unwrap().unwrap().pos
    };
    let cursor = Cursor { root: 1, key: pos, walked: true };
    let mut w = Writes::default();
    w.put_cursor(7, &cursor);
    for ch in [30, 4, 500] {
        w.put_delivery(7, ch, &row(2));
    }
    w.put_delivery(8, 4, &row(2));
    w.set_retry(7, 500, true);
    w.set_retry(7, 30, true);
    w.mark_failed(7, 4);
    w.put_fan_counts(7, 2, Counts { delivered: 3, failed: -1 });
    // Marks, counters and a cursor are not delivery rows.
    w.set_retry(10, 4, true);
    w.mark_failed(10, 5);
    w.put_fan_counts(10, 2, Counts { delivered: 1, failed: 0 });
    w.put_cursor(10, &cursor);
    assert!(!s.any_delivery(7).unwrap());
    s.commit(&w).unwrap();
    assert!(s.any_delivery(7).unwrap() && s.any_delivery(8).unwrap());
    assert!(!s.any_delivery(9).unwrap() && !s.any_delivery(10).unwrap() && !s.any_delivery(6).unwrap());
    assert_eq!(s.cursor(7).unwrap(), cursor);
    assert_eq!(s.delivery(7, 4).unwrap(), Some(row(2)));
    assert!(s.has_delivery(7, 500).unwrap() && !s.has_delivery(7, 5).unwrap());
    let all: Vec<(u64, DeliveryRow)> = s.deliveries(7).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.iter().map(|(c, _)| *c).collect::<Vec<_>>(), vec![4, 30, 500], "channel id order, one notice");
    assert_eq!(s.retries(7).unwrap(), vec![30, 500]);
    assert_eq!(s.failed_channels(7).unwrap(), vec![4]);
    assert_eq!(s.counts(7, 2).unwrap(), Counts { delivered: 3, failed: -1 });
    assert_eq!(s.counts(7, 3).unwrap(), Counts::default());
    let mut w = Writes::default();
    w.set_retry(7, 30, false);
    s.commit(&w).unwrap();
    assert_eq!(s.retries(7).unwrap(), vec![500]);
}

#[test]
fn an_org_acknowledges_once_and_is_counted_up_its_path() {
    let s = store();
    assert!(ack(&s, 7, 30, &[1, 2, 30]).unwrap());
    assert!(!ack(&s, 7, 30, &[1, 2, 30]).unwrap(), "the first acknowledgement counts");
    assert!(ack(&s, 7, 31, &[1, 2, 31]).unwrap());
    assert_eq!(s.ack(7, 30).unwrap(), Some(ack_row()));
    assert_eq!(s.ack(8, 30).unwrap(), None);
    assert_eq!([1, 2, 30, 31, 3].map(|o| s.ack_count(7, o).unwrap()), [2, 2, 1, 1, 0]);
}

#[test]
fn damaged_fanout_values_name_their_key() {
    let s = store();
    let garbage = &[0xff, 0xff, 0xff][..];
    let k = head(7, CURSOR);
    s.fanout.insert(k, garbage).unwrap();
    assert_corrupt(s.cursor(7), KS, &k);
    let k = by_channel(7, DELIVERY, 4);
    s.fanout.insert(k, garbage).unwrap();
    assert_corrupt(s.delivery(7, 4), KS, &k);
    assert_corrupt(s.deliveries(7).collect::<Result<Vec<_>, _>>(), KS, &k);
    let k = by_org(7, COUNTS, 2);
    s.fanout.insert(k, garbage).unwrap();
    assert_corrupt(s.counts(7, 2), KS, &k);
    let k = by_org(7, ACK, 2);
    s.fanout.insert(k, garbage).unwrap();
    assert_corrupt(s.ack(7, 2), KS, &k);
    let k = by_org(7, ACK_COUNT, 1);
    s.fanout.insert(k, garbage).unwrap();
    assert_corrupt(s.ack_count(7, 1), KS, &k);
    assert_corrupt(ack(&s, 7, 3, &[1, 3]), KS, &k);
    assert_eq!(s.ack(7, 3).unwrap(), None, "a failed acknowledgement writes nothing");
}

#[test]
fn short_fanout_keys_name_themselves() {
    let s = store();
    for tag in [RETRY, FAILED, DELIVERY] {
        let k = [&head(7, tag)[..], &[0, 4]].concat();
        s.fanout.insert(&k, &[][..]).unwrap();
        let r = match tag {
            RETRY => s.retries(7),
            FAILED => s.failed_channels(7),
            _ => s.deliveries(7).map(|r| r.map(|(c, _)| c)).collect(),
        };
        assert_corrupt(r, KS, &k);
    }
}

/// Acks stored before `how` was kept still read, as "not recorded"; new
/// ones keep how they were given and list in org order.
#[test]
fn acks_stored_before_how_was_kept_read_as_unknown() {
    #[derive(serde::Serialize)]
    struct Old {
        person: Option<u64>,
        by: String,
        via: Platform,
        at: u64,
    }
    let s = store();
    let old = Old { person: Some(3), by: "李明".into(), via: Platform::Matrix, at: 7 };
    s.fanout.insert(by_org(5, ACK, 2), crate::store::codec::encode(&old)).unwrap();
    let got = s.ack(5, 2).unwrap().unwrap();
    assert_eq!((got.by.as_str(), got.at, got.how), ("李明", 7, AckHow::Unknown));
    assert!(ack(&s, 5, 9, &[1, 9]).unwrap());
    let all: Vec<(u32, AckHow)> = s.acks(5).map(|r| r.map(|(o, a)| (o, a.how))).collect::<Result<_, _>>().unwrap();
    assert_eq!(all, [(2, AckHow::Unknown), (9, AckHow::Reaction)]);
}
