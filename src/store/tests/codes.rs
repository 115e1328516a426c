//! `store/codes.rs`: one-time codes.

use super::{assert_corrupt, store};
use crate::codes::Grant;
use crate::store::Keyspace;

#[test]
fn a_code_round_trips_once() {
    let s = store();
    let code = s.issue_code(Grant::Bind { org: 3, by: 4 }, 100).unwrap();
    assert_eq!(code.len(), 8);
    assert!(s.redeem_code_if(&code, 50, |_| Err(crate::Error::denied("not yours"))).is_err());
    assert_eq!(s.redeem_code(&format!(" {} ", code.to_lowercase()), 50).unwrap(), Grant::Bind { org: 3, by: 4 });
    assert!(s.redeem_code(&code, 50).is_err(), "once only");
}

#[test]
fn a_damaged_code_names_its_key() {
    let s = store();
    s.codes.insert(b"ABCDEFGH", &[0xff, 0xff][..]).unwrap();
    assert_corrupt(s.redeem_code("abcdefgh", 1), Keyspace::Codes, b"ABCDEFGH");
}
