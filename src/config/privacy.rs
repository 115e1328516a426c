//! `[privacy]`: plain data read once at start, apart from the feature so
//! the config can hold it without depending on the feature.

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// `[privacy]` in the config: how long each kind of data is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Days an audit log entry is kept.
    pub audit_days: u32,
    /// Days after a named survey closes until its answers lose their
    /// person (the answers and every count stay, anonymous).
    pub survey_names_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        // Three years of audits: past a term of office. A year of names on
        // survey answers: long enough to follow up, then only the counts.
        Settings { audit_days: 3 * 365, survey_names_days: 365 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    audit_days: Option<u32>,
    survey_names_days: Option<u32>,
}

impl Settings {
    /// `[privacy]` (absent: the defaults); a wrong value is one sentence.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let bad = |e: &str| Error::invalid(msg(Msg::PrivacyConfigBad, &[("error", &e)]));
        let raw: RawSettings = table.clone().try_into().map_err(|e: toml::de::Error| bad(e.message()))?;
        let d = Settings::default();
        let days = |v: Option<u32>, key: &str, default: u32| match v {
            Some(0) => Err(bad(&format!("{key} = 0"))),
            v => Ok(v.unwrap_or(default)),
        };
        Ok(Settings {
            audit_days: days(raw.audit_days, "audit_days", d.audit_days)?,
            survey_names_days: days(raw.survey_names_days, "survey_names_days", d.survey_names_days)?,
        })
    }
}
