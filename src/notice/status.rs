//! `notice status`: delivered / acknowledged / failed rolled up per level,
//! read from counters (cheap at any size), plus the first missing orgs.

use super::ack::targets;
use super::fanout::DeliveryState;
use super::Notice;
use crate::error::Result;
use crate::tree::auth::Action;
use crate::tree::{Org, Tree};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub org: Org,
    /// Channels the target reaches below this org, and orgs owning them.
    pub channels: i64,
    pub orgs: i64,
    pub delivered: i64,
    pub failed: i64,
    pub acked: i64,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub notice: Notice,
    pub walked: bool,
    /// The focus org first, then each child of it the notice reaches.
    pub rows: Vec<StatusRow>,
    /// Targeted orgs below the focus with no acknowledgement (first few).
    pub missing: Vec<Org>,
    /// Failed channels below the focus: (org, reason), first few.
    pub failures: Vec<(Org, String)>,
    /// Targeted orgs below the focus with no channel at posting, per level
    /// (None for notices posted before this was kept).
    pub unreached: Option<super::unreached::Gaps>,
    /// Acknowledgements below the focus, first few: who, when and how.
    pub acks: Vec<(Org, super::ack::AckRow)>,
}

impl Tree {
    /// Status of notice `id` seen from `focus` (default: its issuer).
    pub fn status(&self, viewer: Option<u64>, id: u64, focus: Option<&str>, limit: usize) -> Result<Status> {
        let notice = self.require_notice(id)?;
        let notice = self.require_notice(notice.root_id())?;
        let issuer = self.require_id(notice.issuer)?;
        let focus = match focus {
            Some(code) => self.require(code)?,
            None => issuer.clone(),
        };
        if let Some(p) = viewer {
            // Officials of the issuer see everything; others see their own part.
            if !self.allowed(p, Action::ViewStatus, &issuer)? {
                self.check(p, Action::ViewStatus, &focus)?;
            }
        }
        // Once the walk is over, the notice's audience is what it resolved:
        // chats bound after it was posted are not part of it.
        let cursor = self.store.cursor(notice.id)?;
        let done = cursor.walked && !self.store.active_notices()?.contains(&notice.id);
        let mut rows = vec![self.status_row(&notice, &focus, done)?];
        for child in self.children(focus.id)? {
            let row = self.status_row(&notice, &child, done)?;
            if row.channels > 0 || row.delivered > 0 || row.acked > 0 {
                rows.push(row);
            }
        }
        Ok(Status {
            unreached: self.unreached_within(notice.id, &focus, limit.min(5))?,
            acks: self.acks_within(&notice, &focus, limit)?,
            missing: self.missing(&notice, &focus, limit)?,
            failures: self.failures(&notice, &focus, limit)?,
            walked: cursor.walked,
            rows,
            notice,
        })
    }

    fn status_row(&self, n: &Notice, org: &Org, done: bool) -> Result<StatusRow> {
        let (channels, orgs) = self.expected(&n.target, org)?;
        let c = if org.level as usize + 1 == self.levels.len() {
            // The worker keeps counters for orgs with children; a leaf
            // reads its own few delivery rows.
            let mut c = crate::notice::fanout::Counts::default();
            for ch in self.channels_of(org)? {
                match self.store.delivery(n.id, ch.id)?.map(|r| r.state) {
                    Some(DeliveryState::Sent { .. }) => c.delivered += 1,
                    Some(DeliveryState::Failed { .. }) => c.failed += 1,
                    _ => {}
                }
            }
            c
        } else {
            self.store.counts(n.id, org.id)?
        };
        let channels = if done { c.delivered + c.failed } else { channels };
        Ok(StatusRow {
            org: org.clone(),
            channels,
            orgs,
            delivered: c.delivered,
            failed: c.failed,
            acked: self.acked_count(n.id, org.id)?,
        })
    }

    /// Targeted orgs with channels below `focus` that have not acknowledged,
    /// in tree order, at most `limit` (the walk stops there).
    pub fn missing(&self, n: &Notice, focus: &Org, limit: usize) -> Result<Vec<Org>> {
        let mut out: Vec<Org> = Vec::new();
        for org_id in self.store.channel_owners(&focus.path) {
            if out.len() >= limit {
                break;
            }
            let org_id = org_id?;
            if out.last().map(|o| o.id) == Some(org_id) || self.ack_of(n.id, org_id)?.is_some() {
                continue;
            }
            let org = self.require_id(org_id)?;
            if targets(self, n, &org)? {
                out.push(org);
            }
        }
        Ok(out)
    }

