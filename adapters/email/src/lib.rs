//! treecast's email adapter: notices and replies go out over SMTP (lettre),
//! mail comes in over IMAP (async-imap) and is read with mail-parser.
//!
//! - [`Settings`]: the `[email]` table; secrets from [`IMAP_PASSWORD_ENV`]
//!   and [`SMTP_PASSWORD_ENV`].
//! - [`EmailAdapter`]: the [`Adapter`] the core drives.
//! - Posting by email: mail to `notice+<org-code>@<domain>` reaches the bot
//!   mailbox and arrives with `Inbound::sent_to` set to that address.

mod auth;
mod charset;
mod checkpoint;
mod compose;
mod html;
mod imap;
mod inbound;
mod notice;
mod quote;
#[cfg(test)]
mod readback;
mod settings;
mod smtp;

use std::sync::Arc;

use tokio::sync::mpsc;
use treecast_wire::{
    Adapter, AdapterError, Capabilities, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform, Shutdown,
};

pub use auth::verified as authentication_results_verify;
pub use charset::encoding_for as charset_encoding;
pub use compose::{chunks, message_id, render_html, render_text};
pub use inbound::{html_to_text, read, MailPart, Reading, Unreadable};
pub use notice::SUBJECT as UNREADABLE_SUBJECT;
pub use quote::strip_quoted;
pub use settings::{Processed, Relay, Security, Settings, IMAP_PASSWORD_ENV, SMTP_PASSWORD_ENV};
pub use smtp::{classify as classify_smtp_reply, map_error as map_smtp_error};

/// What this adapter does by email (`docs/adapters/email.md`).
pub const CAPABILITIES: Capabilities = Capabilities {
    // Buttons are written out: "回复「已阅」 (reply with 已阅)", links as links.
    buttons: false,
    reactions: false,
    // The title is the Subject; inbound Subjects are decoded into `subject`.
    subjects: true,
    // In-Reply-To and References both ways.
    threads: true,
    // `StartPrivate` is written out: "reply to this mail with: /start <payload>".
    deep_links: false,
    // Sent mail cannot be changed.
    edits: false,
    // A `Direct` address is one person's mailbox.
    private_chats: true,
    // One MIME message per delivery, however long.
    max_message_chars: 0,
    group_messages_per_minute: 0,
    // A list has no picture; the slogan is in every mail's footer.
    branding: false,
};

/// The email adapter. Cheap to clone; clones share the SMTP pool.
#[derive(Clone)]
pub struct EmailAdapter {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) settings: Settings,
    pub(crate) smtp: smtp::Smtp,
    pub(crate) imap_password: Option<String>,
}

impl EmailAdapter {
    /// Validates `settings` and reads the passwords from
    /// `TREECAST_IMAP_PASSWORD` and `TREECAST_SMTP_PASSWORD`. Must be called
    /// inside a Tokio runtime. The IMAP password is needed only by `run`;
    /// SMTP logs in only when its password is set.
    pub fn new(settings: Settings) -> Result<Self, AdapterError> {
        let imap = settings::secret(IMAP_PASSWORD_ENV);
        let smtp = settings::secret(SMTP_PASSWORD_ENV);
        Self::with_passwords(settings, imap, smtp)
    }

    /// Like [`EmailAdapter::new`] with the passwords given directly (tests,
    /// or an embedding that keeps secrets elsewhere).
    pub fn with_passwords(
        settings: Settings,
        imap_password: Option<String>,
        smtp_password: Option<String>,
    ) -> Result<Self, AdapterError> {
        settings.validate()?;
        let smtp = smtp::Smtp::new(&settings, smtp_password)?;
        Ok(EmailAdapter { inner: Arc::new(Inner { settings, smtp, imap_password }) })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

impl std::fmt::Debug for EmailAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the passwords.
        f.debug_struct("EmailAdapter").field("address", &self.inner.settings.address).finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Adapter for EmailAdapter {
    fn platform(&self) -> Platform {
        Platform::Email
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    /// Sends `msg` as one MIME message (list members in envelopes of at most
    /// `max_recipients`). Returns its Message-ID `<id>@<domain>` without
    /// angle brackets; a retry with the same `Outbound::id` carries the same
    /// Message-ID and skips envelopes already accepted.
    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        if msg.kind == treecast_wire::OutboundKind::Brand {
            // `branding` is false: a list has no picture (the slogan is in every footer).
            return Ok(Delivered { message_ids: Vec::new() });
        }
        if matches!(msg.kind, treecast_wire::OutboundKind::Edit | treecast_wire::OutboundKind::Delete) {
            // `edits` is false: the core sends a follow-up mail instead.
            return Err(DeliveryError::permanent("a sent mail cannot be changed or removed"));
        }
        let composed = compose::compose(msg, &self.inner.settings)?;
        self.inner.smtp.send(&composed).await?;
        Ok(Delivered { message_ids: vec![composed.message_id] })
    }

    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, shutdown: Shutdown) -> Result<(), AdapterError> {
        imap::run(&self.inner, inbound, shutdown).await
    }
}
