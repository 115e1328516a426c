//! `[digest]`: plain data read once at start, apart from the feature so
//! the config can hold it without depending on the feature.

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::clock::parse_minute as parse_time;
use crate::error::{Error, Result};

/// `[digest]` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Minutes past midnight, China time.
    pub minute: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { minute: 8 * 60 + 30 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    time: Option<String>,
}

impl Settings {
    /// `[digest] time = "08:30"` (absent: 08:30); a wrong value is one sentence.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let bad = |e: &str| Error::invalid(msg(Msg::DigestConfigBad, &[("error", &e)]));
        let raw: RawSettings = table.clone().try_into().map_err(|e: toml::de::Error| bad(e.message()))?;
        match raw.time {
            None => Ok(Settings::default()),
            Some(t) => parse_time(&t).map(|minute| Settings { minute }).ok_or_else(|| bad(&t)),
        }
    }
}
