//! What `/topic #话题#` and `/topics` show: a topic's latest posts and most
//! active branches, and the hot list. A topic ranks by how many branches
//! took part in the window, not by how much was said; its activity counts
//! each writer once an hour, so one person's flood is one. Both read the
//! topic's days (`store::Day`, kept from the event log), not its posts.

use std::collections::HashMap;

use super::store::{self, Topic};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::tree::people::Person;
use crate::tree::Org;

/// The hot list counts today and the six days before (China time).
pub const WINDOW_DAYS: u32 = 7;
const SHOWN_POSTS: usize = 5;
const SHOWN_TOPICS: usize = 10;

/// A topic's standing over some days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub branches: usize,
    pub activity: usize,
    pub posts: usize,
    /// Orgs by posts, most first.
    pub top: Vec<(u32, u32)>,
}

/// The standing of the days given (each a topic's day, `store::Day`).
pub fn standing(days: &[store::Day]) -> Standing {
    let mut by_org: HashMap<u32, u32> = HashMap::new();
    let (mut activity, mut posts) = (0, 0);
    for d in days {
        for (org, n) in &d.orgs {
            *by_org.entry(*org).or_default() += n;
        }
        activity += d.seen.len();
        posts += d.posts as usize;
    }
    let mut top: Vec<(u32, u32)> = by_org.into_iter().collect();
    top.sort_by_key(|(o, n)| (std::cmp::Reverse(*n), *o));
    Standing { branches: top.len(), activity, posts, top }
}

/// Whether `p` takes part in `t`: one of their orgs is at or below its org.
fn joins(orgs: &[Org], host: &Org) -> bool {
    orgs.iter().any(|o| o.is_within(host))
}

fn person_orgs(cx: &Ctx, p: &Person) -> Result<Vec<Org>> {
    Ok(cx.tree.roles_of(p.id)?.into_iter().map(|(o, _)| o).collect())
}

/// Topics `p` takes part in, hottest first, with their opening org.
pub fn hot(cx: &Ctx, p: &Person, now: u64) -> Result<Vec<(Topic, Org, Standing)>> {
    let orgs = person_orgs(cx, p)?;
    let mut out = Vec::new();
    store::each_topic(cx.store(), |t| {
        if let Some(host) = cx.tree.get(t.org)?.filter(|h| joins(&orgs, h)) {
            let from = store::day_of(now).saturating_sub(WINDOW_DAYS - 1);
            let s = standing(&store::days_from(cx.store(), t.id, from)?);
            out.push((t, host, s));
        }
        Ok(())
    })?;
    // Open ones first; then by branches, activity, the newest.
    out.sort_by_key(|(t, _, s)| (t.until < now, std::cmp::Reverse((s.branches, s.activity, t.opened))));
    Ok(out)
}

pub fn hot_list(cx: &Ctx, p: &Person) -> Result<String> {
    let now = cx.now();
    let list = hot(cx, p, now)?;
    if list.is_empty() {
        return Ok(Msg::TopicsNone.text().to_owned());
    }
    let mut s = Msg::TopicsHead.text().to_owned();
    // By the level of the org that opened it: 全国, then 省, then 校.
    let mut levels: Vec<u8> = list.iter().map(|(_, h, _)| h.level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        let name = cx.tree.levels.get(level).map(|l| l.name.clone()).unwrap_or_default();
        s.push_str(&format!("\n{}", msg(Msg::TopicsLevel, &[("level", &name)])));
        for (i, (t, host, st)) in list.iter().filter(|(_, h, _)| h.level == level).take(SHOWN_TOPICS).enumerate() {
            let state = if t.until < now {
                Msg::TopicClosed.text().to_owned()
            } else {
                msg(Msg::TopicUntil, &[("until", &show(t.until))])
            };
            s.push_str(&format!(
                "\n{}. #{}# · {} · {} · {state}",
                i + 1,
                t.tag,
                host.name,
                msg(Msg::TopicStanding, &[("branches", &st.branches), ("activity", &st.activity)])
            ));
        }
    }
    Ok(s)
}

/// `/topic #话题#`: the topic `p` takes part in, its latest posts and its
/// most active branches.
pub fn topic(cx: &Ctx, p: &Person, tag: &str) -> Result<String> {
    let orgs = person_orgs(cx, p)?;
    let mut found: Option<(Topic, Org)> = None;
    for t in store::with_tag(cx.store(), tag)? {
        if let Some(host) = cx.tree.get(t.org)?.filter(|h| joins(&orgs, h)) {
            // The newest, then the nearest.
            if found.as_ref().is_none_or(|(f, fh)| (t.opened, host.path.len()) > (f.opened, fh.path.len())) {
                found = Some((t, host));
            }
        }
    }
    let Some((t, host)) = found else { return Err(Error::not_found(msg(Msg::TopicUnknown, &[("tag", &tag)]))) };
    let now = cx.now();
    let st = standing(&store::days_from(cx.store(), t.id, 0)?);
    let state = if t.until < now {
        Msg::TopicClosed.text().to_owned()
    } else {
        msg(Msg::TopicUntil, &[("until", &show(t.until))])
    };
    let mut s = format!("#{}# · {} · {}", t.tag, host.name, state);
    if !t.about.is_empty() {
        s.push_str(&format!("\n{}", t.about));
    }
    s.push_str(&format!("\n{}", msg(Msg::TopicTotals, &[("branches", &st.branches), ("posts", &st.posts)])));
    let latest = store::latest_posts(cx.store(), t.id, SHOWN_POSTS)?;
    if latest.is_empty() {
        s.push_str(&format!("\n{}", Msg::TopicNoPosts.text()));
        return Ok(s);
    }
    s.push_str(&format!("\n{}", Msg::TopicLatest.text()));
    for post in &latest {
        let org = cx.tree.get(post.org)?.map(|o| o.name).unwrap_or_default();
        let text: String = post.text.chars().take(80).collect();
        s.push_str(&format!("\n- {} {} {}：{}", show(post.at), org, post.name, text.replace('\n', " ")));
    }
    s.push_str(&format!("\n{}", Msg::TopicTopBranches.text()));
    for (org, n) in st.top.into_iter().take(SHOWN_POSTS) {
        let name = cx.tree.get(org)?.map(|o| o.name).unwrap_or_default();
        s.push_str(&format!("\n- {name}：{}", msg(Msg::TopicPostCount, &[("n", &n)])));
    }
    Ok(s)
}
