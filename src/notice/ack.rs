//! Acknowledgements: one per org (the first from any of its channels or
//! members counts), with who and when, and acknowledged-org counters on
//! every ancestor, all in one transaction.

use super::Notice;
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::store::Keyspace;
use crate::tree::{Org, Tree};

pub use crate::store::fanout::{AckHow, AckRow};

impl AckHow {
    /// How the event `ev` acknowledges.
    pub fn of(ev: &treecast_wire::Inbound) -> AckHow {
        use treecast_wire::InboundKind;
        match &ev.kind {
            InboundKind::Button { .. } => AckHow::Button,
            InboundKind::Reaction { .. } => AckHow::Reaction,
            _ if ev.text.trim_start().starts_with(['/', '!', '／']) => AckHow::Command,
            _ => AckHow::Reply,
        }
    }

    /// Its name for people, Chinese then English.
    pub fn label(self) -> &'static str {
        match self {
            AckHow::Button => "按钮 button",
            AckHow::Reaction => "表情 reaction",
            AckHow::Reply => "回复 reply",
            AckHow::Command => "命令 /ack",
            AckHow::Unknown => "未记录 not recorded",
        }
    }
}

/// Whether the notice targets `org`.
pub(crate) fn targets(tree: &Tree, notice: &Notice, org: &Org) -> Result<bool> {
    for root in &notice.target.roots {
        let r = tree.require_id(*root)?;
        if org.is_within(&r) && notice.target.admits(r.id, &org.path, org.level) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Tree {
    /// Records `org`'s acknowledgement of notice `id` (or of the notice a
    /// reminder `id` points to). Returns false if it had already acknowledged.
    pub fn acknowledge(&self, id: u64, org: &Org, by: AckRow) -> Result<(Notice, bool)> {
        let notice = self.require_notice(id)?;
        let root = self.require_notice(notice.root_id())?;
        if !targets(self, &root, org)? {
            return Err(Error::invalid(msg(Msg::NoticeNotSentTo, &[("id", &root.id), ("org", &org.name)])));
        }
        let event = Event::Acknowledged { notice: root.id, org: org.id, person: by.person, via: by.via };
        let at_ms = self.clock.now_ms();
        let fresh = self.store.transact(&[Keyspace::Fanout], |tx| {
            let fresh = tx.add_ack(root.id, org.id, &org.path, &by)?;
            if fresh {
                events::append(tx, at_ms, &event);
            }
            Ok(fresh)
        })?;
        Ok((root, fresh))
    }

    pub fn ack_of(&self, notice: u64, org: u32) -> Result<Option<AckRow>> {
        self.store.ack(notice, org)
    }

    /// Orgs in `org`'s subtree that have acknowledged `notice`.
    pub fn acked_count(&self, notice: u64, org: u32) -> Result<i64> {
        self.store.ack_count(notice, org)
    }
}

/// Whether a reply's text means "received" (收到 and friends).
pub fn is_ack_text(text: &str) -> bool {
    let t: String =
        text.trim().trim_end_matches(|c: char| c.is_ascii_punctuation() || "！。，~～ ".contains(c)).to_lowercase();
    const WORDS: &[&str] = &[
        "收到",
        "已收到",
        "收到了",
        "已阅",
        "已读",
        "好的收到",
        "收到谢谢",
        "/ack",
        "!ack",
        "ack",
        "received",
        "acknowledged",
        "ok",
        "确认",
        "确认收到",
    ];
    WORDS.contains(&t.as_str()) || t == "✅" || t == "👍"
}

#[cfg(test)]
mod tests {
    use super::is_ack_text;

    #[test]
    fn ack_words_in_both_languages() {
        for t in ["收到", "收到！", " 已收到。", "Received", "ok", "✅", "/ack"] {
            assert!(is_ack_text(t), "{t}");
        }
        for t in ["收到了吗？我们班还没通知", "请问截止时间是什么时候", ""] {
            assert!(!is_ack_text(t), "{t}");
        }
    }
}
