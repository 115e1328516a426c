//! Key encoding of the `surveys` tree: a one-byte tag, then big-endian ids.
//! Anonymous answers sit under random keys, apart from the hashed
//! "has answered" markers, so the two cannot be joined.

/// survey id -> Survey
pub const SURVEY: u8 = b'd';
/// survey id ++ person id -> Conversation (one survey being answered)
pub const CONVERSATION: u8 = b'c';
/// person id -> survey id whose questions free text answers
pub const ACTIVE: u8 = b'a';
/// survey id ++ person id -> Response (named surveys)
pub const RESPONSE: u8 = b'r';
/// survey id ++ 16 random bytes -> Response without a person (anonymous)
pub const ANONYMOUS: u8 = b'n';
/// survey id ++ 16-byte salted hash of the person id -> () (anonymous)
pub const ANSWERED: u8 = b'm';

pub fn survey(id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = SURVEY;
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// `tag` ++ survey: the prefix of one survey's rows of that kind.
pub fn prefix(tag: u8, survey: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&survey.to_be_bytes());
    k
}

/// `tag` ++ survey ++ person (conversations, named responses).
pub fn survey_person(tag: u8, survey: u64, person: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&prefix(tag, survey));
    k[9..].copy_from_slice(&person.to_be_bytes());
    k
}

/// `tag` ++ survey ++ 16 opaque bytes (anonymous rows and markers).
pub fn survey_opaque(tag: u8, survey: u64, rest: &[u8; 16]) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[..9].copy_from_slice(&prefix(tag, survey));
    k[9..].copy_from_slice(rest);
    k
}

pub fn active(person: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = ACTIVE;
    k[1..].copy_from_slice(&person.to_be_bytes());
    k
}

/// The "has answered" marker of an anonymous survey: a salted hash of the
/// person id, so the marker set says who answered but not what.
pub fn marker(salt: &[u8; 16], survey: u64, person: u64) -> [u8; 16] {
    use std::hash::{Hash, Hasher};
    let half = |round: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (round, salt, survey, person).hash(&mut h);
        h.finish().to_be_bytes()
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&half(1));
    out[8..].copy_from_slice(&half(2));
    out
}
