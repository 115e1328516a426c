//! The notices' part of an official's daily digest: replies to their
//! notices awaiting their answer, and their open notices that some orgs
//! have not acknowledged (deadline soonest first).

use std::collections::HashMap;

use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::Result;
use crate::notice::{Notice, NoticeKind};
use crate::registry::{DigestItem, DigestSource};
use crate::tree::people::Person;
use crate::tree::Org;

/// Notices older than this (and without a later deadline) are no longer chased.
const OPEN_FOR_SECS: u64 = 14 * 86_400;

/// The open notices that ask for acknowledgement, per author, read once per run.
pub(super) struct NoticeDigest {
    open: HashMap<u64, Vec<Notice>>,
}

impl NoticeDigest {
    pub(super) fn load(cx: &Ctx) -> Result<NoticeDigest> {
        let now = cx.now();
        let mut open: HashMap<u64, Vec<Notice>> = HashMap::new();
        for n in cx.store().notices_since(now.saturating_sub(OPEN_FOR_SECS))? {
            let asks = n.ack_required && matches!(n.kind, NoticeKind::Notice);
            if asks && n.ack_deadline.is_none_or(|d| d > now) {
                open.entry(n.author).or_default().push(n);
            }
        }
        Ok(NoticeDigest { open })
    }
}

impl DigestSource for NoticeDigest {
    fn items(&self, cx: &Ctx, person: &Person, _orgs: &[Org]) -> Result<Vec<DigestItem>> {
        let tree = &cx.tree;
        let mut out = Vec::new();
        for t in tree.awaiting_answer(person.id)? {
            let Some(n) = tree.notice(t.notice)? else { continue };
            let org = tree.get(t.org)?.map(|o| o.name).unwrap_or_default();
            out.push(DigestItem {
                section: (1, Msg::DigestReplies.text()),
                text: msg(Msg::DigestReplyLine, &[("title", &n.title), ("org", &org), ("name", &t.replier.name)]),
                due: None,
                key: format!("thread:{}", t.id),
            });
        }
        for n in self.open.get(&person.id).into_iter().flatten() {
            let issuer = tree.require_id(n.issuer)?;
            let (_, orgs) = tree.expected(&n.target, &issuer)?;
            let missing = (orgs - tree.acked_count(n.id, n.issuer)?).max(0);
            if missing == 0 {
                continue;
            }
            let due = n.ack_deadline.map_or(String::new(), |d| msg(Msg::DigestDue, &[("at", &show(d))]));
            out.push(DigestItem {
                section: (2, Msg::DigestNotices.text()),
                text: msg(
                    Msg::DigestNoticeLine,
                    &[("id", &n.id), ("title", &n.title), ("missing", &missing), ("orgs", &orgs), ("due", &due)],
                ),
                due: n.ack_deadline,
                key: format!("notice:{}", n.id),
            });
        }
        Ok(out)
    }
}
