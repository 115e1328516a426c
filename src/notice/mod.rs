//! Notices: what an official posts, whom it targets, and how one copy looks.
//! Posting is one small durable write; the outbox worker walks the target's
//! channels afterwards (see `fanout`).

pub mod ack;
pub mod fanout;
pub mod reply;
pub mod status;
mod target;
pub mod unreached;

use std::sync::Arc;

use treecast_wire::{Attachment, Button, ButtonAction, Outbound, OutboundKind};

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::schedule::{self, Job};
pub use crate::store::notices::{Draft, Notice, NoticeKind, Target};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::channels::Channel;
use crate::tree::Tree;

/// Post-time settings from the config.
#[derive(Debug, Clone)]
pub struct NoticeRules {
    pub footer: Arc<str>,
    pub max_attachment_bytes: u64,
    /// How long before an acknowledgement deadline the automatic reminder goes (zero: none).
    pub remind_before: std::time::Duration,
}

/// The kind of the scheduled automatic reminder (run by the notices feature).
pub const REMIND_JOB: &str = "notice.remind";

/// Stable id of one copy of a notice in one channel: the adapters'
/// idempotency key, with the store's unguessable tag (`Store::delivery_tag`).
pub fn delivery_id(notice: u64, channel: u64, tag: &str) -> String {
    format!("n{notice}-c{channel}-{tag}")
}

/// The button data for acknowledging a notice.
pub fn ack_data(notice: u64) -> String {
    format!("ack:{notice}")
}

impl Tree {
    pub fn notice(&self, id: u64) -> Result<Option<Notice>> {
        self.store.notice(id)
    }

    pub fn require_notice(&self, id: u64) -> Result<Notice> {
        self.notice(id)?.ok_or_else(|| Error::not_found(msg(Msg::NoNotice, &[("id", &id)])))
    }

    /// Checks the draft and the author's right to post, then makes the notice
    /// and its target durable in one small write. The fan-out happens later.
    /// A notice that no bound chat would receive is refused.
    pub fn post(&self, author: u64, draft: Draft, rules: &NoticeRules) -> Result<Notice> {
        self.post_to(author, draft, rules, true)
    }

    /// Like `post`, but a target without channels is accepted (a survey's
    /// announcement: its audience can still find it with /survey).
    pub fn post_even_unreachable(&self, author: u64, draft: Draft, rules: &NoticeRules) -> Result<Notice> {
        self.post_to(author, draft, rules, false)
    }

    fn post_to(&self, author: u64, draft: Draft, rules: &NoticeRules, need_reach: bool) -> Result<Notice> {
        let issuer = self.require(&draft.issuer_code)?;
        self.check(author, Action::PostNotice, &issuer)?;
        let title = draft.title.trim().to_owned();
        if title.is_empty() {
            return Err(Error::invalid(Msg::NoticeNoTitle.text()));
        }
        if title.chars().count() > 200 {
            return Err(Error::invalid(Msg::NoticeTitleTooLong.text()));
        }
        let size: u64 = draft.attachments.iter().map(|a| a.size()).sum();
        if size > rules.max_attachment_bytes {
            return Err(Error::invalid(msg(
                Msg::AttachmentsTooBig,
                &[("size", &(size / 1024)), ("limit", &(rules.max_attachment_bytes / 1024))],
            )));
        }
        let target = self.resolve_target(&issuer, &draft)?;
        if need_reach && self.expected(&target, &issuer)?.0 == 0 {
            return Err(Error::invalid(msg(Msg::NoChannels, &[("org", &issuer.name)])));
        }
        let notice = Notice {
            id: self.store.next_number("notice")?,
            kind: NoticeKind::Notice,
            issuer: issuer.id,
            author,
            title,
            body: draft.body.trim().to_owned(),
            attachments: draft.attachments,
            target,
            ack_required: draft.ack_required,
            ack_deadline: draft.ack_deadline,
            created: self.clock.now(),
            auto_reminded: false,
            buttons: draft.buttons,
        };
        let mut w = Writes::default();
        // Who it cannot reach is kept by the `notices.unreached` subscriber
        // (a walk of the whole target, not made while the official waits).
        self.notice_writes(&notice, &mut w)?;
        if let Some(deadline) = notice.ack_deadline.filter(|_| notice.ack_required && !rules.remind_before.is_zero()) {
            let at = deadline.saturating_sub(rules.remind_before.as_secs()) * 1000;
            let job = Job::new(REMIND_JOB, format!("{REMIND_JOB}:{}", notice.id), notice.id.to_be_bytes().to_vec());
            schedule::put(&self.store, &mut w, at, &job)?;
        }
        self.store.commit(&w)?;
        Ok(notice)
    }

