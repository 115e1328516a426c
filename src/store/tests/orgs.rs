//! `store/orgs.rs`: orgs by path, id and code, the child index, the id sequence and the import journal.

use super::super::keys::tagged;
use super::super::orgs::{id_key, path_bytes, path_key, BY_CODE, CHILD, IMPORT, SEQ};
use super::{assert_corrupt, store};
use crate::store::{Keyspace, Ops, Store};
use crate::tree::Org;

const KS: Keyspace = Keyspace::Orgs;

fn org(path: &[u32], code: &str) -> Org {
    let id = *path.last().unwrap();
    let parent = (path.len() > 1).then(|| path[path.len() - 2]);
    Org { id, code: code.into(), name: format!("{code} org"), level: path.len() as u8 - 1, parent, path: path.to_vec() }
}

/// A root 1 with a child 2 (indexed) and leaf 3, a child 9, and a second root 4.
fn small() -> (Store, Vec<Org>) {
    let s = store();
    let orgs = vec![org(&[1], "A"), org(&[1, 2], "B"), org(&[1, 2, 3], "C"), org(&[1, 9], "D"), org(&[4], "E")];
    let mut ops = Ops::default();
    for o in &orgs {
        ops.put_org(o, o.path.len() < 3);
    }
    ops.set_next_org_id(10);
    s.apply(ops).unwrap();
    (s, orgs)
}

#[test]
fn orgs_round_trip_by_id_code_and_path() {
    let (s, orgs) = small();
    assert_eq!(s.org(3).unwrap().as_ref(), Some(&orgs[2]));
    assert_eq!(s.org_by_code(" B ").unwrap().as_ref(), Some(&orgs[1]));
    assert_eq!(s.org(77).unwrap(), None);
    assert_eq!(s.root_orgs().unwrap(), vec![orgs[0].clone(), orgs[4].clone()]);
    assert_eq!(s.child_ids(1).unwrap(), vec![2, 9]);
    assert_eq!(s.child_ids(2).unwrap(), Vec::<u32>::new(), "leaves are not indexed");
    assert_eq!(s.next_org_id().unwrap(), 10);
    let mut renamed = orgs[1].clone();
    renamed.name = "renamed".into();
    let mut ops = Ops::default();
    ops.update_org(&renamed);
    ops.del_org(&orgs[3], true);
    s.apply(ops).unwrap();
    assert_eq!(s.org(2).unwrap().unwrap().name, "renamed");
    assert_eq!((s.org(9).unwrap(), s.org_by_code("D").unwrap()), (None, None));
    assert_eq!(s.child_ids(1).unwrap(), vec![2]);
}

#[test]
fn a_subtree_is_one_path_ordered_range() {
    let (s, orgs) = small();
    let ids = |path: &[u32]| s.orgs_under(path).map(|o| o.unwrap().id).collect::<Vec<_>>();
    assert_eq!(ids(&[1]), vec![1, 2, 3, 9]);
    assert_eq!(ids(&[1, 2]), vec![2, 3]);
    assert_eq!(ids(&[]), vec![1, 2, 3, 9, 4]);
    let all: Vec<Org> = s.orgs_under(&[]).collect::<Result<_, _>>().unwrap();
    assert!(all.windows(2).all(|w| w[0].path < w[1].path), "path order");
    assert_eq!(all.len(), orgs.len());
}

#[test]
fn the_import_journal_round_trips() {
    let (s, orgs) = small();
    assert_eq!(s.import_marker().unwrap(), None);
    s.begin_import(3).unwrap();
    let mut ops = Ops::default();
    ops.save_for_import(&orgs[0]);
    ops.del_org(&org(&[4], "E"), false);
    ops.del_org_id(4);
    s.apply(ops).unwrap();
    assert_eq!(s.import_marker().unwrap(), Some(3));
    assert_eq!(s.import_saved().collect::<Result<Vec<_>, _>>().unwrap(), vec![orgs[0].clone()]);
    s.orgs.insert(id_key(5), path_bytes(&[5])).unwrap();
    let created: Vec<_> = s.orgs_from_id(3).collect::<Result<_, _>>().unwrap();
    assert_eq!(created, vec![(3, Some(orgs[2].clone())), (5, None), (9, Some(orgs[3].clone()))]);
    s.end_import().unwrap();
    assert_eq!((s.import_marker().unwrap(), s.import_saved().count()), (None, 0));
}

#[test]
fn damaged_org_records_name_their_key() {
    let (s, _) = small();
    let key = path_key(&[1, 2]);
    s.orgs.insert(&key, &[0xff, 0xff, 0xff][..]).unwrap();
    assert_corrupt(s.org(2), KS, &key);
    assert_corrupt(s.org_by_code("B"), KS, &key);
    assert_corrupt(s.orgs_under(&[1]).collect::<Result<Vec<_>, _>>(), KS, &key);
}

#[test]
fn damaged_org_indexes_name_their_key() {
    let (s, _) = small();
    let key = id_key(3);
    s.orgs.insert(&key, &[0, 0, 1][..]).unwrap();
    assert_corrupt(s.org(3), KS, &key);
    s.orgs.insert(&key, path_bytes(&[1, 2])).unwrap();
    assert_corrupt(s.org(3), KS, &key);
    let key = tagged(BY_CODE, b"B");
    s.orgs.insert(&key, &[][..]).unwrap();
    assert_corrupt(s.org_by_code("B"), KS, &key);
    let key = [&tagged(CHILD, &1u32.to_be_bytes())[..], &[0, 7]].concat();
    s.orgs.insert(&key, &[][..]).unwrap();
    assert_corrupt(s.child_ids(1), KS, &key);
    s.orgs.insert(SEQ, &[1u8][..]).unwrap();
    assert_corrupt(s.next_org_id(), KS, SEQ);
    s.orgs.insert(IMPORT, &[1u8, 2, 3, 4, 5][..]).unwrap();
    assert_corrupt(s.import_marker(), KS, IMPORT);
    let key = [b'i', 0, 0, 16];
    s.orgs.insert(key, path_bytes(&[16])).unwrap();
    assert_corrupt(s.orgs_from_id(1).collect::<Result<Vec<_>, _>>(), KS, &key);
}
