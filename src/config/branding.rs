//! `[branding]`: plain data read once at start, apart from the feature so
//! the config can hold it without depending on the feature.

use std::path::PathBuf;

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// `[branding]` in the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// A PNG replacing the shipped emblem.
    pub emblem: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    emblem: Option<PathBuf>,
}

impl Settings {
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let raw: RawSettings = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid(msg(Msg::BrandingConfigBad, &[("error", &e.message())])))?;
        Ok(Settings { emblem: raw.emblem })
    }

    /// A relative emblem path is read beside the config file (`emblem =
    /// "emblem.png"` next to `/etc/treecast/treecast.toml`), not wherever
    /// the service happens to start.
    pub fn relative_to(mut self, config_dir: &std::path::Path) -> Settings {
        if let Some(e) = self.emblem.as_mut().filter(|e| e.is_relative()) {
            *e = config_dir.join(&*e);
        }
        self
    }
}