    /// Queues a reminder of `of` to every targeted org that has not acknowledged.
    pub fn remind(&self, by: u64, of: u64) -> Result<Notice> {
        let original = self.require_notice(of)?;
        let issuer = self.require_id(original.issuer)?;
        // Reminding needs the same right as seeing the status, but the refusal says what was asked.
        if !self.allowed(by, Action::ViewStatus, &issuer)? {
            return Err(Error::denied(msg(Msg::MayNotRemind, &[("code", &issuer.code), ("name", &issuer.name)])));
        }
        let mut w = Writes::default();
        let n = self.reminder_writes(&original, by, &mut w)?;
        self.store.commit(&w)?;
        Ok(n)
    }

    /// A reminder of `original` by `by`, added to `w`.
    pub fn reminder_writes(&self, original: &Notice, by: u64, w: &mut Writes) -> Result<Notice> {
        let notice = Notice {
            id: self.store.next_number("notice")?,
            kind: NoticeKind::Reminder { of: original.root_id() },
            author: by,
            created: self.clock.now(),
            ..original.clone()
        };
        self.notice_writes(&notice, w)?;
        Ok(notice)
    }

    /// The notice record, its place in the active set and its event, together.
    fn notice_writes(&self, n: &Notice, w: &mut Writes) -> Result<()> {
        w.put_notice(n);
        w.activate_notice(n.id);
        let reminder_of = match n.kind {
            NoticeKind::Reminder { of } => Some(of),
            NoticeKind::Notice => None,
        };
        let e = Event::NoticePosted { notice: n.id, issuer: n.issuer, author: n.author, reminder_of };
        events::emit(w, self.clock.now_ms(), &e);
        // Its audience is fixed now: chats bound later (a higher id) are not part of it.
        w.put_horizon(n.id, self.store.next_id()?);
        Ok(())
    }

    /// A changed notice record, added to `w`.
    pub fn notice_update_writes(&self, n: &Notice, w: &mut Writes) {
        w.put_notice(n);
    }
}

/// One copy of a notice for one channel.
pub fn render(notice: &Notice, shared: &Rendered, channel: &Channel, tag: &str) -> Outbound {
    Outbound {
        id: delivery_id(notice.id, channel.id, tag),
        kind: match notice.kind {
            NoticeKind::Notice => OutboundKind::Notice,
            NoticeKind::Reminder { .. } => OutboundKind::Reminder,
        },
        to: channel.address.clone(),
        title: Some(shared.title.clone()),
        body: shared.body.clone(),
        footer: Some(shared.footer.clone()),
        buttons: shared.buttons.clone(),
        attachments: shared.attachments.clone(),
        in_reply_to: None,
        via: String::new(),
        unsubscribe: None,
        list_name: None,
    }
}

/// The parts of a notice shared by every copy (rendered once per fan-out).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub title: Arc<str>,
    pub body: Arc<str>,
    pub footer: Arc<str>,
    pub buttons: Vec<Button>,
    pub attachments: Arc<[Attachment]>,
}

impl Rendered {
    pub fn new(n: &Notice, footer: &Arc<str>) -> Rendered {
        let title = match n.kind {
            NoticeKind::Notice => n.title.clone(),
            NoticeKind::Reminder { .. } => format!("【提醒 Reminder】{}", n.title),
        };
        let mut body = n.body.clone();
        if let Some(d) = n.ack_deadline {
            body.push_str(&format!("\n\n请于 {} 前确认收到。", format_time(d)));
        }
        body.push_str(&format!("\n\n(通知编号 #{})", n.root_id()));
        let mut buttons = n.buttons.clone();
        if n.ack_required {
            buttons.push(Button {
                label: "收到 / Acknowledge".into(),
                action: ButtonAction::Callback(ack_data(n.root_id())),
            });
        }
        Rendered {
            title: title.into(),
            body: body.into(),
            footer: footer.clone(),
            buttons,
            attachments: n.attachments.clone().into(),
        }
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM` in China time.
pub fn format_time(unix: u64) -> String {
    crate::clock::show(unix)
}

/// An acknowledgement deadline as an official types it (`YYYY-MM-DD HH:MM`
/// in China time, or the web form's `YYYY-MM-DDTHH:MM`) -> unix seconds.
pub fn parse_deadline(s: &str) -> Result<u64> {
    crate::clock::parse_china(s).ok_or_else(|| Error::invalid(msg(Msg::DeadlineForm, &[("text", &format!("{s:?}"))])))
}

#[cfg(test)]
pub(crate) mod tests;
