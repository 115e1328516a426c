//! The operator's surface: every operator command is an admin operation,
//! a name (`tree.stats`, `notice.post`) with JSON arguments, declared and
//! handled by the feature that owns it (`Declaration::admin`,
//! `Feature::admin`). The command line runs an operation on the store
//! directly, or, while `treecast serve` runs, through the admin API
//! (`api/server.rs`, `api/client.rs`); both run the same handler, so both
//! print the same. This module is their shared vocabulary.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// The environment variable holding the admin API's token.
pub const TOKEN_ENV: &str = "TREECAST_ADMIN_TOKEN";

/// What an operation answers: the text the command line prints, and files
/// it asked to be written (the command line writes them where it was told).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<OutFile>,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), files: Vec::new() }
    }
}

/// A file to write on the operator's side: `path` as the operator gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutFile {
    pub path: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl OutFile {
    /// Writes it, relative to the current directory.
    pub fn write(&self) -> Result<()> {
        std::fs::write(&self.path, &self.bytes)
            .map_err(|e| Error::invalid(msg(Msg::OutFileUnwritable, &[("path", &self.path), ("error", &e)])))
    }
}

/// An attached file as the operator gave it: its name and bytes.
#[derive(Debug, Clone, Deserialize)]
pub struct Attached {
    pub name: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl Attached {
    pub fn into_attachment(self) -> treecast_wire::Attachment {
        treecast_wire::Attachment { name: self.name, content_type: "application/octet-stream".into(), data: self.bytes }
    }
}

/// The typed arguments of an operation, from its JSON.
pub fn args<T: DeserializeOwned>(op: &str, v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::invalid(msg(Msg::AdminBadArguments, &[("op", &op), ("error", &e)])))
}

/// File contents travel as base64 in JSON.
pub mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

/// A definition file as the CLI sends it: its path (for messages) and text.
#[derive(Deserialize)]
pub struct DefinitionText {
    pub name: String,
    pub text: String,
}

/// A definition launched for an official: the file, the org, who launches.
#[derive(Deserialize)]
pub struct LaunchText {
    pub name: String,
    pub text: String,
    pub org: Option<String>,
    pub by: String,
}
