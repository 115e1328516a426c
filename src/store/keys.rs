//! Shared key and value primitives, and readers whose errors name the keyspace and key (layouts live per module).

use std::fmt::Display;

use treecast_wire::Platform;

use super::keyspace::Keyspace;
use crate::error::{Error, Result};

/// The `msgref` key, for writers that batch message refs themselves.
pub use super::msgref::key as msgref;

/// A big-endian u64 at `at` in a stored key or value; a short one is an
/// error naming `what` (the keyspace or key), never a panic.
pub fn read_u64_at(b: &[u8], at: usize, what: impl Display) -> Result<u64> {
    b.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_be_bytes).ok_or_else(|| short(what, b, at + 8))
}

/// A big-endian u32 at `at`, like `read_u64_at`.
pub fn read_u32_at(b: &[u8], at: usize, what: impl Display) -> Result<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes).ok_or_else(|| short(what, b, at + 4))
}

fn short(what: impl Display, b: &[u8], need: usize) -> Error {
    Error::Corrupt(format!("{what}: {} bytes where {need} were expected ({})", b.len(), hex(b)))
}

/// A key or value for error messages: hex, cut after 32 bytes.
pub fn hex(b: &[u8]) -> String {
    let mut s: String = b.iter().take(32).map(|x| format!("{x:02x}")).collect();
    if b.len() > 32 {
        s.push('…');
    }
    s
}

/// Damaged data at `key` in `ks`: the error every store reader returns.
pub fn corrupt(ks: Keyspace, key: &[u8], why: impl Display) -> Error {
    Error::Corrupt(format!("{}/{}: {why}", ks.name(), hex(key)))
}

/// The `N` bytes at `at` in a key that must be exactly `at + N` long.
fn key_part<const N: usize>(ks: Keyspace, key: &[u8], at: usize) -> Result<[u8; N]> {
    match key.get(at..).and_then(|s| <[u8; N]>::try_from(s).ok()) {
        Some(b) => Ok(b),
        None => Err(corrupt(ks, key, format!("the key is {} bytes where {} were expected", key.len(), at + N))),
    }
}

/// The big-endian u64 that ends `key` at `at` (a key of any other length is an error).
pub fn key_u64(ks: Keyspace, key: &[u8], at: usize) -> Result<u64> {
    key_part::<8>(ks, key, at).map(u64::from_be_bytes)
}

/// The big-endian u32 that ends `key` at `at`, like `key_u64`.
pub fn key_u32(ks: Keyspace, key: &[u8], at: usize) -> Result<u32> {
    key_part::<4>(ks, key, at).map(u32::from_be_bytes)
}

/// A value that is exactly one big-endian u64 (an id); `key` names it in the error.
pub fn val_u64(ks: Keyspace, key: &[u8], v: &[u8]) -> Result<u64> {
    match <[u8; 8]>::try_from(v) {
        Ok(b) => Ok(u64::from_be_bytes(b)),
        Err(_) => Err(corrupt(ks, key, format!("the value is {} bytes where 8 were expected", v.len()))),
    }
}

/// A value that is exactly one big-endian u32, like `val_u64`.
pub fn val_u32(ks: Keyspace, key: &[u8], v: &[u8]) -> Result<u32> {
    match <[u8; 4]>::try_from(v) {
        Ok(b) => Ok(u32::from_be_bytes(b)),
        Err(_) => Err(corrupt(ks, key, format!("the value is {} bytes where 4 were expected", v.len()))),
    }
}

/// An event-log value: the time in unix ms, then the encoded event.
pub fn event_value(at_ms: u64, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + body.len());
    v.extend_from_slice(&at_ms.to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// `space/key in hex`, written out only when an error names it: catch-up
/// reads every event, and a name formatted on every read was a tenth of a
/// survey answer's instructions where `Surveys::active` did the same.
pub struct KeyName<'a>(pub &'a str, pub &'a [u8]);

impl Display for KeyName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, hex(self.1))
    }
}

/// A tag byte followed by `rest`.
pub fn tagged(tag: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(tag);
    k.extend_from_slice(rest);
    k
}

/// One byte per platform, at the front of identity, address and msgref keys.
pub fn platform_byte(p: Platform) -> u8 {
    match p {
        Platform::Console => b'c',
        Platform::Email => b'e',
        Platform::Matrix => b'm',
        Platform::Telegram => b't',
    }
}

/// Keys of the `schedule` tree.
pub mod sched {
    /// due ms ++ id -> Job
    pub const DUE: u8 = b'd';
    /// job key -> its DUE key
    pub const BY_KEY: u8 = b'k';

    pub fn due(at_ms: u64, id: u64) -> [u8; 17] {
        let mut k = [0u8; 17];
        k[0] = DUE;
        k[1..9].copy_from_slice(&at_ms.to_be_bytes());
        k[9..].copy_from_slice(&id.to_be_bytes());
        k
    }

    pub fn by_key(key: &str) -> Vec<u8> {
        super::tagged(BY_KEY, key.as_bytes())
    }
}

/// Two signed counters packed as 16 bytes; `add_counts` merges deltas.
pub fn counts_value(a: i64, b: i64) -> [u8; 16] {
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&a.to_be_bytes());
    v[8..].copy_from_slice(&b.to_be_bytes());
    v
}

/// The two counters of a `counts_value`, or None if `v` is not 16 bytes.
pub fn unpack_counts(v: &[u8]) -> Option<(i64, i64)> {
    let v: [u8; 16] = v.try_into().ok()?;
    let (a, b) = v.split_at(8);
    Some((i64::from_be_bytes(a.try_into().ok()?), i64::from_be_bytes(b.try_into().ok()?)))
}

/// The counter pair stored at `key` in `ks`; a value of the wrong size is an error.
pub fn read_counts(ks: Keyspace, key: &[u8], v: &[u8]) -> Result<(i64, i64)> {
    unpack_counts(v)
        .ok_or_else(|| corrupt(ks, key, format!("a counter pair is {} bytes where 16 were expected", v.len())))
}

/// sled merge operator: adds a (a, b) delta to the stored pair. It cannot
/// return an error, so a damaged stored value or delta counts as zero
/// instead of panicking inside sled; readers (`read_counts`) report it.
pub fn add_counts(_key: &[u8], old: Option<&[u8]>, delta: &[u8]) -> Option<Vec<u8>> {
    let (a, b) = old.and_then(unpack_counts).unwrap_or((0, 0));
    let (da, db) = unpack_counts(delta).unwrap_or((0, 0));
    Some(counts_value(a.wrapping_add(da), b.wrapping_add(db)).to_vec())
}
