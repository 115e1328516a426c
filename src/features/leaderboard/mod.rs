//! The activity leaderboard (活跃度排行榜). Each org's figures per day are
//! kept from the event log (notices received and acknowledged on time,
//! survey responses, topic posts, column posts submitted and featured,
//! reports sent upward); once a day the scheduler scores every org from
//! the last 30 days and the 30 before (`score`), and `/rank` compares an
//! org with its peers under the same parent, each score with its parts,
//! beside the most improved.

pub mod score;
pub mod store;
mod web;

use std::collections::{HashMap, HashSet};

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Event, Record};
use crate::notice::fanout::DeliveryState;
use crate::notice::NoticeKind;
use crate::registry::{CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Subscriber, Who};
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::Org;
use score::{InUse, Own, Score, Tally, PARTS};
use store::{day_of, Fact, Standing, What};

const RECOMPUTE_JOB: &str = "leaderboard.recompute";
/// The daily run, China time (03:00).
const RUN_MINUTE: u32 = 3 * 60;
pub const WINDOW_DAYS: u32 = 30;
/// Peers shown before the asker's own org.
const SHOWN: usize = 10;
const IMPROVED: usize = 3;

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "rank",
    aliases: &["排行", "排行榜", "活跃度"],
    usage: "[LEVEL | ORG]",
    help: "活跃度排行榜：同一上级下的组织比较，含各项得分与进步最快 / activity leaderboard: peers under one parent, with each score's parts and the most improved",
    who: Who::Anyone,
    changes_state: crate::registry::never,
}];

/// Keeps each org's figures per day from the log.
struct Figures;

/// The ack rule of a notice, read once per batch.
#[derive(Clone, Copy)]
struct AckRule {
    counts: bool,
    deadline: Option<u64>,
}

impl Subscriber for Figures {
    fn name(&self) -> &'static str {
        "leaderboard.facts"
    }

    /// A national notice's end reads all its delivery rows: in a loop of
    /// its own, so the authors' summaries never wait for it.
    fn apart(&self) -> bool {
        true
    }

    /// The batch's figures, as one row (committed with the position).
    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut w = Writes::default();
        let mut sums: HashMap<(u32, u32, What), u32> = HashMap::new();
        let mut rules: HashMap<u64, AckRule> = HashMap::new();
        let mut posts: HashMap<u64, u32> = HashMap::new();
        let db = cx.store();
        let mut rule = |n: u64| ack_rule(db, &mut rules, n);
        for r in events {
            let at = r.at_ms / 1000;
            let d = day_of(at);
            let mut count = |org: u32, what: What| *sums.entry((org, d, what)).or_insert(0) += 1;
            match &r.event {
                // Every chat has its copy or has failed: each org that got
                // one has received the notice, once however many chats it has.
                Event::FanoutFinished { notice } => {
                    if !rule(*notice)?.counts {
                        continue;
                    }
                    for org in received(db, *notice)? {
                        count(org, What::Received);
                    }
                }
                Event::Acknowledged { notice, org, .. } => {
                    let r = rule(*notice)?;
                    if r.counts && r.deadline.is_none_or(|dl| at <= dl) {
                        count(*org, What::Acked);
                    }
                }
                Event::SurveyAnswered { answered, .. } => {
                    for (org, _) in answered {
                        count(*org, What::Answers);
                    }
                }
                Event::TopicPosted { org, .. } => count(*org, What::TopicPosts),
                Event::ShowcaseSubmitted { post, from, .. } => {
                    posts.insert(*post, *from);
                    store::put_post_org(&mut w, *post, *from);
                    count(*from, What::Submitted);
                }
                Event::ShowcaseFeatured { post, .. } => {
                    let author = match posts.get(post) {
                        Some(o) => Some(*o),
                        None => store::post_org(db, *post)?,
                    };
                    if let Some(org) = author {
                        count(org, What::Featured);
                    }
                }
                Event::LetterSent { from, report: true, .. } => count(*from, What::Reports),
                _ => {}
            }
        }
        if let (Some(first), false) = (events.first(), sums.is_empty()) {
            let facts: Vec<Fact> = sums.into_iter().map(|((org, day, what), n)| Fact { org, day, what, n }).collect();
            let last_day = facts.iter().map(|f| f.day).max().unwrap_or(0);
            store::put_batch(&mut w, first.seq, &store::Batch { last_day, facts });
        }
        Ok(w)
    }
}

/// Whether acknowledging notice `n` counts (a notice, not a reminder, that
/// asks for it) and by when; read once per batch.
fn ack_rule(db: &crate::store::Store, rules: &mut HashMap<u64, AckRule>, n: u64) -> Result<AckRule> {
    if let Some(r) = rules.get(&n) {
        return Ok(*r);
    }
    let r = match db.notice(n)? {
        Some(x) => AckRule { counts: x.ack_required && x.kind == NoticeKind::Notice, deadline: x.ack_deadline },
        None => AckRule { counts: false, deadline: None },
    };
    rules.insert(n, r);
    Ok(r)
}

