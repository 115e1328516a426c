//! The `[email]` table of treecast.toml, its defaults and its validation.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;
use treecast_wire::{AdapterError, Platform};

/// Environment variable holding the IMAP password (never read from a file).
pub const IMAP_PASSWORD_ENV: &str = "TREECAST_IMAP_PASSWORD";
/// Environment variable holding the SMTP password (never read from a file).
pub const SMTP_PASSWORD_ENV: &str = "TREECAST_SMTP_PASSWORD";

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (SMTP 587, IMAP 143).
    Starttls,
    /// TLS from the first byte (SMTPS 465, IMAPS 993).
    Tls,
    /// No TLS at all; allowed only when the host is a loopback address.
    Plain,
}

/// Another SMTP relay the adapter sends through besides `smtp_host`
/// (issue 16): a list's envelopes and single mails spread over all relays
/// by a stable hash, so a retry goes to the same relay and the sent log
/// still skips what it accepted.
///
/// ```toml
/// [[email.relays]]
/// name = "gd"                   # its password: TREECAST_SMTP_PASSWORD_GD
/// host = "smtp-gd.league.example"
/// port = 587                    # default as for smtp_port
/// user = "notices@league.example"   # default: email.smtp_user's; "" for none
/// security = "starttls"         # default: email.security
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    pub name: String,
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub security: Option<Security>,
}

impl Relay {
    /// The environment variable holding this relay's password.
    pub fn password_env(&self) -> String {
        let name: String =
            self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
        format!("{SMTP_PASSWORD_ENV}_{name}")
    }
}

/// What happens to a mail the core has handled (`Outcome::Done`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Processed {
    /// `processed = { move_to = "Processed" }`: move it to this folder.
    MoveTo(String),
    /// `processed = { flag = "\\Seen" }`: leave it in the inbox with this flag.
    Flag(String),
}

/// The `[email]` table. Every key but `address`, `imap_host` and `smtp_host`
/// has a default; secrets come from [`IMAP_PASSWORD_ENV`] and [`SMTP_PASSWORD_ENV`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The bot's own address, e.g. `bot@example.test`. Its domain names
    /// Message-IDs; `notice+<org-code>@<domain>` posts a notice.
    pub address: String,
    /// Display name on outgoing mail. Default: none.
    #[serde(default)]
    pub display_name: Option<String>,
    pub imap_host: String,
    /// Default: 993 with `tls`, 143 otherwise.
    #[serde(default)]
    pub imap_port: Option<u16>,
    /// Default: `address`.
    #[serde(default)]
    pub imap_user: Option<String>,
    pub smtp_host: String,
    /// Default: 465 with `tls`, 587 with `starttls`, 25 with `plain`.
    #[serde(default)]
    pub smtp_port: Option<u16>,
    /// Default: `address`. Set to "" for a relay that needs no login.
    #[serde(default)]
    pub smtp_user: Option<String>,
    /// `starttls` (default), `tls` or `plain` (loopback hosts only).
    #[serde(default = "default_security")]
    pub security: Security,
    /// Folder watched for incoming mail. Default: `INBOX`.
    #[serde(default = "default_inbox")]
    pub inbox: String,
    /// Default: `{ move_to = "Processed" }`.
    #[serde(default = "default_processed")]
    pub processed: Processed,
    /// Folder for mail that was rejected or could not be read. Default: `Quarantine`.
    #[serde(default = "default_quarantine")]
    pub quarantine: String,
    /// Where the UIDVALIDITY+UID checkpoint and the sent log live. Default: `state/email`.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Largest attachment accepted (inbound) or sent. Default: 10 MiB.
    #[serde(default = "default_max_attachment")]
    pub max_attachment_bytes: usize,
    /// Envelope recipients per SMTP message for list mail (Postfix refuses
    /// more than 1000). Default: 500.
    #[serde(default = "default_max_recipients")]
    pub max_recipients: usize,
    /// Seconds between polls when the server lacks IDLE or IDLE fails. Default: 30.
    #[serde(default = "default_poll_secs")]
    pub poll_seconds: u64,
    /// `List-Unsubscribe` mailto target on list mail. Default: none.
    #[serde(default)]
    pub unsubscribe_mailto: Option<String>,
    /// `List-Unsubscribe` URL on list mail. Default: none.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
    /// authserv-ids whose `Authentication-Results` headers are believed.
    /// Default: none (no sender is verified by header).
    #[serde(default)]
    pub trusted_authserv_ids: Vec<String>,
    /// More SMTP relays to spread sending over (see [`Relay`]). Default: none.
    #[serde(default)]
    pub relays: Vec<Relay>,
}

fn default_security() -> Security {
    Security::Starttls
}
fn default_inbox() -> String {
    "INBOX".to_owned()
}
fn default_processed() -> Processed {
    Processed::MoveTo("Processed".to_owned())
}
fn default_quarantine() -> String {
    "Quarantine".to_owned()
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("state/email")
}
fn default_max_attachment() -> usize {
    10 * 1024 * 1024
}
fn default_max_recipients() -> usize {
    500
}
fn default_poll_secs() -> u64 {
    30
}

