//! treecast's Telegram adapter: delivers `Outbound` messages with teloxide and
//! turns updates (long polling or a webhook) into `Inbound` events.
//!
//! Message ids on the wire are `"<chat_id>:<message_id>"`. Telegram cannot
//! de-duplicate sends, so the adapter remembers, per process, what each
//! delivery id already posted. Several bot tokens make several accounts,
//! each named by its bot id: a chat is reached through the bot that is in
//! it, and the first token's bot is the home account (private chats, deep
//! links). See `docs/adapters/telegram.md`.

mod errors;
mod inbound;
mod receive;
mod render;
mod sent;
mod settings;

use std::fmt;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode as TgParseMode, ReplyParameters,
};
use tokio::sync::mpsc;
use treecast_wire::{
    Adapter, AdapterError, Capabilities, ChatKind, Delivered, DeliveryError, InboundEnvelope, Outbound, OutboundKind,
    Platform, Shutdown,
};

pub use errors::{classify, redact};
pub use inbound::{message_ref, parse_message_ref, strip_bot_mention, to_inbound, BotIdentity};
pub use render::{deep_link, escape_html, keyboard, render, utf16_len, KeyboardButton, MAX_CHARS, MAX_UTF16};
pub use settings::{tokens_from_env, Mode, ParseMode, Settings, TOKENS_ENV, TOKEN_ENV, TOKEN_FILE_ENV};
pub use teloxide;

/// What this adapter does on Telegram (`docs/adapters/telegram.md`).
pub const CAPABILITIES: Capabilities = Capabilities {
    // Inline keyboards; presses come back as callback queries.
    buttons: true,
    // Telegram has reactions, but the adapter does not ask for
    // `message_reaction` updates (bots see them only as group admins).
    reactions: false,
    subjects: false,
    // Replies carry `reply_to_message`; `in_reply_to` becomes reply parameters.
    threads: true,
    // `StartPrivate` is a `t.me/<bot>?start=<payload>` link.
    deep_links: true,
    // `editMessageText` / `deleteMessage`; people's edits come as `edited_message`.
    // (Telegram does not tell bots when a person deletes a message.)
    edits: true,
    // Only to people who have started the bot (403 otherwise).
    private_chats: true,
    max_message_chars: MAX_CHARS,
    // Telegram's limit for one group: 20 messages a minute.
    group_messages_per_minute: 20,
    // `setChatPhoto` and `setChatDescription` (the bot needs the admin right "Change Group Info").
    branding: true,
};

/// One bot token: a Telegram account of its own, with its own quota.
struct Account {
    /// The bot's id, as `Inbound::account` and `Outbound::via` name it.
    name: String,
    bot: Bot,
    token: String,
    me: BotIdentity,
    sent: sent::SentLog,
}

/// The Telegram adapter over one or more bots. Cheap to share behind an `Arc`.
pub struct TelegramAdapter {
    /// The home account first.
    accounts: Vec<Account>,
    settings: Settings,
}

impl fmt::Debug for TelegramAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bots: Vec<&str> = self.accounts.iter().map(|a| a.me.username.as_str()).collect();
        f.debug_struct("TelegramAdapter").field("bots", &bots).field("settings", &self.settings).finish()
    }
}

fn adapter_error(message: impl Into<String>) -> AdapterError {
    AdapterError::new(Platform::Telegram, message)
}

impl TelegramAdapter {
    /// Connects with the tokens in the environment (`TREECAST_TELEGRAM_TOKEN`,
    /// `TREECAST_TELEGRAM_TOKENS`, `TREECAST_TELEGRAM_TOKEN_FILE`; see
    /// [`tokens_from_env`]) and learns each bot's username with `getMe`.
    pub async fn new(settings: Settings) -> Result<Self, AdapterError> {
        let tokens = tokens_from_env().map_err(adapter_error)?;
        Self::with_tokens(settings, tokens).await
    }

    /// As [`TelegramAdapter::new`] with one token given (tests, embedding).
    pub async fn with_token(settings: Settings, token: impl Into<String>) -> Result<Self, AdapterError> {
        Self::with_tokens(settings, vec![token.into()]).await
    }

