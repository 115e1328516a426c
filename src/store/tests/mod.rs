//! Store conformance: each module round-trips, and damaged data is an error naming keyspace and key.

mod channels;
mod codes;
mod fanout;
mod msgref;
mod notices;
mod orgs;
mod outbox;
mod people;
mod threads;

use super::keys::{add_counts, counts_value, hex, key_u32, key_u64, unpack_counts, val_u64};
use super::*;

fn store() -> Store {
    Store::temporary().unwrap()
}

/// Checks that `r` failed as damaged data and that its text names `ks` and `key`.
#[track_caller]
fn assert_corrupt<T: std::fmt::Debug>(r: Result<T>, ks: Keyspace, key: &[u8]) {
    let e = r.expect_err("damaged data must be an error");
    assert!(matches!(e, Error::Corrupt(_)), "{e}");
    let want = format!("{}/{}:", ks.name(), hex(key));
    assert!(e.to_string().contains(&want), "{e:?} should name {want}");
}

#[test]
fn newer_schema_refuses_to_open_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        s.db.open_tree("meta").unwrap().insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes()).unwrap();
        s.flush().unwrap();
    }
    let err = Store::open(dir.path()).err().expect("must refuse").to_string();
    assert!(err.contains("newer than this treecast understands"), "{err}");
}

#[cfg(unix)]
#[test]
fn data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Store::open(&data).unwrap();
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn counts_merge_adds_deltas() {
    let once = add_counts(b"", None, &counts_value(1, 1)).unwrap();
    let twice = add_counts(b"", Some(&once), &counts_value(2, -1)).unwrap();
    assert_eq!(unpack_counts(&twice), Some((3, 0)));
}

#[test]
fn counts_merge_treats_a_short_value_as_zero() {
    assert_eq!(unpack_counts(&add_counts(b"", Some(&[1, 2, 3]), &counts_value(2, 5)).unwrap()), Some((2, 5)));
    assert_eq!(unpack_counts(&add_counts(b"", None, &[9]).unwrap()), Some((0, 0)));
    // Through sled, as the counters' merge operator.
    let s = store();
    s.counts.insert(b"k", &[7u8][..]).unwrap();
    s.counts.merge(b"k", counts_value(1, 1)).unwrap();
    assert_eq!(unpack_counts(&s.counts.get(b"k").unwrap().unwrap()), Some((1, 1)));
}

#[test]
fn fixed_width_readers_refuse_other_lengths() {
    let ks = Keyspace::Fanout;
    assert_eq!(key_u64(ks, &[9, 0, 0, 0, 0, 0, 0, 0, 5], 1).unwrap(), 5);
    assert_corrupt(key_u64(ks, &[9, 0, 0, 5], 1), ks, &[9, 0, 0, 5]);
    assert_corrupt(key_u64(ks, &[9; 10], 1), ks, &[9; 10]);
    assert_corrupt(key_u32(ks, &[], 1), ks, &[]);
    assert_corrupt(val_u64(ks, b"k", &[1, 2]), ks, b"k");
}

#[test]
fn a_damaged_sequence_is_an_error_and_left_alone() {
    let s = store();
    assert_eq!((s.next_number("notice").unwrap(), s.next_number("notice").unwrap()), (1, 2));
    let meta = s.db.open_tree("meta").unwrap();
    meta.insert(b"seq:notice", &[1u8, 2, 3][..]).unwrap();
    let err = s.next_number("notice").unwrap_err().to_string();
    assert!(err.contains(&format!("meta/{}:", hex(b"seq:notice"))), "{err}");
    assert_eq!(meta.get(b"seq:notice").unwrap().unwrap(), &[1u8, 2, 3][..]);
}

/// Delivery tags are in stored ids and quoted Message-IDs: the same bytes
/// as when they were first written (the keyed hash's first 8 bytes in hex).
#[test]
fn a_delivery_tag_is_the_keyed_hashs_first_eight_bytes_in_hex() {
    let store = Store::temporary().unwrap();
    let mut data = [0u8; 16];
    data[..8].copy_from_slice(&7u64.to_be_bytes());
    data[8..].copy_from_slice(&275_600u64.to_be_bytes());
    let h = blake3::keyed_hash(&store.id_key, &data);
    let expected: String = h.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(store.delivery_tag(7, 275_600), expected);
    assert_eq!(expected.len(), 16);
    assert_ne!(store.delivery_tag(7, 275_601), expected);
}
