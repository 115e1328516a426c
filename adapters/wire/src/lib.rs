//! The contract between treecast's core and every platform adapter.
//!
//! Adapters know only this crate: they turn platform events into [`Inbound`]
//! values and deliver [`Outbound`] values, sorting failures into
//! [`DeliveryError::Transient`] and [`DeliveryError::Permanent`]. Rendering
//! (HTML, Telegram markup, MIME) happens inside adapters, never in the core.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

#[cfg(feature = "fake")]
pub mod conformance;
#[cfg(feature = "fake")]
pub mod fake;

/// A messaging platform treecast speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Console,
    Email,
    Matrix,
    Telegram,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Console, Platform::Email, Platform::Matrix, Platform::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Email => "email",
            Platform::Matrix => "matrix",
            Platform::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of place a chat is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    /// A private conversation between the bot and one person.
    Direct,
    /// A group chat or room with several people.
    Group,
    /// A mailing list: `Address::members` (or the list address itself).
    List,
}

/// A place messages go to or come from on one platform.
///
/// `id` is the platform's own id: a Telegram chat id, a Matrix room id (or,
/// for `Direct`, the user id to open a DM with), an email address or list
/// address, a console user or group name. For `List`, `members` holds the
/// recipients; when it is empty the message goes to `id` itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    pub platform: Platform,
    pub kind: ChatKind,
    pub id: String,
    // No skip_serializing_if: the core stores addresses with a
    // non-self-describing encoding.
    #[serde(default)]
    pub members: Vec<String>,
}

impl Address {
    pub fn direct(platform: Platform, user: impl Into<String>) -> Self {
        Address { platform, kind: ChatKind::Direct, id: user.into(), members: Vec::new() }
    }

    pub fn group(platform: Platform, chat: impl Into<String>) -> Self {
        Address { platform, kind: ChatKind::Group, id: chat.into(), members: Vec::new() }
    }

    pub fn list(id: impl Into<String>, members: Vec<String>) -> Self {
        Address { platform: Platform::Email, kind: ChatKind::List, id: id.into(), members }
    }

    /// As `Display`, but a person's id (a direct chat's) shows only its
    /// first two characters: logs name chats, not people.
    pub fn for_logs(&self) -> String {
        if self.kind != ChatKind::Direct {
            return self.to_string();
        }
        let shown: String = self.id.chars().take(2).collect();
        format!("{}:dm:{shown}***", self.platform)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ChatKind::Direct => "dm",
            ChatKind::Group => "group",
            ChatKind::List => "list",
        };
        write!(f, "{}:{}:{}", self.platform, kind, self.id)
    }
}

/// The person who sent an inbound message, as the platform names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// The platform's user id: email address, `@user:server`, Telegram user id.
    pub id: String,
    pub display_name: Option<String>,
    /// The adapter has proven the sender is who `id` says (DKIM/SPF for email;
    /// always true where the platform authenticates its users).
    pub verified: bool,
}

/// A file carried with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Adapters do not fetch a chat file larger than this (what the platform
/// declares): it comes as [`Attachment::too_large`], which the core refuses
/// by its size like any file over its limit, without holding it in memory.
pub const MAX_FETCH_BYTES: u64 = 64 * 1024 * 1024;

/// The content type of a file left unfetched for its size.
const TOO_LARGE: &str = "application/x-treecast-too-large";

impl Attachment {
    /// A file not fetched because the platform says it has `size` bytes.
    pub fn too_large(name: impl Into<String>, size: u64) -> Attachment {
        Attachment { name: name.into(), content_type: format!("{TOO_LARGE}; size={size}"), data: Vec::new() }
    }