    /// As [`TelegramAdapter::new`] with the tokens given, the home bot's first.
    pub async fn with_tokens(settings: Settings, tokens: Vec<String>) -> Result<Self, AdapterError> {
        if tokens.is_empty() {
            return Err(adapter_error(format!(
                "no bot token: put the token from @BotFather in {TOKEN_ENV} (or several in {TOKENS_ENV} or the file {TOKEN_FILE_ENV} names)"
            )));
        }
        if tokens.len() > 1 && settings.mode == Mode::Webhook {
            return Err(adapter_error(format!(
                "telegram.mode is \"webhook\" but {} bot tokens are set; several bots need mode = \"polling\"",
                tokens.len()
            )));
        }
        let mut accounts: Vec<Account> = Vec::with_capacity(tokens.len());
        for token in tokens {
            let a = Self::account(&settings, token).await?;
            if accounts.iter().any(|b| b.name == a.name) {
                return Err(adapter_error(format!("bot {} (@{}) is given twice", a.name, a.me.username)));
            }
            accounts.push(a);
        }
        tracing::info!(bots = accounts.len(), home = %accounts[0].me.username, "telegram adapter ready");
        Ok(TelegramAdapter { accounts, settings })
    }

    async fn account(settings: &Settings, token: String) -> Result<Account, AdapterError> {
        // Long polls must outlive their own timeout; teloxide's default client gives up at 17 s.
        let client = teloxide::net::default_reqwest_settings()
            .timeout(std::time::Duration::from_secs(u64::from(settings.poll_timeout_secs) + 10))
            .build()
            .map_err(|e| adapter_error(format!("could not set up an HTTP client: {e}")))?;
        let mut bot = Bot::with_client(token.clone(), client);
        if let Some(url) = settings.api_url().map_err(adapter_error)? {
            bot = bot.set_api_url(url);
        }
        if settings.mode == Mode::Webhook {
            settings.webhook().map_err(adapter_error)?;
        }
        let me = bot.get_me().await.map_err(|e| match e {
            teloxide::RequestError::Api(teloxide::ApiError::InvalidToken) => {
                adapter_error(format!("Telegram rejected the bot token in {TOKEN_ENV}"))
            }
            other => adapter_error(redact(
                &format!("could not reach the Telegram Bot API to check the bot (getMe: {other})"),
                &token,
            )),
        })?;
        let me = BotIdentity { id: me.user.id.0, username: me.username().to_owned() };
        tracing::info!(bot = %me.username, "telegram bot ready");
        Ok(Account { name: me.id.to_string(), bot, token, me, sent: sent::SentLog::default() })
    }

    /// The home bot's username, as learnt from `getMe` (no `@`).
    pub fn username(&self) -> &str {
        &self.accounts[0].me.username
    }

    /// The home bot's id and username.
    pub fn identity(&self) -> &BotIdentity {
        &self.accounts[0].me
    }

    /// The bot `via` names (empty: the home bot).
    fn account_for(&self, via: &str) -> Result<&Account, DeliveryError> {
        if via.is_empty() {
            return Ok(&self.accounts[0]);
        }
        self.accounts.iter().find(|a| a.name == via).ok_or_else(|| {
            DeliveryError::permanent(format!(
                "the chat is reached through Telegram bot {via}, whose token is no longer configured"
            ))
        })
    }

    async fn post(&self, acct: &Account, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let chat = target_chat(msg)?;
        if msg.kind == OutboundKind::Brand {
            let done = self.brand(acct, msg, chat).await?;
            acct.sent.finish(&msg.id, &done);
            return Ok(done);
        }
        if matches!(msg.kind, OutboundKind::Edit | OutboundKind::Delete) {
            let done = self.revise(acct, msg, chat).await?;
            acct.sent.finish(&msg.id, &done);
            return Ok(done);
        }
        let parts = render(msg, self.settings.parse_mode);
        if parts.is_empty() {
            return Err(DeliveryError::permanent("the message is empty"));
        }
        // Deep links name the home bot: private conversations live there.
        let markup = keyboard(&msg.buttons, self.username()).map_err(DeliveryError::permanent)?;
        let reply_to = msg.in_reply_to.as_deref().and_then(parse_message_ref).filter(|(c, _)| *c == chat.0);
        let mut ids = acct.sent.progress(&msg.id);
        for (i, text) in parts.iter().enumerate().skip(ids.len()) {
            let mut req = acct.bot.send_message(chat, text.clone());
            if self.settings.parse_mode == ParseMode::Html {
                req = req.parse_mode(TgParseMode::Html);
            }
            if let (0, Some((_, id))) = (i, reply_to) {
                req = req.reply_parameters(ReplyParameters {
                    allow_sending_without_reply: Some(true),
                    ..ReplyParameters::new(MessageId(id))
                });
            }
            if i + 1 == parts.len() && !markup.is_empty() {
                req = req.reply_markup(inline_keyboard(&markup));
            }
            let posted = req.await.map_err(|e| classify(&e, &acct.token))?;
            ids.push(message_ref(posted.chat.id.0, posted.id.0));
            acct.sent.record_progress(&msg.id, &ids);
        }
        let done = Delivered { message_ids: ids };
        acct.sent.finish(&msg.id, &done);
        Ok(done)
    }
}

