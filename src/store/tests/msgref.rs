//! `store/msgref.rs`: what each platform message the bot sent was.

use treecast_wire::Platform;

use super::super::msgref::key;
use super::{assert_corrupt, store};
use crate::msgref::MsgRef;
use crate::store::Keyspace;

#[test]
fn message_refs_round_trip_per_platform() {
    let s = store();
    let d = MsgRef::Delivery { notice: 1, channel: 2 };
    let t = MsgRef::Thread { thread: 3, to_author: true };
    s.record_msgref(Platform::Telegram, &["10".into(), "11".into()], &d).unwrap();
    s.record_msgrefs([(Platform::Matrix, vec!["$e".to_string()], t.clone())]).unwrap();
    assert_eq!(s.msgref(Platform::Telegram, "11").unwrap(), Some(d.clone()));
    assert_eq!(s.msgref(Platform::Matrix, "10").unwrap(), None, "ids are per platform");
    let on: Vec<(String, MsgRef)> = s.msgrefs_on(Platform::Telegram).collect::<Result<_, _>>().unwrap();
    assert_eq!(on, vec![("10".into(), d.clone()), ("11".into(), d)]);
    assert_eq!(s.msgrefs_on(Platform::Matrix).map(|r| r.unwrap()).collect::<Vec<_>>(), vec![("$e".into(), t)]);
}

#[test]
fn damaged_message_refs_name_their_key() {
    let s = store();
    let k = key(Platform::Email, "<a@b>");
    s.msgref.insert(&k, &[0xff, 0xff][..]).unwrap();
    assert_corrupt(s.msgref(Platform::Email, "<a@b>"), Keyspace::Msgref, &k);
    assert_corrupt(s.msgrefs_on(Platform::Email).collect::<Result<Vec<_>, _>>(), Keyspace::Msgref, &k);
    let k = [b't', 0xff, 0xfe];
    s.msgref.insert(k, crate::store::encode(&MsgRef::Confirm { code: "X".into() })).unwrap();
    assert_corrupt(s.msgrefs_on(Platform::Telegram).collect::<Result<Vec<_>, _>>(), Keyspace::Msgref, &k);
}