    /// Its size in bytes: what it holds, or what an unfetched file declared.
    pub fn size(&self) -> u64 {
        self.content_type
            .strip_prefix(TOO_LARGE)
            .and_then(|rest| rest.trim_start_matches(';').trim().strip_prefix("size="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(self.data.len() as u64)
    }
}

/// What happened, as an adapter reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InboundKind {
    /// A text message (a command, an answer, a reply).
    Message,
    /// A reaction (emoji key) on `Inbound::in_reply_to`.
    Reaction { key: String },
    /// A button press carrying the button's `data`.
    Button { data: String },
    /// The bot was removed from `Inbound::chat` or can no longer post there.
    Removed,
    /// The chat moved to a new id (Telegram group upgraded to supergroup).
    Migrated { new_id: String },
    /// A person changed a message they sent earlier: `original` is its
    /// platform id, `Inbound::text` the new text, and `Inbound::message_id`
    /// names this change (the same change offered twice has the same id).
    Edited { original: String },
    /// A person (or a moderator) removed the message `original`.
    Deleted { original: String },
}

/// One event from a platform, in the core's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub kind: InboundKind,
    /// Where it happened.
    pub chat: Address,
    pub sender: Sender,
    /// The platform's id of this event (for de-duplication and threading).
    pub message_id: String,
    /// Text with quoted history already stripped by the adapter.
    pub text: String,
    /// Platform message id this answers or reacts to, when there is one.
    pub in_reply_to: Option<String>,
    /// Email: the Subject line (decoded); empty elsewhere.
    #[serde(default)]
    pub subject: String,
    /// Email: the bot address the mail was sent to, e.g.
    /// `notice+4143010533@bot.example` (posting by email). None elsewhere.
    #[serde(default)]
    pub sent_to: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Which of the platform's bot accounts received it (see
    /// [`Adapter::accounts`]); empty for the platform's first account.
    #[serde(default)]
    pub account: String,
    /// The group's or room's name as its members see it, where the
    /// platform tells it (checked against the naming rules on binding).
    #[serde(default)]
    pub chat_title: Option<String>,
}

impl Inbound {
    /// A plain text message, the common case in tests and the console.
    pub fn text(chat: Address, sender: &str, text: impl Into<String>) -> Self {
        Inbound {
            kind: InboundKind::Message,
            chat,
            sender: Sender { id: sender.to_owned(), display_name: None, verified: true },
            message_id: String::new(),
            text: text.into(),
            in_reply_to: None,
            subject: String::new(),
            sent_to: None,
            attachments: Vec::new(),
            account: String::new(),
            chat_title: None,
        }
    }
}

/// What a button does when pressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonAction {
    /// Comes back as `InboundKind::Button { data }`.
    Callback(String),
    /// Opens a link.
    Url(String),
    /// Starts a private conversation with the bot carrying `payload`: a
    /// Telegram deep link `https://t.me/<bot>?start=<payload>`; elsewhere the
    /// adapter writes "send `/start <payload>` to <bot>". The private chat
    /// then sends `/start <payload>` as an ordinary message.
    StartPrivate(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub action: ButtonAction,
}

/// Why a message is sent; adapters may render kinds differently
/// (`m.notice` for notices in Matrix, List-Id headers on list mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboundKind {
    Notice,
    Reminder,
    /// A private message between people, relayed by the bot.
    Private,
    /// The bot's own answer to a command or conversation step.
    Reply,
    /// Replaces the text of the bot's earlier message `Outbound::in_reply_to`
    /// with `body` (sent only where [`Capabilities::edits`] is true).
    Edit,
    /// Removes the bot's earlier message `Outbound::in_reply_to` (sent only
    /// where [`Capabilities::edits`] is true).
    Delete,
    /// Not a message: sets the chat's picture to the first attachment (a
    /// PNG) and its description to `body` (sent only where
    /// [`Capabilities::branding`] is true). A missing right is a permanent
    /// failure whose reason names the right to grant, Chinese first.
    Brand,
}

