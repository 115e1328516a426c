//! `store/people.rs`: people, identities and roles.

use treecast_wire::Platform;

use super::super::keys::tagged;
use super::super::people::{identity_key, person_key, role_keys, ROLE_BY_ORG, ROLE_BY_PERSON};
use super::{assert_corrupt, store};
use crate::store::Keyspace;
use crate::tree::people::{Identity, Person, Role};

const KS: Keyspace = Keyspace::People;

fn person(id: u64) -> Person {
    let identities = vec![Identity { platform: Platform::Email, user: "zhang@example.test".into() }];
    Person { id, name: format!("person {id}"), identities, preferred: Some(Platform::Email) }
}

#[test]
fn people_identities_and_roles_round_trip() {
    let s = store();
    s.put_person(&person(7)).unwrap();
    assert_eq!(s.person(7).unwrap(), Some(person(7)));
    assert_eq!(s.person(8).unwrap(), None);
    s.put_identity(Platform::Email, " Zhang@Example.test", 7).unwrap();
    assert_eq!(s.identity_owner(Platform::Email, "zhang@example.TEST").unwrap(), Some(7), "mail is caseless");
    assert_eq!(s.identity_owner(Platform::Telegram, "zhang@example.test").unwrap(), None);
    s.put_role(7, 300, Role::Official).unwrap();
    s.put_role(7, 20, Role::Member).unwrap();
    s.put_role(9, 300, Role::Member).unwrap();
    assert_eq!(s.role_orgs(7).unwrap(), vec![(20, Role::Member), (300, Role::Official)]);
    assert_eq!(s.role_holders(300).unwrap(), vec![(7, Role::Official), (9, Role::Member)]);
    assert_eq!(s.role_holders(301).unwrap(), vec![]);
}

#[test]
fn damaged_people_values_name_their_key() {
    let s = store();
    let key = person_key(7);
    s.people.insert(&key, &[0xff][..]).unwrap();
    assert_corrupt(s.person(7), KS, &key);
    let key = identity_key(Platform::Telegram, "42");
    s.people.insert(&key, &[0, 7][..]).unwrap();
    assert_corrupt(s.identity_owner(Platform::Telegram, "42"), KS, &key);
    let (by_person, by_org) = role_keys(7, 300);
    s.people.insert(&by_person, &[0xff, 0xff][..]).unwrap();
    s.people.insert(&by_org, &[0xff, 0xff][..]).unwrap();
    assert_corrupt(s.role_orgs(7), KS, &by_person);
    assert_corrupt(s.role_holders(300), KS, &by_org);
}

#[test]
fn short_role_keys_name_themselves() {
    let s = store();
    let key = [&tagged(ROLE_BY_PERSON, &7u64.to_be_bytes())[..], &[1, 2]].concat();
    s.people.insert(&key, crate::store::encode(&Role::Member)).unwrap();
    assert_corrupt(s.role_orgs(7), KS, &key);
    let key = [&tagged(ROLE_BY_ORG, &300u32.to_be_bytes())[..], &[0, 0, 0, 1]].concat();
    s.people.insert(&key, crate::store::encode(&Role::Member)).unwrap();
    assert_corrupt(s.role_holders(300), KS, &key);
}