/// What a group's admin must grant the bot before it can brand the group.
pub const BRAND_RIGHT: &str = "请把机器人设为群管理员并授予“修改群组信息”权限。 Make the bot an admin of the group with the right \"Change Group Info\".";

impl TelegramAdapter {
    /// Sets the group's photo (the first attachment) and description (the
    /// body). Setting them again to the same is no change, not an error.
    async fn brand(&self, acct: &Account, msg: &Outbound, chat: ChatId) -> Result<Delivered, DeliveryError> {
        let refused = |e: teloxide::RequestError| {
            let text = e.to_string();
            let lower = text.to_lowercase();
            if lower.contains("not enough rights") || lower.contains("admin_required") || lower.contains("rights") {
                DeliveryError::permanent(BRAND_RIGHT)
            } else {
                classify(&e, &acct.token)
            }
        };
        if let Some(photo) = msg.attachments.first() {
            let file = InputFile::memory(photo.data.clone()).file_name(photo.name.clone());
            acct.bot.set_chat_photo(chat, file).await.map_err(refused)?;
        }
        match acct.bot.set_chat_description(chat).description(msg.body.to_string()).await {
            Ok(_) => {}
            Err(e) if e.to_string().to_lowercase().contains("not modified") => {}
            Err(e) => return Err(refused(e)),
        }
        Ok(Delivered { message_ids: Vec::new() })
    }

    /// Edits or deletes the bot's message `in_reply_to` in `chat`. An edit
    /// puts the new text in the first message of a split one.
    async fn revise(&self, acct: &Account, msg: &Outbound, chat: ChatId) -> Result<Delivered, DeliveryError> {
        let Some((_, id)) = msg.in_reply_to.as_deref().and_then(parse_message_ref).filter(|(c, _)| *c == chat.0) else {
            return Err(DeliveryError::permanent("no message of this chat to change"));
        };
        if msg.kind == OutboundKind::Delete {
            acct.bot.delete_message(chat, MessageId(id)).await.map_err(|e| classify(&e, &acct.token))?;
            return Ok(Delivered { message_ids: Vec::new() });
        }
        let text = render(msg, self.settings.parse_mode).into_iter().next().unwrap_or_default();
        let mut req = acct.bot.edit_message_text(chat, MessageId(id), text);
        if self.settings.parse_mode == ParseMode::Html {
            req = req.parse_mode(TgParseMode::Html);
        }
        match req.await {
            Ok(_) => {}
            // The same edit again (a retry after a crash): already done.
            Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => {}
            Err(e) => return Err(classify(&e, &acct.token)),
        }
        Ok(Delivered { message_ids: vec![message_ref(chat.0, id)] })
    }
}

fn target_chat(msg: &Outbound) -> Result<ChatId, DeliveryError> {
    if msg.to.platform != Platform::Telegram {
        return Err(DeliveryError::permanent(format!("{} is not a Telegram address", msg.to)));
    }
    if msg.to.kind == ChatKind::List {
        return Err(DeliveryError::permanent("Telegram has no mailing lists"));
    }
    let id: i64 = msg
        .to
        .id
        .trim()
        .parse()
        .map_err(|_| DeliveryError::permanent(format!("`{}` is not a Telegram chat id", msg.to.id)))?;
    Ok(ChatId(id))
}

fn inline_keyboard(buttons: &[KeyboardButton]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(buttons.iter().map(|b| {
        [match b {
            KeyboardButton::Callback { label, data } => InlineKeyboardButton::callback(label.clone(), data.clone()),
            KeyboardButton::Url { label, url } => InlineKeyboardButton::url(label.clone(), url.clone()),
        }]
    }))
}