    /// Acknowledgements of orgs within `focus`, at most `limit`, in org order.
    fn acks_within(&self, n: &Notice, focus: &Org, limit: usize) -> Result<Vec<(Org, super::ack::AckRow)>> {
        let mut out = Vec::new();
        for a in self.store.acks(n.id) {
            if out.len() >= limit {
                break;
            }
            let (org, row) = a?;
            let org = self.require_id(org)?;
            if org.is_within(focus) {
                out.push((org, row));
            }
        }
        Ok(out)
    }

    fn failures(&self, n: &Notice, focus: &Org, limit: usize) -> Result<Vec<(Org, String)>> {
        let mut out = Vec::new();
        for ch in self.store.failed_channels(n.id)? {
            if out.len() >= limit {
                break;
            }
            let Some(row) = self.store.delivery(n.id, ch)? else { continue };
            let org = self.require_id(row.org)?;
            if let (true, DeliveryState::Failed { reason }) = (org.is_within(focus), row.state) {
                out.push((org, reason));
            }
        }
        Ok(out)
    }
}

impl Status {
    /// The status as plain text for chat and the CLI.
    pub fn to_text(&self, tree: &Tree) -> String {
        let n = &self.notice;
        let mut s = format!("通知 #{} 《{}》", n.id, n.title);
        if !self.walked {
            s.push_str(" (still being sent / 发送中)");
        }
        s.push('\n');
        const SHOWN_ROWS: usize = 40;
        for (i, r) in self.rows.iter().enumerate().take(SHOWN_ROWS + 1) {
            let level = tree.levels.get(r.org.level).map(|l| l.name.as_str()).unwrap_or("");
            let indent = if i == 0 { "" } else { "  " };
            s.push_str(&format!(
                "{indent}{} [{level}] delivered {}/{} · acknowledged {}/{} · failed {}\n",
                r.org.name, r.delivered, r.channels, r.acked, r.orgs, r.failed
            ));
        }
        if self.rows.len() > SHOWN_ROWS + 1 {
            s.push_str(&format!(
                "  … and {} more; /status {} CODE shows one of them\n",
                self.rows.len() - SHOWN_ROWS - 1,
                n.id
            ));
        }
        let top = &self.rows[0];
        let missing_total = (top.orgs - top.acked).max(0);
        if !self.missing.is_empty() {
            s.push_str(&format!("Not yet acknowledged / 未确认 ({missing_total}):\n"));
            for o in &self.missing {
                s.push_str(&format!("  - {} {}\n", o.code, o.name));
            }
            if missing_total as usize > self.missing.len() {
                s.push_str(&format!("  … and {} more\n", missing_total as usize - self.missing.len()));
            }
        }
        self.unreached_text(tree, &mut s);
        if !self.acks.is_empty() {
            s.push_str(&format!("已确认 / Acknowledged ({}):\n", top.acked));
            for (o, a) in &self.acks {
                let when = crate::clock::show(a.at);
                s.push_str(&format!("  - {} {}: {}, {when}, {} {}\n", o.code, o.name, a.by, a.via, a.how.label()));
            }
            if top.acked as usize > self.acks.len() {
                s.push_str(&format!("  … 另有 {0} 个 / and {0} more\n", top.acked as usize - self.acks.len()));
            }
        }
        if !self.failures.is_empty() {
            s.push_str("Failed / 发送失败:\n");
            for (o, why) in &self.failures {
                s.push_str(&format!("  - {} {}: {why}\n", o.code, o.name));
            }
        }
        s.trim_end().to_owned()
    }

    /// Per level, the targeted orgs with no channel at posting (never reached).
    fn unreached_text(&self, tree: &Tree, s: &mut String) {
        let Some(gaps) = self.unreached.as_ref().filter(|g| !g.is_empty()) else { return };
        let total: usize = gaps.iter().map(|(_, n, _)| n).sum();
        s.push_str(&format!("无渠道、未送达 / No channel, not reached ({total}):\n"));
        for (level, n, first) in gaps {
            let l = tree.levels.get(*level);
            let name = l.map(|l| format!("{} {}", l.name, l.key)).unwrap_or_default();
            let shown: Vec<String> = first.iter().map(|o| format!("{} {}", o.code, o.name)).collect();
            let more = if *n > first.len() { format!(", … +{}", n - first.len()) } else { String::new() };
            s.push_str(&format!("  {name}: {n} — {}{more}\n", shown.join(", ")));
        }
    }
}
