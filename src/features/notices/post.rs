//! Posting: `/notice` in a private chat, or a mail to `notice+CODE@…`
//! (confirmed by reply when the mail system did not prove its sender).

use treecast_wire::{ChatKind, Inbound};

use super::chat_draft;
use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::notice::Draft;
use crate::registry::{split_at_org, Cx, Handled, Invocation};
use crate::tree::auth::Action;

/// `/notice [@ORG] TITLE` with the body on the following lines.
pub(super) fn command(cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
    let (org, title_words) = split_at_org(&inv.args);
    let title = title_words.join(" ");
    if title.is_empty() {
        return Ok(Handled::say(ev, Msg::NoticeNeedsTitle.text()));
    }
    let p = cx.need_person(ev)?;
    if ev.chat.kind == ChatKind::Group {
        return Err(Error::invalid(Msg::NoticeInGroup.text()));
    }
    let org = cx.official_org(&p, org)?;
    let n = cx.tree.post(p.id, chat_draft(org.code.clone(), title, inv.body.clone()), &cx.rules())?;
    let (channels, _) = cx.tree.expected(&n.target, &org)?;
    Ok(Handled::say(ev, msg(Msg::NoticePosted, &[("id", &n.id), ("channels", &channels)])))
}

/// `notice+CODE@…`: an official posts by mail; subject = title, text = body.
pub(super) fn by_mail(cx: &Cx, ev: &Inbound, code: &str) -> Result<Handled> {
    let org = cx.tree.require(code)?;
    let Some(p) = cx.person(ev)? else {
        return Err(Error::denied(msg(Msg::SenderNotRegistered, &[("sender", &ev.sender.id)])));
    };
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    let draft = Draft {
        issuer_code: org.code.clone(),
        title: ev.subject.trim().trim_start_matches("Fwd:").trim().to_owned(),
        body: ev.text.clone(),
        attachments: ev.attachments.clone(),
        ack_required: true,
        ..Draft::default()
    };
    if !ev.sender.verified {
        let what = msg(Msg::ConfirmWhatPost, &[("title", &draft.title), ("org", &org.name)]);
        return crate::confirm::ask(cx, ev, Grant::ConfirmPost { person: p.id, draft }, &what);
    }
    publish(cx, ev, p.id, draft)
}

/// Posts a checked draft and tells the author where it is going.
pub(super) fn publish(cx: &Cx, ev: &Inbound, person: u64, draft: Draft) -> Result<Handled> {
    let n = cx.tree.post(person, draft, &cx.rules())?;
    let org = cx.tree.require_id(n.issuer)?;
    let (channels, _) = cx.tree.expected(&n.target, &org)?;
    Ok(Handled::say(ev, msg(Msg::NoticePostedByMail, &[("id", &n.id), ("title", &n.title), ("channels", &channels)])))
}
