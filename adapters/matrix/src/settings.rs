//! The `[matrix]` table of treecast's config, and the invite policy.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Environment variable holding the bot's password (used for the first login).
pub const ENV_PASSWORD: &str = "TREECAST_MATRIX_PASSWORD";
/// Environment variable holding an access token (instead of a password).
pub const ENV_ACCESS_TOKEN: &str = "TREECAST_MATRIX_ACCESS_TOKEN";
/// Environment variable holding an application service's `as_token`: the
/// bot is then that registration's sender, logs in with it and is not
/// rate limited by Synapse (`docs/adapters/matrix.md`).
pub const ENV_AS_TOKEN: &str = "TREECAST_MATRIX_AS_TOKEN";
/// Optional passphrase that encrypts the SQLite state and crypto stores.
pub const ENV_STORE_PASSPHRASE: &str = "TREECAST_MATRIX_STORE_PASSPHRASE";

/// The `[matrix]` table. Secrets never live here: see [`ENV_PASSWORD`],
/// [`ENV_ACCESS_TOKEN`], [`ENV_AS_TOKEN`] and [`ENV_STORE_PASSPHRASE`].
///
/// ```toml
/// [matrix]
/// homeserver = "https://matrix.example.org"   # required
/// user_id = "@treecast:example.org"            # required
/// device_name = "treecast"                     # default "treecast"
/// store_dir = "data/matrix"                    # default "data/matrix"
/// invite_from = ["*:example.org", "@admin:other.org"]  # default: the bot's own server
/// sync_timeout_secs = 30                       # default 30
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Base URL of the homeserver's client API.
    pub homeserver: String,
    /// The bot's full user id, `@name:server`.
    pub user_id: String,
    /// Display name of the device created at first login.
    #[serde(default = "default_device_name")]
    pub device_name: String,
    /// Where the session file, the SQLite state store and the crypto store
    /// live. Keep it: losing it means a new device and lost room keys.
    #[serde(default = "default_store_dir")]
    pub store_dir: PathBuf,
    /// Whose invites the bot accepts: full user ids (`@a:b`), `*:server`
    /// for anyone on a server, or `*` for anyone. Empty (the default) means
    /// users on the bot's own server.
    #[serde(default)]
    pub invite_from: Vec<String>,
    /// Long-poll timeout of each `/sync` request, in seconds.
    #[serde(default = "default_sync_timeout_secs")]
    pub sync_timeout_secs: u64,
}

fn default_device_name() -> String {
    "treecast".to_owned()
}

fn default_store_dir() -> PathBuf {
    PathBuf::from("data/matrix")
}

fn default_sync_timeout_secs() -> u64 {
    30
}

impl Settings {
    /// Settings with every default filled in.
    pub fn new(homeserver: impl Into<String>, user_id: impl Into<String>) -> Self {
        Settings {
            homeserver: homeserver.into(),
            user_id: user_id.into(),
            device_name: default_device_name(),
            store_dir: default_store_dir(),
            invite_from: Vec::new(),
            sync_timeout_secs: default_sync_timeout_secs(),
        }
    }

    pub fn sync_timeout(&self) -> Duration {
        Duration::from_secs(self.sync_timeout_secs)
    }

    /// The policy `invite_from` describes for this bot.
    pub fn invite_policy(&self) -> InvitePolicy {
        InvitePolicy::new(&self.user_id, &self.invite_from)
    }
}

/// Decides whose room invites the bot joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitePolicy {
    patterns: Vec<String>,
}

impl InvitePolicy {
    /// `patterns` as in [`Settings::invite_from`]; empty means the server of
    /// `bot_user_id`.
    pub fn new(bot_user_id: &str, patterns: &[String]) -> Self {
        let patterns = if patterns.is_empty() {
            vec![format!("*:{}", server_of(bot_user_id))]
        } else {
            patterns.iter().map(|p| p.trim().to_owned()).collect()
        };
        InvitePolicy { patterns }
    }

    /// Whether an invite sent by `inviter` should be accepted.
    pub fn allows(&self, inviter: &str) -> bool {
        self.patterns.iter().any(|p| matches(p, inviter))
    }
}

fn matches(pattern: &str, user: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(server) = pattern.strip_prefix("*:") {
        return server_of(user).eq_ignore_ascii_case(server) && user.starts_with('@');
    }
    pattern == user
}

/// The server part of `@name:server` (everything after the first colon).
pub(crate) fn server_of(user_id: &str) -> &str {
    user_id.split_once(':').map(|(_, s)| s).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_from_a_minimal_table() {
        let s: Settings =
            serde_json::from_str(r#"{"homeserver":"http://127.0.0.1:8008","user_id":"@bot:localhost"}"#).unwrap();
        assert_eq!(s, Settings::new("http://127.0.0.1:8008", "@bot:localhost"));
        assert_eq!(s.sync_timeout(), Duration::from_secs(30));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let r: Result<Settings, _> = serde_json::from_str(r#"{"homeserver":"h","user_id":"@b:s","password":"x"}"#);
        assert!(r.unwrap_err().to_string().contains("unknown field `password`"));
    }

    #[test]
    fn default_policy_is_the_bots_own_server() {
        let p = InvitePolicy::new("@bot:league.example", &[]);
        assert!(p.allows("@official:league.example"));
        assert!(!p.allows("@spam:evil.example"));
        assert!(!p.allows("@x:league.example.evil"));
    }

    #[test]
    fn listed_users_and_server_patterns() {
        let pats = vec!["@admin:other.org".to_owned(), "*:school.edu.cn".to_owned()];
        let p = InvitePolicy::new("@bot:league.example", &pats);
        assert!(p.allows("@admin:other.org"));
        assert!(!p.allows("@admin2:other.org"));
        assert!(p.allows("@teacher:school.edu.cn"));
        assert!(p.allows("@teacher:SCHOOL.edu.cn"));
        assert!(!p.allows("@official:league.example"), "an explicit list replaces the default");
        assert!(InvitePolicy::new("@b:s", &["*".to_owned()]).allows("@anyone:anywhere"));
    }
}
