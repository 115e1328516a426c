//! `store/notices.rs`: notice records and the active set.

use super::{assert_corrupt, store};
use crate::notice::{Notice, NoticeKind, Target};
use crate::store::{Keyspace, Writes};

pub(super) fn notice(id: u64) -> Notice {
    Notice {
        id,
        kind: NoticeKind::Notice,
        issuer: 1,
        author: 2,
        title: "团课通知".into(),
        body: "body".into(),
        attachments: vec![],
        target: Target { roots: vec![1], include_roots: false, levels: Some(vec![3]), exclude: vec![9] },
        ack_required: true,
        ack_deadline: Some(1_700_000_000),
        created: 1_600_000_000,
        auto_reminded: false,
        buttons: vec![],
    }
}

#[test]
fn notices_and_the_active_set_round_trip() {
    let s = store();
    assert_eq!((s.last_notice_id().unwrap(), s.notice(1).unwrap()), (0, None));
    let mut w = Writes::default();
    for id in [1, 2, 300] {
        w.put_notice(&notice(id));
        w.activate_notice(id);
    }
    s.commit(&w).unwrap();
    assert_eq!(s.notice(2).unwrap(), Some(notice(2)));
    assert_eq!(s.last_notice_id().unwrap(), 300);
    assert_eq!(s.active_notices().unwrap(), vec![1, 2, 300]);
    let mut w = Writes::default();
    w.deactivate_notice(2);
    s.commit(&w).unwrap();
    s.finish_notice(300).unwrap();
    assert_eq!(s.active_notices().unwrap(), vec![1]);
}

#[test]
fn damaged_notices_name_their_key() {
    let s = store();
    s.notices.insert(5u64.to_be_bytes(), &[0xff; 3][..]).unwrap();
    assert_corrupt(s.notice(5), Keyspace::Notices, &5u64.to_be_bytes());
    s.notices.insert([0, 1, 2], &[][..]).unwrap();
    assert_corrupt(s.last_notice_id(), Keyspace::Notices, &[0, 1, 2]);
    s.active.insert([0, 0, 7], &[][..]).unwrap();
    assert_corrupt(s.active_notices(), Keyspace::Active, &[0, 0, 7]);
}
