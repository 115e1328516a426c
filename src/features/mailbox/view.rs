//! What officials read: the inbox of their orgs, one thread, and the week's
//! upward reports rolled up per child and per level.

use std::collections::{BTreeMap, BTreeSet};

use super::letters::{self, Kind, Letter, Party};
use super::send::kind_words;
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::Result;
use crate::tree::Org;

/// Letters listed per part of the inbox.
const LIST: usize = 10;
/// Children without a report named in the week's roll-up (the rest are counted).
const MISSING_SHOWN: usize = 10;

/// One line for a letter: `● #12 [私信] 湖南大学团委（4143010533）· 张三：标题（2026-11-29 09:12）`.
fn line(cx: &Ctx, l: &Letter, org: u32) -> Result<String> {
    let (kind, _) = kind_words(l.kind, l.thread != l.id);
    let incoming = l.to == Party::Org(org);
    let other = letters::party_name(&cx.tree, if incoming { l.from } else { l.to })?;
    let arrow = if incoming { "←" } else { "→" };
    let mut s = format!("#{} [{kind}] {arrow} {other} · {}：{}（{}）", l.id, l.author_name, l.title, show(l.at));
    if incoming {
        match letters::read_mark(cx.store(), l.id)? {
            Some(m) => s.push_str(&msg(Msg::MailboxReadBy, &[("name", &m.name), ("at", &show(m.at))])),
            None => s.push_str(Msg::MailboxUnreadMark.text()),
        }
    }
    Ok(s)
}

/// The inbox of `org`: its unread letters, then its recent ones.
pub fn inbox(cx: &Ctx, org: &Org) -> Result<String> {
    let (unread, count) = letters::unread(cx.store(), org.id, LIST)?;
    let recent = letters::recent(cx.store(), org.id, LIST)?;
    let name = format!("{}（{}）", org.name, org.code);
    if recent.is_empty() {
        return Ok(msg(Msg::MailboxInboxEmpty, &[("org", &name)]));
    }
    let mut out = msg(Msg::MailboxInboxHead, &[("org", &name), ("unread", &count)]);
    for l in &unread {
        out.push_str(&format!("\n● {}", line(cx, l, org.id)?));
    }
    let shown: BTreeSet<u64> = unread.iter().map(|l| l.id).collect();
    let rest: Vec<&Letter> = recent.iter().filter(|l| !shown.contains(&l.id)).collect();
    if !rest.is_empty() {
        out.push_str(&format!("\n{}", Msg::MailboxRecentHead.text()));
        for l in rest {
            out.push_str(&format!("\n  {}", line(cx, l, org.id)?));
        }
    }
    out.push_str(&format!("\n{}", Msg::MailboxInboxFoot.text()));
    Ok(out)
}

/// A whole thread, oldest first, with who read each letter.
pub fn thread(cx: &Ctx, all: &[Letter]) -> Result<String> {
    let Some(root) = all.first() else { return Ok(String::new()) };
    let a = letters::party_name(&cx.tree, root.from)?;
    let b = letters::party_name(&cx.tree, root.to)?;
    let mut out =
        msg(Msg::MailboxThreadHead, &[("thread", &root.thread), ("title", &root.title), ("a", &a), ("b", &b)]);
    for l in all {
        let (kind, kind_en) = kind_words(l.kind, l.id != l.thread);
        let from = letters::party_name(&cx.tree, l.from)?;
        out.push_str(&format!("\n\n#{} {kind} {kind_en} · {from} · {} · {}", l.id, l.author_name, show(l.at)));
        if let Party::Org(_) = l.to {
            match letters::read_mark(cx.store(), l.id)? {
                Some(m) => out.push_str(&msg(Msg::MailboxReadBy, &[("name", &m.name), ("at", &show(m.at))])),
                None => out.push_str(Msg::MailboxUnreadMark.text()),
            }
        }
        if !l.forwarded.is_empty() {
            out.push_str(&msg(Msg::MailboxForwardedChain, &[("chain", &super::send::chain(cx, l)?)]));
        }
        if !l.body.is_empty() {
            out.push_str(&format!("\n{}", l.body));
        }
        if !l.file_names.is_empty() {
            out.push_str(&msg(Msg::MailboxFilesLine, &[("names", &l.file_names.join("、"))]));
        }
    }
    Ok(out)
}

/// The reports `focus` received this week, per child (who reported, who did
/// not), and per level below it how many orgs reported to their parent.
pub fn week(cx: &Ctx, focus: &Org) -> Result<String> {
    let now = cx.now();
    let week = crate::clock::china_week(now);
    let since = show(crate::clock::china_week_start(week));
    let reported = letters::reported_within(cx.store(), week, focus)?;
    // Reporting orgs per level, and the report ids of each direct child.
    let mut per_level: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    let mut of_child: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for (path, id) in &reported {
        let org = *path.last().expect("a path names its org");
        per_level.entry(path.len() - 1).or_default().insert(org);
        if path.len() == focus.path.len() + 1 {
            // Only reports sent to the focus itself count as its children's.
            if letters::get(cx.store(), *id)?.is_some_and(|l| l.to == Party::Org(focus.id) && l.kind == Kind::Report) {
                of_child.entry(org).or_default().push(*id);
            }
        }
    }
    let name = format!("{}（{}）", focus.name, focus.code);
    let mut out = msg(Msg::MailboxWeekHead, &[("org", &name), ("since", &since)]);
    let children = cx.tree.children(focus.id)?;
    let done = children.iter().filter(|c| of_child.contains_key(&c.id)).count();
    out.push_str(&format!("\n{}", msg(Msg::MailboxWeekChildren, &[("done", &done), ("all", &children.len())])));
    // Those who reported, then the first of those who did not.
    for c in children.iter().filter(|c| of_child.contains_key(&c.id)) {
        let ids: Vec<String> = of_child[&c.id].iter().map(|i| format!("#{i}")).collect();
        let line = msg(Msg::MailboxWeekReported, &[("name", &c.name), ("n", &ids.len()), ("ids", &ids.join(" "))]);
        out.push_str(&format!("\n{line}"));
    }
    let missing: Vec<&Org> = children.iter().filter(|c| !of_child.contains_key(&c.id)).collect();
    for c in missing.iter().take(MISSING_SHOWN) {
        out.push_str(&format!("\n{}", msg(Msg::MailboxWeekMissing, &[("name", &c.name)])));
    }
    if missing.len() > MISSING_SHOWN {
        out.push_str(&format!("\n {}", msg(Msg::AndMore, &[("n", &(missing.len() - MISSING_SHOWN))])));
    }
    // Orgs per level in the subtree: one walk (a province is ~10,000 orgs).
    let mut total: BTreeMap<usize, usize> = BTreeMap::new();
    for o in cx.tree.subtree(focus).skip(1) {
        *total.entry(o?.level as usize).or_default() += 1;
    }
    if total.len() > 1 {
        out.push_str(&format!("\n{}", Msg::MailboxWeekPerLevel.text()));
        for (level, all) in total {
            let done = per_level.get(&level).map_or(0, BTreeSet::len);
            let label = cx.tree.levels.get(level as u8).map_or(String::new(), |l| format!("{} {}", l.name, l.key));
            out.push_str(&format!(
                "\n{}",
                msg(Msg::MailboxWeekLevel, &[("level", &label), ("done", &done), ("all", &all)])
            ));
        }
    }
    Ok(out)
}
