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
        if !self.failures.is_empty() {
            s.push_str("Failed / 发送失败:\n");
            for (o, why) in &self.failures {
                s.push_str(&format!("  - {} {}: {why}\n", o.code, o.name));
            }
        }
        s.trim_end().to_owned()
    }
}
