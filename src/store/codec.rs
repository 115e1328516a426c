//! Value encoding for the store (bincode, serde-driven).

use serde::{de::DeserializeOwned, Serialize};

use super::keys::corrupt;
use super::keyspace::Keyspace;
use crate::error::{Error, Result};

/// The most a decoded value may claim to hold. bincode trusts the lengths
/// in the bytes it reads: without a limit, a damaged length made it try to
/// allocate petabytes and abort the process (found by the store_decode fuzz
/// target). A stored value is far smaller than this; the byte format is the
/// same with or without the limit.
const DECODE_LIMIT: usize = 256 * 1024 * 1024;

fn decoding() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encoding an in-memory value cannot fail")
}

/// Decodes a value whose origin is unknown to the caller; store modules use
/// `decode_at`, whose error names the keyspace and key.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    bincode::serde::decode_from_slice(bytes, decoding()).map(|(v, _)| v).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Decodes the value stored at `key` in `ks`; a damaged one is an error
/// naming both.
pub fn decode_at<T: DeserializeOwned>(ks: Keyspace, key: &[u8], bytes: &[u8]) -> Result<T> {
    bincode::serde::decode_from_slice(bytes, decoding())
        .map(|(v, _)| v)
        .map_err(|e| corrupt(ks, key, format_args!("the value does not decode ({e})")))
}

#[cfg(test)]
mod tests {
    /// The input the store_decode fuzz target found: a length prefix far
    /// beyond the bytes at hand is an error, not an abort.
    #[test]
    fn a_huge_claimed_length_is_an_error_not_an_abort() {
        let crash = include_bytes!("../../fuzz/regressions/store_decode-capacity-overflow");
        assert!(super::decode::<crate::notice::Notice>(crash).is_err());
        assert!(super::decode::<crate::outbox::queue::Queued>(crash).is_err());
        let mut huge = vec![0xfd];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(super::decode::<Vec<u8>>(&huge).is_err());
        assert!(super::decode::<String>(&huge).is_err());
    }
}
