//! `treecast msg send|inbox` and `/api/v1/mailbox/...`: an official's letter
//! or report sent, or their org's inbox read, by an operator on their behalf.

use serde::Deserialize;

use super::letters::Kind;
use super::send::Outgoing;
use crate::admin::{args, Attached, Reply};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};

pub const OPS: &[&str] = &["mailbox.send", "mailbox.inbox"];

#[derive(Deserialize)]
struct Send {
    /// The writing official (or member), as platform:user.
    by: String,
    /// Recipients as typed in chat: codes, `@parent`, `@children`.
    to: String,
    /// The org to write as, when the writer is an official of several.
    from: Option<String>,
    #[serde(default)]
    report: bool,
    title: String,
    body: String,
    #[serde(default)]
    attachments: Vec<Attached>,
}

#[derive(Deserialize)]
struct Inbox {
    by: String,
    org: Option<String>,
}

pub fn run(cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
    match op {
        "mailbox.send" => {
            let s: Send = args(op, a)?;
            let p = crate::tree::people::person_by(&cx.tree, &s.by)?;
            let spec = if s.report { "@parent" } else { s.to.as_str() };
            let (from, from_org, role) = super::commands::sender(cx, &p, s.from.as_deref(), Some(spec))?;
            let to = super::recipients::resolve(&cx.tree, &cx.config.mailbox, role, &from_org, &s.to)?;
            if s.report {
                super::commands::check_report(role, &from_org, &to)?;
            }
            let kind = if s.report { Kind::Report } else { Kind::Message };
            let out = Outgoing {
                attachments: s.attachments.into_iter().map(Attached::into_attachment).collect(),
                ..Outgoing::letter(from, &to, kind, s.title, s.body, p.id)
            };
            let sent = super::send::send(cx, out)?;
            cx.store().flush()?;
            Ok(Reply::text(super::sent_text(cx, &sent)?))
        }
        "mailbox.inbox" => {
            let i: Inbox = args(op, a)?;
            let p = crate::tree::people::person_by(&cx.tree, &i.by)?;
            let mut parts = Vec::new();
            for org in super::commands::acting_orgs(cx, &p, i.org.as_deref())? {
                parts.push(super::view::inbox(cx, &org)?);
            }
            Ok(Reply::text(parts.join("\n\n")))
        }
        _ => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    }
}
