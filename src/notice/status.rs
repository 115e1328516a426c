//! `notice status`: delivered / acknowledged / failed rolled up per level,
//! read from counters (cheap at any size), plus the first missing orgs.

use super::ack::targets;
use super::fanout::DeliveryState;
use super::Notice;
use crate::catalogue::{msg, Msg};
use crate::error::Result;
use crate::store::Placed;
use crate::tree::reads::{Read, Sight};
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
            if self.sight(Some(p), Read::NoticeStatus, &issuer)? != Sight::All {
                self.check_read(Some(p), Read::NoticeStatus, &focus)?;
            }
        }
        // Chats bound after the notice was posted are not part of it. Once
        // the walk is over, its audience is what it resolved; until then,
        // the channel counters less the chats bound since.
        let cursor = self.store.cursor(notice.id)?;
        let done = cursor.walked && !self.store.active_notices()?.contains(&notice.id);
        let late = if done { Vec::new() } else { self.bound_after_posting(&notice)? };
        let mut rows = vec![self.status_row(&notice, &focus, done, &late)?];
        for child in self.children(focus.id)? {
            let row = self.status_row(&notice, &child, done, &late)?;
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

    /// The chats bound after `n` was posted that its target would admit:
    /// counted in the channel counters, but never sent the notice.
    fn bound_after_posting(&self, n: &Notice) -> Result<Vec<Placed>> {
        let Some(horizon) = self.store.horizon(n.id)? else { return Ok(Vec::new()) };
        let mut late = self.store.channels_after(horizon)?;
        late.retain(|p| {
            n.target.roots.iter().any(|r| p.path.contains(r) && n.target.admits(*r, &p.path, p.channel.level))
        });
        Ok(late)
    }

    fn status_row(&self, n: &Notice, org: &Org, done: bool, late: &[Placed]) -> Result<StatusRow> {
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
        let channels = if done {
            c.delivered + c.failed
        } else {
            channels - late.iter().filter(|p| p.path.contains(&org.id)).count() as i64
        };
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
        let mut s = msg(Msg::StatusHeading, &[("id", &n.id), ("title", &n.title)]);
        if !self.walked {
            s.push_str(Msg::StillSending.text());
        }
        s.push('\n');
        const SHOWN_ROWS: usize = 40;
        for (i, r) in self.rows.iter().enumerate().take(SHOWN_ROWS + 1) {
            s.push_str(if i == 0 { "" } else { "  " });
            s.push_str(&row_text(tree, r));
            s.push('\n');
        }
        if self.rows.len() > SHOWN_ROWS + 1 {
            let more = self.rows.len() - SHOWN_ROWS - 1;
            s.push_str(&format!("  {}\n", msg(Msg::StatusMoreRows, &[("n", &more), ("id", &n.id)])));
        }
        let top = &self.rows[0];
        let missing_total = (top.orgs - top.acked).max(0);
        if !self.missing.is_empty() {
            s.push_str(&format!("{}\n", msg(Msg::StatusNotAcked, &[("n", &missing_total)])));
            for o in &self.missing {
                s.push_str(&format!("  - {} {}\n", o.code, o.name));
            }
            if missing_total as usize > self.missing.len() {
                let more = missing_total as usize - self.missing.len();
                s.push_str(&format!("  {}\n", msg(Msg::AndMore, &[("n", &more)])));
            }
        }
        self.unreached_text(tree, &mut s);
        if !self.acks.is_empty() {
            s.push_str(&format!("{}\n", msg(Msg::StatusAcked, &[("n", &top.acked)])));
            for (o, a) in &self.acks {
                let when = crate::clock::show(a.at);
                s.push_str(&format!("  - {} {}: {}, {when}, {} {}\n", o.code, o.name, a.by, a.via, a.how.label()));
            }
            if top.acked as usize > self.acks.len() {
                s.push_str(&format!("  {}\n", msg(Msg::AndMore, &[("n", &(top.acked as usize - self.acks.len()))])));
            }
        }
        if !self.failures.is_empty() {
            s.push_str(&format!("{}\n", Msg::StatusFailed.text()));
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
        s.push_str(&format!("{}\n", msg(Msg::StatusUnreached, &[("n", &total)])));
        for (level, n, first) in gaps {
            let l = tree.levels.get(*level);
            let name = l.map(|l| format!("{} {}", l.name, l.key)).unwrap_or_default();
            let shown: Vec<String> = first.iter().map(|o| format!("{} {}", o.code, o.name)).collect();
            let more = if *n > first.len() { format!(", … +{}", n - first.len()) } else { String::new() };
            s.push_str(&format!("  {name}: {n} — {}{more}\n", shown.join(", ")));
        }
    }
}

/// One org's line: delivered, acknowledged and failed.
fn row_text(tree: &Tree, r: &StatusRow) -> String {
    let level = tree.levels.get(r.org.level).map(|l| l.name.as_str()).unwrap_or("");
    msg(
        Msg::StatusRow,
        &[
            ("org", &r.org.name),
            ("level", &level),
            ("delivered", &r.delivered),
            ("channels", &r.channels),
            ("acked", &r.acked),
            ("orgs", &r.orgs),
            ("failed", &r.failed),
        ],
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use proptest::prelude::*;
    use proptest::sample::Index;
    use tokio::sync::watch;
    use treecast_wire::fake::RecordingAdapter;
    use treecast_wire::{Adapter, Address, DeliveryError, Platform};

    use super::*;
    use crate::config::Config;
    use crate::notice::Draft;
    use crate::outbox::{Outbox, Waker};
    use crate::tree::people::Role;
    use crate::tree::tests::{arb_tree, csv_of, empty_tree};

    /// How delivering one chat's copy ends.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Outcome {
        Delivered,
        Failed,
        /// Waiting for a retry an hour away (a 429, say): neither delivered nor failed.
        Pending,
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![Just(Outcome::Delivered), Just(Outcome::Failed), Just(Outcome::Pending)]
    }

    fn fault(outcome: Option<&Outcome>) -> Option<DeliveryError> {
        match outcome? {
            Outcome::Delivered => None,
            Outcome::Failed => Some(DeliveryError::permanent("chat not found")),
            Outcome::Pending => Some(DeliveryError::Transient {
                retry_after: Some(Duration::from_secs(3600)),
                reason: "429 Too Many Requests".into(),
            }),
        }
    }

    /// One stopped-before-it-starts run of the outbox worker: a whole pass
    /// over the queued work, committed.
    fn worker_pass(tree: &Tree, cfg: &Config, chat: &Arc<RecordingAdapter>) {
        let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
        adapters.insert(Platform::Console, chat.clone());
        let ob = Outbox::new(tree.clone(), &cfg.outbox_settings(), adapters, Waker::default());
        let (stop, rx) = watch::channel(true);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(ob.run(rx)).unwrap();
        drop(stop);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A random tree with random chats bound; a notice posted from a
        /// random org (random levels, perhaps an excluded subtree); more
        /// chats bound after posting, before and during the fan-out; each
        /// copy delivered, failed for good or waiting for a retry. At every
        /// step, seen from every org, each status row's channels are exactly
        /// the chats the target held below that org at posting, so
        /// delivered + failed + pending (the rest) add up to them; once the
        /// walk is over, delivered and failed are exactly the chats whose
        /// copy was delivered or failed. No chat bound later gets a copy.
        #[test]
        fn status_counts_add_up_to_the_channels_targeted_at_posting(
            rows in arb_tree(20),
            before in prop::collection::vec((any::<Index>(), outcome()), 1..30),
            after in prop::collection::vec((any::<Index>(), any::<bool>()), 0..8),
            issuer in any::<Index>(),
            levels in any::<u8>(),
            exclude in proptest::option::of(any::<Index>()),
        ) {
            let tree = empty_tree();
            crate::tree::import::import_str(&tree, "gen.csv", &csv_of(&rows), None).unwrap();
            let org = |i: &Index| tree.require(&i.get(&rows).code).unwrap();
            let mut outcomes = HashMap::new();
            let mut posted: Vec<(Org, Outcome)> = Vec::new();
            for (k, (at, out)) in before.iter().enumerate() {
                let o = org(at);
                tree.bind(&o, Address::group(Platform::Console, format!("g{k}"))).unwrap();
                outcomes.insert(format!("g{k}"), *out);
                posted.push((o, *out));
            }
            let issuer = org(&issuer);
            let levels: Vec<u8> = (0..4).filter(|l| levels & (1 << l) != 0 && *l > issuer.level).collect();
            let exclude: Option<Org> = exclude.map(|x| org(&x)).filter(|x| x.id != issuer.id && x.is_within(&issuer));
            // The oracle: which chats bound now the notice targets.
            let targeted = |o: &Org| {
                o.is_within(&issuer)
                    && (levels.is_empty() || levels.contains(&o.level))
                    && !exclude.as_ref().is_some_and(|x| o.is_within(x))
            };
            prop_assume!(posted.iter().any(|(o, _)| targeted(o)));

            let author = tree.add_person("书记").unwrap();
            tree.grant(author.id, &issuer, Role::Official).unwrap();
            let draft = Draft {
                issuer_code: issuer.code.clone(),
                title: "通知".into(),
                body: "正文".into(),
                levels: levels.iter().map(|l| tree.levels.key(*l).to_owned()).collect(),
                exclude: exclude.iter().map(|x| x.code.clone()).collect(),
                ack_required: true,
                ..Draft::default()
            };
            let cfg = Config::default();
            let n = tree.post(author.id, draft, &cfg.notice_rules()).unwrap();

            let check = |walked: bool| -> Result<(), TestCaseError> {
                for focus in &rows {
                    let st = tree.status(None, n.id, Some(&focus.code), 1000).unwrap();
                    for r in &st.rows {
                        let mine: Vec<Outcome> =
                            posted.iter().filter(|(o, _)| targeted(o) && o.is_within(&r.org)).map(|(_, out)| *out).collect();
                        let seen = format!("{} seen from {}", r.org.code, focus.code);
                        prop_assert_eq!(r.channels, mine.len() as i64, "channels of {}", seen);
                        prop_assert!(r.delivered + r.failed <= r.channels, "more resolved than targeted: {}", seen);
                        if walked {
                            let count = |x: Outcome| mine.iter().filter(|o| **o == x).count() as i64;
                            let want = (count(Outcome::Delivered), count(Outcome::Failed));
                            prop_assert_eq!((r.delivered, r.failed), want, "delivered, failed of {}", seen);
                        }
                    }
                }
                Ok(())
            };
            check(false)?;
            let late = |early: bool| {
                for (k, (at, _)) in after.iter().enumerate().filter(|(_, (_, e))| *e == early) {
                    tree.bind(&org(at), Address::group(Platform::Console, format!("late{k}"))).unwrap();
                }
            };
            late(true);
            check(false)?;
            let chat = Arc::new(RecordingAdapter::new(Platform::Console).with_faults(move |m, _| fault(outcomes.get(&m.to.id))));
            worker_pass(&tree, &cfg, &chat);
            late(false);
            check(false)?;
            for _ in 0..20 {
                if tree.store.cursor(n.id).unwrap().walked {
                    break;
                }
                worker_pass(&tree, &cfg, &chat);
                check(false)?;
            }
            prop_assert!(tree.store.cursor(n.id).unwrap().walked, "the walk ends");
            check(true)?;
            prop_assert!(chat.delivered().iter().all(|m| !m.to.id.starts_with("late")), "a chat bound later got a copy");
        }
    }
}