/// One message for an adapter to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    /// Stable delivery id: the same message retried keeps it, so adapters use
    /// it for idempotency (Matrix transaction id, email Message-ID).
    pub id: String,
    pub kind: OutboundKind,
    pub to: Address,
    /// Text fields are shared: one notice fans out to many channels.
    pub title: Option<Arc<str>>,
    pub body: Arc<str>,
    /// Appended by the adapter below the body, set apart (the unified slogan).
    pub footer: Option<Arc<str>>,
    pub buttons: Vec<Button>,
    pub attachments: Arc<[Attachment]>,
    /// Platform message id to thread under, when there is one.
    pub in_reply_to: Option<String>,
    /// The bot account to send through (see [`Adapter::accounts`]); empty
    /// for the platform's first account. A chat is reached through the
    /// account that is in it.
    #[serde(default)]
    pub via: String,
    /// A subscription's unsubscribe token: mail carries it in
    /// `List-Unsubscribe` (RFC 2369, and RFC 8058 one-click where an
    /// unsubscribe URL is configured); other platforms ignore it.
    #[serde(default)]
    pub unsubscribe: Option<String>,
    /// For a message to a [`ChatKind::List`]: the name the list goes by, set
    /// by the core from the org the list is bound to. Mail shows it as the
    /// description in `List-Id` (RFC 2919); other platforms ignore it.
    #[serde(default)]
    pub list_name: Option<Arc<str>>,
}

impl Outbound {
    /// A plain reply with no title, footer or buttons.
    pub fn reply(id: impl Into<String>, to: Address, body: impl Into<Arc<str>>) -> Self {
        Outbound {
            id: id.into(),
            kind: OutboundKind::Reply,
            to,
            title: None,
            body: body.into(),
            footer: None,
            buttons: Vec::new(),
            attachments: Arc::from(Vec::new()),
            in_reply_to: None,
            via: String::new(),
            unsubscribe: None,
            list_name: None,
        }
    }

    /// Title, body and footer as plain text, the way text-only platforms show it.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        if let Some(t) = &self.title {
            out.push_str(t);
            out.push_str("\n\n");
        }
        out.push_str(&self.body);
        if let Some(f) = &self.footer {
            out.push_str("\n\n");
            out.push_str(f);
        }
        out
    }
}

/// What an adapter's platform can do, as the adapter delivers and reports it:
/// the core asks [`Adapter::capabilities`] instead of branching on
/// [`Platform`]. Each field states what the adapter itself does, not only
/// what the platform could do (Telegram can edit messages, but no adapter
/// edits, so `edits` is false there).
///
/// [`Capabilities::default`] is the most conservative answer, plain text
/// only: every flag false and no split length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Inline buttons are shown and pressable: a [`ButtonAction::Callback`]
    /// press comes back as [`InboundKind::Button`]. When false the adapter
    /// writes buttons out as text ("reply 收到", a link) and a person answers
    /// with a message instead.
    pub buttons: bool,
    /// People can react to a message and the adapter reports it as
    /// [`InboundKind::Reaction`] with `in_reply_to` naming the message.
    pub reactions: bool,
    /// Messages carry a subject line: [`Outbound::title`] becomes it,
    /// [`Inbound::subject`] is filled, and replies are titled "Re: ..." as
    /// mail clients do.
    pub subjects: bool,
    /// Replies are tied to the message they answer through `in_reply_to`: a
    /// person's reply comes back naming it ([`Inbound::in_reply_to`]), so the
    /// core can route answers to a notice's author. (Whether the platform also
    /// shows the bot's [`Outbound::in_reply_to`] as a reply is in the
    /// adapter's docs.)
    pub threads: bool,
    /// [`ButtonAction::StartPrivate`] opens a private chat with the bot that
    /// carries the payload natively (a Telegram deep link). When false the
    /// adapter writes "send `/start <payload>`" for the person to type.
    pub deep_links: bool,
    /// The bot can edit and delete a message it sent ([`OutboundKind::Edit`],
    /// [`OutboundKind::Delete`]) and reports people's edits as
    /// [`InboundKind::Edited`].
    pub edits: bool,
    /// The bot can write to one person privately ([`ChatKind::Direct`]) on
    /// this platform, not only in groups. (Telegram: only to people who have
    /// started the bot.)
    pub private_chats: bool,
    /// The longest text, in characters of [`Outbound::plain_text`], that
    /// always arrives as one message; longer text is split by the adapter into
    /// several messages (several ids in [`Delivered`]), never refused. The
    /// figure holds for any characters: where the platform counts in other
    /// units (UTF-16 units, bytes of HTML) it is the worst case, so ordinary
    /// text may fit more. 0 = the adapter never splits.
    pub max_message_chars: usize,
    /// The most messages the bot may send to one group chat a minute (0 =
    /// no such limit): relayed chatter beyond it is merged into fewer messages.
    pub group_messages_per_minute: u32,
    /// The bot can set a group's picture and description
    /// ([`OutboundKind::Brand`]), given the rights in the chat.
    pub branding: bool,
}

