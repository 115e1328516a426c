//! The formula, apart from the store: an org without children is scored
//! from its own rates; an org with children scores the median of theirs.
//!
//! Each part is a rate in 0..=1 over the window:
//! - notices: ack-required notices acknowledged on time / received;
//! - surveys: survey responses / members (one response per member is full);
//! - topics: took part in a micro-topic (a branch counts once, not per post);
//! - featured: posts featured by an org above / posts submitted to columns;
//! - reports: weeks with a report sent upward / 4;
//! - channels: has a live bound chat.
//!
//! A part nobody anywhere had in the window (no survey ran, no topic was
//! open) counts for nobody: it would only pull every score down alike. A
//! notices part with nothing received counts for that org only when it
//! received something. The score is the mean of the parts that count,
//! times 100.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub const PARTS: usize = 6;
/// The parts' names as `/rank` shows them.
pub const LABELS: [&str; PARTS] =
    ["通知 notices", "调查 surveys", "话题 topics", "推荐 featured", "报送 reports", "渠道 chats"];
/// Weeks with a report that make the reports part whole.
pub const REPORT_WEEKS: f32 = 4.0;

/// What one org did in one window, summed from its days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub received: u32,
    pub acked: u32,
    pub answers: u32,
    pub topic_posts: u32,
    pub submitted: u32,
    pub featured: u32,
    pub report_weeks: u32,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.received += o.received;
        self.acked += o.acked;
        self.answers += o.answers;
        self.topic_posts += o.topic_posts;
        self.submitted += o.submitted;
        self.featured += o.featured;
        self.report_weeks += o.report_weeks;
    }
}

/// One org's own facts for one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Own {
    pub tally: Tally,
    pub members: u32,
    pub live_chat: bool,
}

/// Which parts anybody had in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InUse(pub [bool; PARTS]);

impl InUse {
    pub fn of<'a>(all: impl IntoIterator<Item = &'a Tally>) -> InUse {
        let mut u = [false, false, false, false, false, true];
        for t in all {
            u[0] |= t.received > 0;
            u[1] |= t.answers > 0;
            u[2] |= t.topic_posts > 0;
            u[3] |= t.submitted > 0;
            u[4] |= t.report_weeks > 0;
        }
        InUse(u)
    }
}

/// A score and its parts (`None`: does not count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub total: f32,
    pub parts: [Option<f32>; PARTS],
}

fn rate(n: u32, d: u32) -> f32 {
    (n as f32 / d as f32).min(1.0)
}

/// The parts and score of an org without children.
pub fn own(o: &Own, used: InUse) -> Score {
    let t = &o.tally;
    let parts = [
        (t.received > 0).then(|| rate(t.acked, t.received)),
        (o.members > 0).then(|| rate(t.answers, o.members)),
        Some(if t.topic_posts > 0 { 1.0 } else { 0.0 }),
        Some(if t.submitted > 0 { rate(t.featured, t.submitted) } else { 0.0 }),
        Some((t.report_weeks as f32 / REPORT_WEEKS).min(1.0)),
        Some(if o.live_chat { 1.0 } else { 0.0 }),
    ];
    let mut p = [None; PARTS];
    for i in 0..PARTS {
        p[i] = parts[i].filter(|_| used.0[i]);
    }
    Score { total: total(&p), parts: p }
}

fn total(parts: &[Option<f32>; PARTS]) -> f32 {
    let counted: Vec<f32> = parts.iter().flatten().copied().collect();
    if counted.is_empty() {
        return 0.0;
    }
    counted.iter().sum::<f32>() / counted.len() as f32 * 100.0
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// A parent's score: the median of its children's scores, and each part
/// the median of the children's values of it (among those it counts for).
pub fn of_children(children: &[Score]) -> Score {
    let mut parts = [None; PARTS];
    for (i, p) in parts.iter_mut().enumerate() {
        *p = median(children.iter().filter_map(|c| c.parts[i]).collect());
    }
    Score { total: median(children.iter().map(|c| c.total).collect()).unwrap_or(0.0), parts }
}

/// Scores of every org: `orgs` as (id, parent, depth); `own` the facts of
/// those without children (missing: nothing done, no chat).
pub fn all(orgs: &[(u32, Option<u32>, usize)], own_of: &HashMap<u32, Own>, used: InUse) -> HashMap<u32, Score> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (id, parent, _) in orgs {
        if let Some(p) = parent {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut order: Vec<&(u32, Option<u32>, usize)> = orgs.iter().collect();
    // Deepest first, so every child is scored before its parent.
    order.sort_by_key(|(_, _, depth)| std::cmp::Reverse(*depth));
    let mut out: HashMap<u32, Score> = HashMap::with_capacity(orgs.len());
    for (id, _, _) in order {
        let s = match children.get(id) {
            Some(kids) => of_children(&kids.iter().filter_map(|k| out.get(k).copied()).collect::<Vec<_>>()),
            None => own(&own_of.get(id).copied().unwrap_or_default(), used),
        };
        out.insert(*id, s);
    }
    out
}
