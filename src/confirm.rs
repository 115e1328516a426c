//! Proof of a mail sender: what an unproven sender asks for runs only after
//! they answer the bot's mail, which only the real mailbox owner sees.

use treecast_wire::Inbound;

use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{reply_to, Ctx, Handled};

/// How long a confirmation request stays valid.
const CONFIRM_TTL: u64 = 24 * 3600;

/// Asks the sender of `ev` to confirm `what` by replying; `grant` is kept
/// under a one-time code until then. The mail itself counts as not acted on
/// (email files it in quarantine with the reason): only the reply acts.
/// The request quotes the whole mail and names its attachments, so nobody
/// confirms a forged body under a familiar title.
pub fn ask(cx: &Ctx, ev: &Inbound, grant: Grant, what: &str) -> Result<Handled> {
    let code = cx.store().issue_code(grant, cx.now() + CONFIRM_TTL)?;
    let mut text = format!(
        "请直接回复本邮件以确认{what}（确认码 {code}）。\nReply to this mail to confirm (code {code}). If you did not send it, ignore this mail: nothing happens without your reply.\n\n收到的邮件全文 The mail as received:\n----------\n{}\n----------",
        ev.text.trim()
    );
    if !ev.attachments.is_empty() {
        let names: Vec<&str> = ev.attachments.iter().map(|a| a.name.as_str()).collect();
        text.push_str(&format!("\n附件 Attachments: {}", names.join("、")));
    }
    let q = reply_to(ev, text).on_sent(MsgRef::Confirm { code });
    let reason =
        "发件人未经邮件系统验证，等待确认。 The sender was not proven by the mail system; awaiting confirmation.";
    Ok(Handled { replies: vec![q], rejected: Some(reason.to_owned()) })
}

/// What a reply to a confirmation mail grants, if its sender is the one who asked.
pub fn redeem(cx: &Ctx, ev: &Inbound, code: &str) -> Result<Grant> {
    let from = cx.person(ev)?.map(|f| f.id);
    cx.store().redeem_code_if(code, cx.now(), |g| match g {
        Grant::ConfirmPost { person, .. } | Grant::ConfirmCommand { person, .. } if from == Some(*person) => Ok(()),
        Grant::ConfirmPost { .. } | Grant::ConfirmCommand { .. } => {
            Err(Error::denied("只有发出请求的人才能确认。 Only the person who sent it can confirm."))
        }
        _ => Err(Error::invalid("这不是确认码。 That is not a confirmation.")),
    })
}
