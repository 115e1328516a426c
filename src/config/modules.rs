//! `[modules]`: which modules are on by default, per level
//! (`registry/modules.rs` keeps the switches orgs set).

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// `[modules]`: per module, on or off by default, for every level or per
/// level from the top (`bridge = ["on", "on", "on", "off"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub defaults: Vec<(String, Vec<bool>)>,
}

impl Settings {
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let bad = |name: &str| Error::invalid(msg(Msg::ModulesConfigBad, &[("name", &name)]));
        let word = |v: &toml::Value, name: &str| match v.as_str() {
            Some("on") => Ok(true),
            Some("off") => Ok(false),
            _ => Err(bad(name)),
        };
        let mut defaults = Vec::new();
        for (name, v) in table {
            let levels = match v {
                toml::Value::Array(a) if !a.is_empty() => a.iter().map(|x| word(x, name)).collect::<Result<_>>()?,
                other => vec![word(other, name)?],
            };
            defaults.push((name.clone(), levels));
        }
        Ok(Settings { defaults })
    }

    /// The configured default at `level` (the last given level's for those below it).
    pub fn default_at(&self, module: &str, level: u8) -> Option<bool> {
        let (_, v) = self.defaults.iter().find(|(n, _)| n == module)?;
        v.get(level as usize).or(v.last()).copied()
    }
}
