//! Sorting teloxide's errors into the wire's transient / permanent / moved.

use teloxide::{ApiError, RequestError};
use treecast_wire::{DeliveryError, LimitScope};

/// Maps a failed Bot API call to what the core should do about it.
/// `token` is removed from every reason (reqwest errors name the URL).
pub fn classify(err: &RequestError, token: &str) -> DeliveryError {
    match err {
        // Telegram's 429 names no scope; it answers the chat the message was
        // for (per-chat and per-group flood limits). The outbox keeps each
        // bot's 30/s itself, so only that chat waits.
        RequestError::RetryAfter(s) => DeliveryError::RateLimited {
            retry_after: s.duration(),
            scope: LimitScope::Chat,
            reason: format!("Telegram rate limit: retry after {} s", s.seconds()),
        },
        RequestError::MigrateToChatId(id) => DeliveryError::Moved { new_id: id.0.to_string() },
        RequestError::Api(api) => classify_api(api),
        RequestError::Network(e) => {
            DeliveryError::transient(redact(&format!("network error talking to Telegram: {e}"), token))
        }
        RequestError::Io(e) => DeliveryError::transient(redact(&format!("I/O error talking to Telegram: {e}"), token)),
        RequestError::InvalidJson { .. } => {
            DeliveryError::transient("Telegram answered with something that is not a Bot API response")
        }
    }
}

fn classify_api(api: &ApiError) -> DeliveryError {
    use ApiError::*;
    match api {
        BotBlocked => DeliveryError::permanent("the person blocked the bot"),
        BotKicked | BotKickedFromSupergroup | BotKickedFromChannel => {
            DeliveryError::permanent("the bot was removed from this chat")
        }
        ChatNotFound => DeliveryError::permanent("chat not found: the bot is not in it or the id is wrong"),
        CantInitiateConversation => DeliveryError::permanent(CANT_INITIATE),
        UserDeactivated => DeliveryError::permanent("the person's Telegram account is deactivated"),
        CantTalkWithBots => DeliveryError::permanent("bots cannot message other bots"),
        InvalidToken => DeliveryError::transient("Telegram rejected the bot token (check TREECAST_TELEGRAM_TOKEN)"),
        Unknown(text) => classify_text(text),
        other => DeliveryError::permanent(format!("Telegram refused the message: {other}")),
    }
}

const CANT_INITIATE: &str =
    "the person has not started a private chat with the bot (they must open it and press Start first)";

/// Descriptions teloxide does not know (Telegram rewords them over time).
fn classify_text(text: &str) -> DeliveryError {
    let lower = text.to_lowercase();
    let has = |s: &str| lower.contains(s);
    if has("can't initiate conversation") {
        DeliveryError::permanent(CANT_INITIATE)
    } else if has("bot was kicked") || has("bot is not a member") {
        DeliveryError::permanent("the bot was removed from this chat")
    } else if has("bot was blocked") {
        DeliveryError::permanent("the person blocked the bot")
    } else if has("chat not found") {
        DeliveryError::permanent("chat not found: the bot is not in it or the id is wrong")
    } else if has("user is deactivated") {
        DeliveryError::permanent("the person's Telegram account is deactivated")
    } else if has("too many requests")
        || has("internal server error")
        || has("bad gateway")
        || has("service unavailable")
        || has("gateway timeout")
        || lower.starts_with("unauthorized")
    {
        DeliveryError::transient(format!("Telegram: {text}"))
    } else if lower.starts_with("bad request") || lower.starts_with("forbidden") {
        DeliveryError::permanent(format!("Telegram refused the message: {text}"))
    } else {
        DeliveryError::transient(format!("Telegram: {text}"))
    }
}

/// `s` with every occurrence of the bot token replaced.
pub fn redact(s: &str, token: &str) -> String {
    if token.is_empty() {
        return s.to_owned();
    }
    s.replace(token, "<token>")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use teloxide::types::{ChatId, Seconds};

    use super::*;

    fn api(text: &str) -> RequestError {
        // The way teloxide itself parses a description.
        let err: ApiError = serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap();
        RequestError::Api(err)
    }

    #[test]
    fn retry_after_is_a_rate_limit_on_the_chat_with_the_hint() {
        let e = classify(&RequestError::RetryAfter(Seconds::from_seconds(2)), "t");
        assert_eq!(
            e,
            DeliveryError::RateLimited {
                retry_after: Duration::from_secs(2),
                scope: LimitScope::Chat,
                reason: "Telegram rate limit: retry after 2 s".into()
            }
        );
    }

    #[test]
    fn migration_is_moved() {
        let e = classify(&RequestError::MigrateToChatId(ChatId(-1001234567890)), "t");
        assert_eq!(e, DeliveryError::Moved { new_id: "-1001234567890".into() });
    }

    #[test]
    fn gone_chats_and_people_are_permanent() {
        for text in [
            "Forbidden: bot can't initiate conversation with a user",
            "Unauthorized: bot can't initiate conversation with a user",
            "Forbidden: bot was kicked from the group chat",
            "Forbidden: bot was kicked from the supergroup chat",
            "Forbidden: bot is not a member of the supergroup chat",
            "Forbidden: bot was blocked by the user",
            "Bad Request: chat not found",
            "Forbidden: user is deactivated",
            "Bad Request: message is too long",
        ] {
            let e = classify(&api(text), "t");
            assert!(matches!(e, DeliveryError::Permanent { .. }), "{text} gave {e:?}");
        }
        let e = classify(&api("Forbidden: bot can't initiate conversation with a user"), "t");
        assert!(e.to_string().contains("press Start"), "{e}");
    }

    #[test]
    fn server_trouble_is_transient() {
        for text in ["Internal Server Error", "Bad Gateway", "Too Many Requests: retry later", "Unauthorized"] {
            let e = classify(&api(text), "t");
            assert!(e.is_transient(), "{text} gave {e:?}");
        }
    }

    #[test]
    fn token_never_appears_in_reasons() {
        assert_eq!(redact("url http://x/bot123:ABC/getMe", "123:ABC"), "url http://x/bot<token>/getMe");
    }
}