/// The orgs that got a copy of `notice`, once each however many chats they have.
fn received(db: &crate::store::Store, notice: u64) -> Result<Vec<u32>> {
    let mut got = HashSet::new();
    let mut out = Vec::new();
    for row in db.deliveries(notice) {
        let (_, row) = row?;
        if matches!(row.state, DeliveryState::Sent { .. }) && got.insert(row.org) {
            out.push(row.org);
        }
    }
    Ok(out)
}

/// Each org's figures of the last 30 days and of the 30 before (to
/// `today`, a China day), and the keys of rows older than both.
type Tallies = (HashMap<u32, Tally>, HashMap<u32, Tally>, Vec<Vec<u8>>);

fn tallies(cx: &Ctx, today: u32) -> Result<Tallies> {
    let current_from = today.saturating_sub(WINDOW_DAYS - 1);
    let before_from = today.saturating_sub(2 * WINDOW_DAYS - 1);
    let (mut current, mut before): (HashMap<u32, Tally>, HashMap<u32, Tally>) = Default::default();
    let mut report_weeks: HashSet<(u32, u32, bool)> = HashSet::new();
    let old = store::facts(cx.store(), before_from, |f| {
        if f.day < before_from || f.day > today {
            return;
        }
        let recent = f.day >= current_from;
        let t = if recent { current.entry(f.org) } else { before.entry(f.org) }.or_default();
        match f.what {
            What::Received => t.received += f.n,
            What::Acked => t.acked += f.n,
            What::Answers => t.answers += f.n,
            What::TopicPosts => t.topic_posts += f.n,
            What::Submitted => t.submitted += f.n,
            What::Featured => t.featured += f.n,
            // The China week of the day (day 0, 1970-01-01, was a Thursday).
            What::Reports => {
                report_weeks.insert((f.org, (f.day + 3) / 7, recent));
            }
        }
    })?;
    for (org, _, recent) in report_weeks {
        if recent { current.entry(org) } else { before.entry(org) }.or_default().report_weeks += 1;
    }
    Ok((current, before, old))
}

/// Scores every org from the kept figures, as of now, and stores the
/// standings; returns how many orgs it scored.
pub fn recompute(cx: &Ctx) -> Result<usize> {
    let now = cx.now();
    let (current, before, old) = tallies(cx, day_of(now))?;
    let members = cx.store().member_counts()?;
    let mut orgs = Vec::new();
    let mut live = HashSet::new();
    for root in cx.tree.roots()? {
        for o in cx.tree.subtree(&root) {
            let o = o?;
            orgs.push((o.id, o.parent, o.path.len()));
        }
        for p in cx.store().channels_under(&root.path)? {
            if p.channel.alive {
                live.insert(p.channel.org);
            }
        }
    }
    let own = |tallies: &HashMap<u32, Tally>| -> HashMap<u32, Own> {
        orgs.iter()
            .map(|(id, _, _)| {
                let tally = tallies.get(id).copied().unwrap_or_default();
                (*id, Own { tally, members: members.get(id).copied().unwrap_or(0), live_chat: live.contains(id) })
            })
            .collect()
    };
    let now_scores = score::all(&orgs, &own(&current), InUse::of(current.values()));
    let before_scores = score::all(&orgs, &own(&before), InUse::of(before.values()));
    let parents: HashMap<u32, Option<u32>> = orgs.iter().map(|(id, parent, _)| (*id, *parent)).collect();
    let standings = now_scores.iter().map(|(id, s)| {
        let before = before_scores.get(id).copied().unwrap_or_default();
        (parents[id], *id, Standing { now: *s, before })
    });
    store::put_standings(cx.store(), standings, now)?;
    store::prune(cx.store(), old)?;
    Ok(now_scores.len())
}

/// One org's line: its score and each part.
fn line(rank: usize, o: &Org, s: &Score, mine: bool) -> String {
    let parts: Vec<String> = (0..PARTS)
        .map(|i| match s.parts[i] {
            Some(v) => format!("{} {:.0}%", score::LABELS[i], v * 100.0),
            None => format!("{} —", score::LABELS[i]),
        })
        .collect();
    let marker = if mine { "▶ " } else { "" };
    format!("{marker}{rank}. {} {:.1}｜{}", o.name, s.total, parts.join(" "))
}

