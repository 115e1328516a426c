//! Proof of a mail sender: what an unproven sender asks for runs only after
//! they answer the bot's mail, which only the real mailbox owner sees.

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{reply_to, Handled};

/// How long a confirmation request stays valid.
const CONFIRM_TTL: u64 = 24 * 3600;

/// Asks the sender of `ev` to confirm `what` by replying; `grant` is kept
/// under a one-time code until then. The mail itself counts as not acted on
/// (email files it in quarantine with the reason): only the reply acts.
/// The request quotes the whole mail and names its attachments, so nobody
/// confirms a forged body under a familiar title.
pub fn ask(cx: &Ctx, ev: &Inbound, grant: Grant, what: &str) -> Result<Handled> {
    let code = cx.store().issue_code(grant, cx.now() + CONFIRM_TTL)?;
    let mut text = msg(Msg::ConfirmRequest, &[("what", &what), ("code", &code), ("mail", &ev.text.trim())]);
    if !ev.attachments.is_empty() {
        let names: Vec<&str> = ev.attachments.iter().map(|a| a.name.as_str()).collect();
        text.push_str(&msg(Msg::ConfirmAttachments, &[("names", &names.join("、"))]));
    }
    let q = reply_to(ev, text).on_sent(MsgRef::Confirm { code });
    Ok(Handled { replies: vec![q], rejected: Some(Msg::AwaitingConfirmation.text().to_owned()) })
}

/// What a reply to a confirmation mail grants, if its sender is the one who asked.
pub fn redeem(cx: &Ctx, ev: &Inbound, code: &str) -> Result<Grant> {
    let from = cx.person(ev)?.map(|f| f.id);
    cx.store().redeem_code_if(code, cx.now(), |g| match g {
        Grant::ConfirmPost { person, .. } | Grant::ConfirmCommand { person, .. } | Grant::ConfirmFor { person, .. }
            if from == Some(*person) =>
        {
            Ok(())
        }
        Grant::ConfirmPost { .. } | Grant::ConfirmCommand { .. } | Grant::ConfirmFor { .. } => {
            Err(Error::denied(Msg::OnlySenderConfirms.text()))
        }
        _ => Err(Error::invalid(Msg::NotAConfirmation.text())),
    })
}
