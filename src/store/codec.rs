//! Value encoding for the store (bincode, serde-driven).

use serde::{de::DeserializeOwned, Serialize};

use super::keys::corrupt;
use super::keyspace::Keyspace;
use crate::error::{Error, Result};

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encoding an in-memory value cannot fail")
}

/// Decodes a value whose origin is unknown to the caller; store modules use
/// `decode_at`, whose error names the keyspace and key.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| Error::Corrupt(e.to_string()))
}

/// Decodes the value stored at `key` in `ks`; a damaged one is an error
/// naming both.
pub fn decode_at<T: DeserializeOwned>(ks: Keyspace, key: &[u8], bytes: &[u8]) -> Result<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| corrupt(ks, key, format_args!("the value does not decode ({e})")))
}
