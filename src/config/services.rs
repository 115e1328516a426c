//! `[services]`: plain data read once at start, apart from the feature so
//! the config can hold it without depending on the feature.

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// `[services]` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Quiet hours, minutes past midnight China time: (from, to).
    pub quiet: (u16, u16),
    /// When the daily bundles go.
    pub bundle_at: u16,
    /// Subscribers one run of the send job takes; each slice commits with
    /// its cursor and the job runs again for the next. Short commits cost
    /// less in all than one large one (docs/BENCHMARKS.md). Not a config
    /// key (tests lower it).
    pub send_slice: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { quiet: (22 * 60, 7 * 60 + 30), bundle_at: 8 * 60, send_slice: 10_000 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    quiet: Option<String>,
    bundle_at: Option<String>,
}

impl Settings {
    /// `[services] quiet = "22:00-07:30"`, `bundle_at = "08:00"`; "" turns quiet hours off.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let bad = |e: &str| Error::invalid(msg(Msg::ServicesConfigBad, &[("error", &e)]));
        let raw: RawSettings = table.clone().try_into().map_err(|e: toml::de::Error| bad(e.message()))?;
        let mut s = Settings::default();
        if let Some(q) = raw.quiet {
            s.quiet = match q.trim() {
                "" => (0, 0),
                q => {
                    let (a, b) = q.split_once(['-', '～', '~']).ok_or_else(|| bad(q))?;
                    let t = |x: &str| crate::clock::parse_minute(x).ok_or_else(|| bad(q));
                    (t(a)?, t(b)?)
                }
            };
        }
        if let Some(b) = raw.bundle_at {
            s.bundle_at = crate::clock::parse_minute(&b).ok_or_else(|| bad(&b))?;
        }
        Ok(s)
    }
}
