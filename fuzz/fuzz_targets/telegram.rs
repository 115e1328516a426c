//! Telegram inbound conversion: a Bot API update as JSON text (as the
//! long poll and the webhook read it) -> `Inbound`, plus the message-ref
//! and `/cmd@bot` parsers on the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use treecast_telegram::teloxide::types::Update;
use treecast_telegram::{parse_message_ref, strip_bot_mention, to_inbound, BotIdentity};

fuzz_target!(|raw: &[u8]| {
    let Ok(text) = std::str::from_utf8(raw) else { return };
    let me = BotIdentity { id: 777, username: "treecast_bot".into() };
    if let Ok(update) = serde_json::from_str::<Update>(text) {
        if let Some(ev) = to_inbound(&update, &me) {
            assert!(!ev.message_id.is_empty(), "every event names its message");
            assert_ne!(ev.sender.id, "777", "the bot's own updates are not events");
        }
    }
    if let Some(stripped) = strip_bot_mention(text, "treecast_bot") {
        if !text.starts_with('/') {
            assert_eq!(stripped, text, "only commands are rewritten");
        }
    }
    let _ = parse_message_ref(text);
});