impl Capabilities {
    /// Plain text only: the same as [`Capabilities::default`].
    pub const PLAIN_TEXT: Capabilities = Capabilities {
        buttons: false,
        reactions: false,
        subjects: false,
        threads: false,
        deep_links: false,
        edits: false,
        private_chats: false,
        max_message_chars: 0,
        group_messages_per_minute: 0,
        branding: false,
    };

    /// Whether `text` is sure to arrive as one message (see
    /// [`Capabilities::max_message_chars`]).
    pub fn fits_one_message(&self, text: &str) -> bool {
        self.max_message_chars == 0 || text.chars().nth(self.max_message_chars).is_none()
    }
}

/// A successful delivery: the platform's ids of what was posted (several when
/// a long message was split), so replies to any of them can be routed back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Delivered {
    pub message_ids: Vec<String>,
}

/// A delivery that did not happen, sorted at the adapter boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later: rate limited (429, `M_LIMIT_EXCEEDED`), 5xx, 4xx SMTP,
    /// network trouble. `retry_after` is the platform's own hint, if it gave one.
    #[error("temporary failure: {reason}")]
    Transient { retry_after: Option<Duration>, reason: String },
    /// Will never succeed as sent: bot removed, chat gone, 5xx SMTP, forbidden.
    #[error("permanent failure: {reason}")]
    Permanent { reason: String },
    /// The chat now lives at `new_id` (a Telegram group upgraded to a
    /// supergroup): the core moves the channel and delivers there.
    #[error("chat moved to {new_id}")]
    Moved { new_id: String },
    /// The platform's rate limit refused the message (HTTP 429,
    /// `M_LIMIT_EXCEEDED`): not a failed try. The core waits exactly
    /// `retry_after` before sending to what `scope` names again.
    #[error("rate limited for {retry_after:?} ({scope:?}): {reason}")]
    RateLimited { retry_after: Duration, scope: LimitScope, reason: String },
}

/// What a rate limit answer holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitScope {
    /// Only the chat the message was for (Telegram's per-chat and per-group
    /// flood limits): other chats keep going.
    Chat,
    /// Everything the bot account sends (Synapse's `rc_message` is per
    /// user; an SMTP relay's rate limit is per login).
    Account,
}

impl DeliveryError {
    pub fn transient(reason: impl Into<String>) -> Self {
        DeliveryError::Transient { retry_after: None, reason: reason.into() }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        DeliveryError::Permanent { reason: reason.into() }
    }

    /// Whether trying again later may succeed (a rate limit included).
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryError::Transient { .. } | DeliveryError::RateLimited { .. })
    }
}

/// An adapter failed to start or lost its platform for good.
#[derive(Debug, thiserror::Error)]
#[error("{platform} adapter: {message}")]
pub struct AdapterError {
    pub platform: Platform,
    pub message: String,
}

impl AdapterError {
    pub fn new(platform: Platform, message: impl Into<String>) -> Self {
        AdapterError { platform, message: message.into() }
    }
}

/// Fires once when the process shuts down.
pub type Shutdown = watch::Receiver<bool>;