/// Postfix's `smtpd_recipient_limit` default.
const POSTFIX_RECIPIENT_LIMIT: usize = 1000;

impl Settings {
    /// Settings with every default, for the given bot address and one host
    /// serving both IMAP and SMTP.
    pub fn new(address: impl Into<String>, host: impl Into<String>) -> Self {
        let host = host.into();
        Settings {
            address: address.into(),
            display_name: None,
            imap_host: host.clone(),
            imap_port: None,
            imap_user: None,
            smtp_host: host,
            smtp_port: None,
            smtp_user: None,
            security: default_security(),
            inbox: default_inbox(),
            processed: default_processed(),
            quarantine: default_quarantine(),
            state_dir: default_state_dir(),
            max_attachment_bytes: default_max_attachment(),
            max_recipients: default_max_recipients(),
            poll_seconds: default_poll_secs(),
            unsubscribe_mailto: None,
            unsubscribe_url: None,
            trusted_authserv_ids: Vec::new(),
            relays: Vec::new(),
        }
    }

    /// Checks every key; the error names the key in one sentence.
    pub fn validate(&self) -> Result<(), AdapterError> {
        let bad = |m: String| Err(AdapterError::new(Platform::Email, m));
        if split_address(&self.address).is_none() {
            return bad(format!("email.address {:?} is not an address like bot@example.org", self.address));
        }
        for (key, host) in [("email.imap_host", &self.imap_host), ("email.smtp_host", &self.smtp_host)] {
            if host.trim().is_empty() {
                return bad(format!("{key} is empty"));
            }
            if self.security == Security::Plain && !is_loopback(host) {
                return bad(format!(
                    "email.security = \"plain\" is only allowed for a loopback host, but {key} is {host:?}; use \"starttls\" or \"tls\""
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.relays {
            let ok = !r.name.is_empty() && r.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return bad(format!(
                    "email.relays: the name {:?} must be letters, digits, - or _ (it names the password variable)",
                    r.name
                ));
            }
            if !names.insert(r.name.to_ascii_uppercase()) {
                return bad(format!("email.relays: the name {:?} is used twice", r.name));
            }
            if r.host.trim().is_empty() {
                return bad(format!("email.relays {:?}: host is empty", r.name));
            }
            if r.security.unwrap_or(self.security) == Security::Plain && !is_loopback(&r.host) {
                return bad(format!(
                    "email.relays {:?}: security \"plain\" is only allowed for a loopback host, not {:?}",
                    r.name, r.host
                ));
            }
        }
        if self.max_recipients == 0 || self.max_recipients > POSTFIX_RECIPIENT_LIMIT {
            return bad(format!(
                "email.max_recipients must be between 1 and {POSTFIX_RECIPIENT_LIMIT}, not {}",
                self.max_recipients
            ));
        }
        if self.max_attachment_bytes == 0 {
            return bad("email.max_attachment_bytes must be above 0".to_owned());
        }
        if self.poll_seconds == 0 {
            return bad("email.poll_seconds must be above 0".to_owned());
        }
        let folder = match &self.processed {
            Processed::MoveTo(f) => f,
            Processed::Flag(f) => f,
        };
        for (key, name) in
            [("email.inbox", &self.inbox), ("email.quarantine", &self.quarantine), ("email.processed", folder)]
        {
            if name.trim().is_empty() {
                return bad(format!("{key} is empty"));
            }
        }
        if let Processed::MoveTo(f) = &self.processed {
            if f == &self.inbox {
                return bad("email.processed.move_to must differ from email.inbox".to_owned());
            }
        }
        if self.quarantine == self.inbox {
            return bad("email.quarantine must differ from email.inbox".to_owned());
        }
        if let Some(url) = &self.unsubscribe_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return bad(format!("email.unsubscribe_url {url:?} must start with https://"));
            }
        }
        if let Some(m) = &self.unsubscribe_mailto {
            if split_address(m.trim_start_matches("mailto:")).is_none() {
                return bad(format!("email.unsubscribe_mailto {m:?} is not an address"));
            }
        }
        Ok(())
    }

    /// The domain of the bot address (Message-IDs end in it).
    pub fn domain(&self) -> &str {
        split_address(&self.address).map(|(_, d)| d).unwrap_or("localhost")
    }

    pub(crate) fn imap_port(&self) -> u16 {
        self.imap_port.unwrap_or(if self.security == Security::Tls { 993 } else { 143 })
    }

    pub(crate) fn smtp_port(&self) -> u16 {
        self.smtp_port.unwrap_or(default_smtp_port(self.security))
    }

    pub(crate) fn imap_user(&self) -> &str {
        self.imap_user.as_deref().unwrap_or(&self.address)
    }

    pub(crate) fn smtp_user(&self) -> Option<&str> {
        login_user(self.smtp_user.as_deref(), Some(&self.address))
    }
}

impl Relay {
    /// The user this relay logs in as (`None`: no login).
    pub(crate) fn user<'a>(&'a self, main: &'a Settings) -> Option<&'a str> {
        login_user(self.user.as_deref(), main.smtp_user())
    }
}

/// A configured login name: "" means none, unset means `default`.
fn login_user<'a>(given: Option<&'a str>, default: Option<&'a str>) -> Option<&'a str> {
    match given {
        Some("") => None,
        Some(u) => Some(u),
        None => default,
    }
}

/// The usual SMTP port for a kind of connection.
pub(crate) fn default_smtp_port(security: Security) -> u16 {
    match security {
        Security::Tls => 465,
        Security::Starttls => 587,
        Security::Plain => 25,
    }
}

/// Splits `local@domain`, refusing anything without both halves.
pub(crate) fn split_address(a: &str) -> Option<(&str, &str)> {
    let (local, domain) = a.trim().rsplit_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !a.contains(char::is_whitespace)
        && !local.contains(['<', '>'])
        && !domain.contains(['<', '>', '@']);
    ok.then_some((local, domain))
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Reads a secret from the environment; empty counts as missing.
pub(crate) fn secret(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Settings {
        Settings { security: Security::Plain, ..Settings::new("bot@example.test", "127.0.0.1") }
    }

    fn relay(name: &str, host: &str) -> Relay {
        Relay { name: name.into(), host: host.into(), port: None, user: None, security: None }
    }

    #[test]
    fn relays_are_checked_and_name_their_password_variable() {
        let with = |relays: Vec<Relay>| Settings { relays, ..ok() }.validate().map_err(|e| e.to_string());
        assert!(with(vec![relay("gd", "127.0.0.1"), relay("hunan-2", "localhost")]).is_ok());
        let e = with(vec![relay("广东", "127.0.0.1")]).unwrap_err();
        assert!(e.contains("must be letters, digits"), "{e}");
        let e = with(vec![relay("gd", "127.0.0.1"), relay("GD", "127.0.0.1")]).unwrap_err();
        assert!(e.contains("used twice"), "{e}");
        let e = with(vec![relay("gd", "smtp.example.org")]).unwrap_err();
        assert!(e.contains("only allowed for a loopback host"), "{e}");
        let tls = Relay { security: Some(Security::Starttls), ..relay("gd", "smtp.example.org") };
        assert!(with(vec![tls]).is_ok(), "a relay may use TLS while the main one is plain");
        assert_eq!(relay("hunan-2", "h").password_env(), "TREECAST_SMTP_PASSWORD_HUNAN_2");
        let parsed: Settings = toml::from_str(
            "address = \"bot@example.test\"\nimap_host = \"h\"\nsmtp_host = \"h\"\n\
             [[relays]]\nname = \"gd\"\nhost = \"smtp-gd.example.org\"\nport = 587\n",
        )
        .unwrap();
        assert_eq!(parsed.relays, vec![Relay { port: Some(587), ..relay("gd", "smtp-gd.example.org") }]);
    }

    fn err(s: Settings) -> String {
        s.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_validate() {
        ok().validate().unwrap();
        let s = Settings::new("bot@example.test", "mail.example.test");
        s.validate().unwrap();
        assert_eq!((s.imap_port(), s.smtp_port()), (143, 587));
        assert_eq!(s.domain(), "example.test");
    }

    #[test]
    fn plain_needs_loopback() {
        let s = Settings { security: Security::Plain, ..Settings::new("bot@example.test", "mail.example.test") };
        let e = err(s);
        assert!(e.contains("email.security") && e.contains("loopback"), "{e}");
        for h in ["localhost", "::1", "[::1]", "127.0.0.2"] {
            Settings { security: Security::Plain, ..Settings::new("bot@example.test", h) }.validate().unwrap();
        }
    }

    #[test]
    fn bad_values_name_their_key() {
        assert!(err(Settings { address: "bot".into(), ..ok() }).contains("email.address"));
        assert!(err(Settings { max_recipients: 1001, ..ok() }).contains("email.max_recipients"));
        assert!(err(Settings { max_recipients: 0, ..ok() }).contains("email.max_recipients"));
        assert!(err(Settings { quarantine: "INBOX".into(), ..ok() }).contains("email.quarantine"));
        assert!(err(Settings { processed: Processed::MoveTo("INBOX".into()), ..ok() }).contains("email.processed"));
        assert!(err(Settings { unsubscribe_url: Some("ftp://x".into()), ..ok() }).contains("email.unsubscribe_url"));
        let e = err(Settings { address: "bot".into(), ..ok() });
        assert!(e.starts_with("email adapter: "), "one sentence with the platform: {e}");
    }
}