#[async_trait::async_trait]
impl Adapter for TelegramAdapter {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn accounts(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.name.clone()).collect()
    }

    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let acct = self.account_for(&msg.via)?;
        if let Some(done) = acct.sent.done(&msg.id) {
            return Ok(done);
        }
        let result = self.post(acct, msg).await;
        if let Err(e) = &result {
            tracing::debug!(delivery = %msg.id, to = %msg.to.for_logs(), error = %e, "telegram delivery failed");
        }
        result
    }

    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, shutdown: Shutdown) -> Result<(), AdapterError> {
        let ctx = |a: &Account| {
            Arc::new(receive::Context {
                bot: a.bot.clone(),
                token: a.token.clone(),
                me: a.me.clone(),
                answer: self.settings.callback_answer.clone(),
                account: a.name.clone(),
            })
        };
        match self.settings.mode {
            Mode::Polling => {
                // One long poll per bot. A bot that fails (its token
                // revoked) stops alone; the first error is reported once
                // every poll has ended.
                let polls = self
                    .accounts
                    .iter()
                    .map(|a| receive::poll(ctx(a), self.settings.poll_timeout_secs, inbound.clone(), shutdown.clone()));
                let results = futures_util::future::join_all(polls).await;
                results.into_iter().collect::<Result<Vec<()>, _>>().map(|_| ())
            }
            Mode::Webhook => {
                let (listen, url) = self.settings.webhook().map_err(adapter_error)?;
                receive::webhook(ctx(&self.accounts[0]), listen, url, inbound, shutdown).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bad_api_url_is_one_clear_sentence() {
        let settings = Settings { api_url: Some("not a url".into()), ..Settings::default() };
        let err = TelegramAdapter::with_token(settings, "1:x").await.unwrap_err().to_string();
        assert_eq!(
            err,
            "telegram adapter: telegram.api_url `not a url` is not a valid URL (relative URL without a base)"
        );
    }

    #[tokio::test]
    async fn unreachable_api_names_the_problem_without_the_token() {
        let settings = Settings { api_url: Some("http://127.0.0.1:9".into()), ..Settings::default() };
        let err = TelegramAdapter::with_token(settings, "123:SECRET").await.unwrap_err().to_string();
        assert!(err.starts_with("telegram adapter: could not reach the Telegram Bot API"), "{err}");
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[tokio::test]
    async fn webhook_mode_needs_its_settings() {
        let settings = Settings { mode: Mode::Webhook, ..Settings::default() };
        let err = TelegramAdapter::with_token(settings, "1:x").await.unwrap_err().to_string();
        assert!(err.contains("webhook_listen is not set"), "{err}");
    }

    #[test]
    fn capabilities_match_what_render_does() {
        use treecast_wire::{Button, ButtonAction};

        let caps = CAPABILITIES;
        let press = Button { label: "收到".into(), action: ButtonAction::Callback("ack:1".into()) };
        let start = Button { label: "填写".into(), action: ButtonAction::StartPrivate("survey-9".into()) };
        let kb = keyboard(&[press, start], "treecast_bot").unwrap();
        assert_eq!(caps.buttons, matches!(kb[0], KeyboardButton::Callback { .. }), "callback buttons are real");
        let linked = matches!(&kb[1], KeyboardButton::Url { url, .. } if url.as_str().starts_with("https://t.me/"));
        assert_eq!(caps.deep_links, linked, "StartPrivate is a deep link");
        // The worst case for Telegram's count: every character two UTF-16 units.
        let to = treecast_wire::Address::group(Platform::Telegram, "-100");
        let mut msg = Outbound::reply("d", to, "🎉".repeat(caps.max_message_chars));
        assert!(caps.fits_one_message(&msg.plain_text()));
        assert_eq!(render(&msg, ParseMode::Html).len(), 1, "exactly the limit is one message");
        msg.body = "🎉".repeat(caps.max_message_chars + 1).into();
        assert!(!caps.fits_one_message(&msg.plain_text()));
        assert_eq!(render(&msg, ParseMode::Html).len(), 2, "one character more is split, not refused");
        // Chinese counts one unit a character: MAX_UTF16 of them still fit.
        msg.body = "青".repeat(MAX_UTF16).into();
        assert_eq!(render(&msg, ParseMode::Plain).len(), 1);
    }

    #[tokio::test]
    async fn wrong_platform_and_bad_ids_are_permanent() {
        let m = Outbound::reply("d", treecast_wire::Address::group(Platform::Matrix, "!r"), "x");
        assert!(matches!(target_chat(&m), Err(DeliveryError::Permanent { .. })));
        let m = Outbound::reply("d", treecast_wire::Address::group(Platform::Telegram, "abc"), "x");
        assert!(matches!(target_chat(&m), Err(DeliveryError::Permanent { .. })));
        let m = Outbound::reply("d", treecast_wire::Address::group(Platform::Telegram, "-100123"), "x");
        assert_eq!(target_chat(&m).unwrap(), ChatId(-100123));
    }
}
