//! What `/topic #话题#` and `/topics` show: a topic's latest posts and most
//! active branches, and the hot list. A topic ranks by how many branches
//! took part in the window, not by how much was said; its activity counts
//! each writer once an hour, so one person's flood is one.

use std::collections::{HashMap, HashSet};

use super::store::{self, Post, Topic};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::error::{Error, Result};
use crate::registry::Ctx;
use crate::tree::people::Person;
use crate::tree::Org;

/// The hot list looks this far back.
pub const WINDOW_SECS: u64 = 7 * 86_400;
const SHOWN_POSTS: usize = 5;
const SHOWN_TOPICS: usize = 10;

/// A topic's standing in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub branches: usize,
    pub activity: usize,
    pub posts: usize,
}

pub fn standing(posts: &[Post], since: u64) -> Standing {
    let recent: Vec<&Post> = posts.iter().filter(|p| p.at >= since).collect();
    let branches: HashSet<u32> = recent.iter().map(|p| p.org).collect();
    let activity: HashSet<(&str, u64)> = recent.iter().map(|p| (p.who.as_str(), p.at / 3600)).collect();
    Standing { branches: branches.len(), activity: activity.len(), posts: recent.len() }
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
            let s = standing(&store::posts(cx.store(), t.id)?, now.saturating_sub(WINDOW_SECS));
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
    let posts = store::posts(cx.store(), t.id)?;
    let now = cx.now();
    let st = standing(&posts, 0);
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
    if posts.is_empty() {
        s.push_str(&format!("\n{}", Msg::TopicNoPosts.text()));
        return Ok(s);
    }
    s.push_str(&format!("\n{}", Msg::TopicLatest.text()));
    for post in posts.iter().rev().take(SHOWN_POSTS) {
        let org = cx.tree.get(post.org)?.map(|o| o.name).unwrap_or_default();
        let text: String = post.text.chars().take(80).collect();
        s.push_str(&format!("\n- {} {} {}：{}", show(post.at), org, post.name, text.replace('\n', " ")));
    }
    let mut by_org: HashMap<u32, usize> = HashMap::new();
    for post in &posts {
        *by_org.entry(post.org).or_default() += 1;
    }
    let mut top: Vec<(u32, usize)> = by_org.into_iter().collect();
    top.sort_by_key(|(o, n)| (std::cmp::Reverse(*n), *o));
    s.push_str(&format!("\n{}", Msg::TopicTopBranches.text()));
    for (org, n) in top.into_iter().take(SHOWN_POSTS) {
        let name = cx.tree.get(org)?.map(|o| o.name).unwrap_or_default();
        s.push_str(&format!("\n- {name}：{}", msg(Msg::TopicPostCount, &[("n", &n)])));
    }
    Ok(s)
}
