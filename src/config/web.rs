//! `[web]`: where the console listens, the address its links use, how long
//! a sign-in link and a session last, and who the operators are.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use treecast_wire::Platform;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8390";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// None: no console.
    pub listen: Option<SocketAddr>,
    /// Whether `listen` was written in the config: a busy default address
    /// is only warned about, a configured one stops the start.
    pub listen_configured: bool,
    /// `https://console.example.org`: what links start with ("" = the listen address).
    pub public_url: String,
    pub link_ttl: Duration,
    pub session_ttl: Duration,
    /// Identities (`email:ops@example.org`) that see the operator's page.
    pub operators: Vec<(Platform, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: DEFAULT_LISTEN.parse().ok(),
            listen_configured: false,
            public_url: String::new(),
            link_ttl: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(12 * 3600),
            operators: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<String>,
    public_url: Option<String>,
    link_minutes: Option<u64>,
    session_hours: Option<u64>,
    operators: Option<Vec<String>>,
}

impl Settings {
    /// Reads `[web]`; `listen = ""` turns the console off.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Settings> {
        let Some(table) = table else { return Ok(Settings::default()) };
        let bad = |e: &dyn std::fmt::Display| Error::invalid(msg(Msg::WebConfigBad, &[("error", e)]));
        let raw: Raw = table.clone().try_into().map_err(|e: toml::de::Error| bad(&e.message()))?;
        let mut s = Settings::default();
        if let Some(l) = raw.listen {
            s.listen_configured = true;
            s.listen = match l.trim() {
                "" => None,
                l => Some(l.parse().map_err(|e| bad(&format!("listen = \"{l}\": {e}")))?),
            };
        }
        if let Some(u) = raw.public_url {
            let u = u.trim().trim_end_matches('/').to_owned();
            if !u.is_empty() && !u.starts_with("http://") && !u.starts_with("https://") {
                return Err(bad(&format!("public_url = \"{u}\": http:// or https://")));
            }
            s.public_url = u;
        }
        if let Some(m) = raw.link_minutes {
            s.link_ttl = Duration::from_secs(m.clamp(1, 24 * 60) * 60);
        }
        if let Some(h) = raw.session_hours {
            s.session_ttl = Duration::from_secs(h.clamp(1, 24 * 30) * 3600);
        }
        for o in raw.operators.unwrap_or_default() {
            let (p, user) = o.split_once(':').ok_or_else(|| bad(&format!("operators: \"{o}\": platform:id")))?;
            let p = Platform::parse(p).ok_or_else(|| bad(&format!("operators: \"{o}\": platform:id")))?;
            s.operators.push((p, user.to_owned()));
        }
        Ok(s)
    }

    /// Whether cookies must be Secure (the console is reached over TLS).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> toml::Table {
        s.parse().unwrap()
    }

    #[test]
    fn reads_every_key_and_refuses_bad_ones() {
        let s = Settings::from_table(Some(&table(
            "listen = \"127.0.0.1:0\"\npublic_url = \"https://c.example.org/\"\nlink_minutes = 5\nsession_hours = 2\noperators = [\"email:ops@example.org\"]",
        )))
        .unwrap();
        assert_eq!(s.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(s.public_url, "https://c.example.org");
        assert!(s.secure());
        assert_eq!(s.link_ttl, Duration::from_secs(300));
        assert_eq!(s.session_ttl, Duration::from_secs(7200));
        assert_eq!(s.operators, vec![(Platform::Email, "ops@example.org".to_owned())]);
        assert_eq!(Settings::from_table(Some(&table("listen = \"\""))).unwrap().listen, None);
        for bad in ["listen = \"nowhere\"", "public_url = \"ftp://x\"", "operators = [\"x\"]", "colour = 1"] {
            let e = Settings::from_table(Some(&table(bad))).unwrap_err().to_string();
            assert!(e.contains("[web]"), "{bad}: {e}");
        }
    }
}
