//! The `[telegram]` table of treecast's configuration.

use std::net::SocketAddr;

use serde::Deserialize;

/// Where the bot token comes from; it is never read from the config file.
pub const TOKEN_ENV: &str = "TREECAST_TELEGRAM_TOKEN";
/// Several bot tokens, separated by commas or white space (one bot per
/// province, say): each is an account with its own quota.
pub const TOKENS_ENV: &str = "TREECAST_TELEGRAM_TOKENS";
/// A file outside the repository with one token per line (`#` comments).
pub const TOKEN_FILE_ENV: &str = "TREECAST_TELEGRAM_TOKEN_FILE";

/// The bot tokens the environment gives, in order (the home bot first):
/// `TREECAST_TELEGRAM_TOKEN`, then `TREECAST_TELEGRAM_TOKENS`, then the
/// lines of the file `TREECAST_TELEGRAM_TOKEN_FILE` names; repeats dropped.
pub fn tokens_from_env() -> Result<Vec<String>, String> {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let file = match std::env::var(TOKEN_FILE_ENV) {
        Ok(path) if !path.trim().is_empty() => std::fs::read_to_string(path.trim())
            .map_err(|e| format!("{TOKEN_FILE_ENV} names `{}`, which cannot be read ({e})", path.trim()))?,
        _ => String::new(),
    };
    Ok(parse_tokens(&var(TOKEN_ENV), &var(TOKENS_ENV), &file))
}

fn parse_tokens(one: &str, many: &str, file: &str) -> Vec<String> {
    let lines = file.lines().map(|l| l.split('#').next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut out: Vec<String> = Vec::new();
    for t in [one, many, &lines].into_iter().flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace())) {
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out
}

/// Telegram settings. Every key is optional:
///
/// ```toml
/// [telegram]
/// # api_url = "http://127.0.0.1:8081"   # default: the real Bot API
/// mode = "polling"                       # or "webhook"
/// # webhook_listen = "127.0.0.1:8443"   # webhook mode: where to listen
/// # webhook_url = "https://bot.example.org/telegram"  # webhook mode: public URL
/// parse_mode = "html"                    # or "plain"
/// callback_answer = "已确认收到 / Acknowledged"
/// poll_timeout_secs = 10
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Bot API base URL. Default: `https://api.telegram.org`. Tests point it
    /// at the emulator (`scripts/peers/telegram.sh env`).
    pub api_url: Option<String>,
    /// How updates arrive. Default: long polling.
    pub mode: Mode,
    /// Webhook mode only: the local address the webhook server binds.
    pub webhook_listen: Option<SocketAddr>,
    /// Webhook mode only: the public HTTPS URL Telegram posts updates to.
    pub webhook_url: Option<String>,
    /// How titles and footers are marked up. Default: HTML.
    pub parse_mode: ParseMode,
    /// Shown to a person who presses an inline button once the core has
    /// taken the press. Default: `已确认收到 / Acknowledged`.
    pub callback_answer: String,
    /// Long-polling timeout per `getUpdates` call. Default: 10 seconds.
    pub poll_timeout_secs: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_url: None,
            mode: Mode::Polling,
            webhook_listen: None,
            webhook_url: None,
            parse_mode: ParseMode::Html,
            callback_answer: "已确认收到 / Acknowledged".to_owned(),
            poll_timeout_secs: 10,
        }
    }
}

/// How the adapter receives updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `getUpdates` long polling: works behind NAT, no public URL needed.
    #[default]
    Polling,
    /// Telegram posts updates to `webhook_url`; the adapter listens on `webhook_listen`.
    Webhook,
}

/// How outgoing text is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParseMode {
    /// Bold title, italic footer (`parse_mode=HTML`, text escaped).
    #[default]
    Html,
    /// No markup at all: what the core wrote, verbatim.
    Plain,
}

impl Settings {
    /// The Bot API URL to use, checked; `None` means Telegram itself.
    pub(crate) fn api_url(&self) -> Result<Option<url::Url>, String> {
        let Some(raw) = &self.api_url else { return Ok(None) };
        let url = url::Url::parse(raw.trim_end_matches('/'))
            .map_err(|e| format!("telegram.api_url `{raw}` is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(format!("telegram.api_url `{raw}` must be an http or https URL"));
        }
        Ok(Some(url))
    }

    /// Listen address and public URL, when `mode = "webhook"`.
    pub(crate) fn webhook(&self) -> Result<(SocketAddr, url::Url), String> {
        let listen =
            self.webhook_listen.ok_or("telegram.mode is \"webhook\" but telegram.webhook_listen is not set")?;
        let raw =
            self.webhook_url.as_deref().ok_or("telegram.mode is \"webhook\" but telegram.webhook_url is not set")?;
        let url = url::Url::parse(raw).map_err(|e| format!("telegram.webhook_url `{raw}` is not a valid URL ({e})"))?;
        Ok((listen, url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Settings, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn tokens_come_in_order_without_repeats_or_comments() {
        let file = "# 各省机器人 / one bot per province\n3:ccc\n\n4:ddd  # 湖南\n1:aaa\n";
        assert_eq!(parse_tokens("1:aaa", "2:bbb, 3:ccc\n", file), ["1:aaa", "2:bbb", "3:ccc", "4:ddd"]);
        assert!(parse_tokens("", " , ", "# none\n").is_empty());
    }

    #[test]
    fn empty_table_gives_defaults() {
        assert_eq!(parse("{}").unwrap(), Settings::default());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = parse(r#"{"token": "123:abc"}"#).unwrap_err().to_string();
        assert!(err.contains("unknown field `token`"), "{err}");
    }

    #[test]
    fn webhook_needs_listen_and_url() {
        let s = parse(r#"{"mode": "webhook", "webhook_listen": "127.0.0.1:8443"}"#).unwrap();
        assert!(s.webhook().unwrap_err().contains("webhook_url"));
        let s = Settings { webhook_url: Some("https://bot.example.org/tg".into()), ..s };
        assert_eq!(s.webhook().unwrap().0.port(), 8443);
    }

    #[test]
    fn api_url_is_checked() {
        let s = Settings { api_url: Some("mailto:x@y".into()), ..Settings::default() };
        assert!(s.api_url().is_err());
        let s = Settings { api_url: Some("http://127.0.0.1:8081/".into()), ..Settings::default() };
        assert_eq!(s.api_url().unwrap().unwrap().as_str(), "http://127.0.0.1:8081/");
    }
}