/// Waits until `shutdown` fires (or its sender is dropped).
pub async fn shutdown_signalled(shutdown: &mut Shutdown) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// One platform, as the core sees it.
#[async_trait::async_trait]
pub trait Adapter: Send + Sync + 'static {
    fn platform(&self) -> Platform;

    /// What this adapter's platform can do (see [`Capabilities`]). The same
    /// answer every time: the core may ask once and keep it.
    fn capabilities(&self) -> Capabilities;

    /// The bot accounts this adapter sends through, the first being the
    /// platform's home account (the one an empty [`Outbound::via`] means,
    /// and the one deep links name). Each account has its own quota in the
    /// core's outbox. Default: one unnamed account.
    fn accounts(&self) -> Vec<String> {
        vec![String::new()]
    }

    /// Delivers one message. Called again with the same `Outbound::id` after a
    /// transient failure or a restart; the adapter must not post it twice
    /// where the platform can de-duplicate.
    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError>;

    /// Receives events until `shutdown` fires, sending each to `inbound`.
    /// Events sent with [`InboundEnvelope::with_commit`] learn their
    /// [`Outcome`] once the core has committed their effects.
    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, shutdown: Shutdown) -> Result<(), AdapterError>;
}

/// What the core made of an inbound event, once its effects are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled (including a polite answer to an unknown command).
    Done,
    /// Could not be acted on; the core has already answered the sender with
    /// `reason`. Email moves such mail to its quarantine folder.
    Rejected { reason: String },
}

/// An inbound event plus a way to learn its outcome once committed.
#[derive(Debug)]
pub struct InboundEnvelope {
    pub event: Inbound,
    pub committed: Option<tokio::sync::oneshot::Sender<Outcome>>,
}

impl InboundEnvelope {
    pub fn new(event: Inbound) -> Self {
        InboundEnvelope { event, committed: None }
    }

    /// An event whose adapter waits for the core's commit before moving on
    /// (email checkpoints its IMAP UID only after this fires). If the
    /// receiver sees the sender dropped, the core did not commit: process
    /// the event again later.
    pub fn with_commit(event: Inbound) -> (Self, tokio::sync::oneshot::Receiver<Outcome>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (InboundEnvelope { event, committed: Some(tx) }, rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_left_unfetched_keeps_its_declared_size() {
        let big = Attachment::too_large("视频.mp4", 200_000_000);
        assert_eq!((big.size(), big.data.len()), (200_000_000, 0));
        let small =
            Attachment { name: "表.xlsx".into(), content_type: "application/octet-stream".into(), data: vec![1; 7] };
        assert_eq!(small.size(), 7);
    }

    #[test]
    fn default_capabilities_are_plain_text_only() {
        let c = Capabilities::default();
        assert_eq!(c, Capabilities::PLAIN_TEXT);
        let flags = [c.buttons, c.reactions, c.subjects, c.threads, c.deep_links, c.edits, c.private_chats];
        assert!(flags.iter().all(|f| !f), "{c:?}");
        assert_eq!(c.max_message_chars, 0);
    }

    #[test]
    fn fits_one_message_counts_characters_and_zero_means_no_limit() {
        let c = Capabilities { max_message_chars: 4, ..Capabilities::default() };
        assert!(c.fits_one_message(""));
        assert!(c.fits_one_message("团日活动"), "four characters, twelve bytes");
        assert!(!c.fits_one_message("团日活动!"));
        assert!(Capabilities::default().fits_one_message(&"通知".repeat(100_000)));
    }

    #[test]
    fn a_partial_description_deserializes_with_conservative_defaults() {
        use serde::de::value::{Error, MapDeserializer};
        let given = MapDeserializer::<_, Error>::new([("buttons", true), ("threads", true)].into_iter());
        let c = Capabilities::deserialize(given).unwrap();
        assert_eq!(c, Capabilities { buttons: true, threads: true, ..Capabilities::PLAIN_TEXT });
    }
}