/// The ranking of `parent`'s children, `mine` marked (and shown even if
/// below the first ten), with the most improved.
fn ranking(cx: &Ctx, parent: &Org, mine: Option<u32>) -> Result<String> {
    let Some(at) = store::computed_at(cx.store())? else {
        return Ok(Msg::RankNotYet.text().to_owned());
    };
    let mut kept = store::standings_under(cx.store(), Some(parent.id))?;
    let mut rows = Vec::new();
    for c in cx.tree.children(parent.id)? {
        let s = kept.remove(&c.id).unwrap_or_default();
        rows.push((c, s));
    }
    if rows.is_empty() {
        return Err(Error::invalid(msg(Msg::RankNoChildren, &[("org", &parent.name)])));
    }
    // Highest first; equal scores by code, so the order is the same each time.
    rows.sort_by(|a, b| b.1.now.total.total_cmp(&a.1.now.total).then_with(|| a.0.code.cmp(&b.0.code)));
    let level = rows[0].0.level;
    let level_name = cx.tree.levels.get(level).map(|l| l.name.clone()).unwrap_or_default();
    let when = crate::clock::show(at);
    let mut s = msg(
        Msg::RankHead,
        &[("parent", &parent.name), ("level", &level_name), ("days", &WINDOW_DAYS), ("at", &when), ("n", &rows.len())],
    );
    for (i, (o, st)) in rows.iter().enumerate() {
        let is_mine = mine == Some(o.id);
        if i < SHOWN || is_mine {
            if i >= SHOWN {
                s.push_str("\n…");
            }
            s.push_str(&format!("\n{}", line(i + 1, o, &st.now, is_mine)));
        }
    }
    let mut up: Vec<(&Org, f32)> =
        rows.iter().map(|(o, st)| (o, st.now.total - st.before.total)).filter(|(_, d)| *d > 0.05).collect();
    up.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.code.cmp(&b.0.code)));
    if !up.is_empty() {
        let best: Vec<String> = up.iter().take(IMPROVED).map(|(o, d)| format!("{} +{d:.1}", o.name)).collect();
        s.push_str(&format!("\n{}", msg(Msg::RankImproved, &[("list", &best.join("、"))])));
    }
    s.push_str(&format!("\n{}", Msg::RankLegend.text()));
    Ok(s)
}

/// What `/rank` compares: (the parent whose children are ranked, the org to mark).
fn scope(cx: &Ctx, mine: Option<&Org>, arg: Option<&str>) -> Result<(Org, Option<u32>)> {
    if let Some(a) = arg {
        if let Some(level) = cx.tree.levels.find(a) {
            // Peers at that level under the asker's ancestor just above it.
            let Some(me) = mine else { return Err(Error::invalid(Msg::RankNameAnOrg.text())) };
            if level == 0 || level > me.level {
                return Err(Error::invalid(msg(Msg::RankLevelNotAbove, &[("level", &a)])));
            }
            let parent = cx.tree.require_id(me.path[level as usize - 1])?;
            return Ok((parent, Some(me.path[level as usize])));
        }
        return Ok((cx.tree.require(a)?, None));
    }
    let Some(me) = mine else { return Err(Error::invalid(Msg::RankNameAnOrg.text())) };
    match me.parent {
        Some(p) => Ok((cx.tree.require_id(p)?, Some(me.id))),
        None => Ok((me.clone(), None)),
    }
}

#[derive(serde::Deserialize)]
struct RankArgs {
    org: Option<String>,
}

pub struct Leaderboard;

impl Feature for Leaderboard {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "leaderboard",
            commands: COMMANDS,
            jobs: &[RECOMPUTE_JOB],
            admin: &["leaderboard.rank", "leaderboard.recompute"],
            module: Some("排行榜"),
            web_nav: &[("/rank", "排行榜", "Leaderboard")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let mine = match cx.person(ev)? {
            Some(p) => cx.tree.roles_of(p.id)?.into_iter().map(|(o, _)| o).next(),
            None => None,
        };
        let (parent, mark) = scope(cx, mine.as_ref(), inv.arg(0))?;
        Ok(Handled::say(ev, ranking(cx, &parent, mark)?))
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<crate::admin::Reply> {
        match op {
            "leaderboard.recompute" => {
                let n = recompute(cx)?;
                Ok(crate::admin::Reply::text(msg(Msg::RankRecomputed, &[("n", &n)])))
            }
            _ => {
                let a: RankArgs = crate::admin::args(op, a)?;
                let parent = match a.org {
                    Some(code) => cx.tree.require(&code)?,
                    None => {
                        cx.tree.roots()?.into_iter().next().ok_or_else(|| Error::invalid(Msg::RankNameAnOrg.text()))?
                    }
                };
                Ok(crate::admin::Reply::text(ranking(cx, &parent, None)?))
            }
        }
    }

    fn subscribers(&self) -> Vec<std::sync::Arc<dyn Subscriber>> {
        vec![std::sync::Arc::new(Figures)]
    }

    fn start(&self, cx: &Ctx) -> Result<()> {
        if schedule::due_at(cx.store(), RECOMPUTE_JOB)?.is_none() {
            let at = crate::clock::next_china_minute(cx.now(), RUN_MINUTE);
            schedule::schedule(cx.store(), at * 1000, &Job::new(RECOMPUTE_JOB, RECOMPUTE_JOB, Vec::new()))?;
        }
        Ok(())
    }

    /// Daily: the scores, and the next run.
    fn run_job(&self, cx: &Ctx, _job: &Job) -> Result<Writes> {
        recompute(cx)?;
        let mut w = Writes::default();
        let next = crate::clock::next_china_minute(cx.now() + 60, RUN_MINUTE);
        schedule::put(cx.store(), &mut w, next * 1000, &Job::new(RECOMPUTE_JOB, RECOMPUTE_JOB, Vec::new()))?;
        Ok(w)
    }
}

#[cfg(test)]
mod tests;
