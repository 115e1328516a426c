//! Micro-topics (微话题, #话题#): an official opens a topic for their
//! subtree with an end date, announced like a notice; messages in bound
//! groups, rooms and lists that carry the tag (`#青春心连心#`, full-width
//! `＃` too) become its posts, as does `/topic post #话题# …` in a private
//! chat; `/topic #话题#` shows it and `/topics` ranks the topics an asker
//! can join by how many branches took part in the last week.
//!
//! Platforms: Matrix rooms and mailing lists deliver every message; a
//! Telegram bot in privacy mode sees only commands, mentions and replies in
//! groups, so a group's posts reach it only when privacy mode is off
//! (BotFather: /setprivacy -> Disable, then re-add the bot) or when they
//! mention the bot (docs/topics.md). A reply to a bot message stays a
//! reply, on every platform: it goes to the notice's author.

mod search;
pub mod store;
pub mod view;
mod web;

use treecast_wire::{ChatKind, Inbound};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Event, Record};
use crate::notice::Draft;
use crate::registry::{
    split_at_org, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, SearchDoc, SearchKind, SearchOp,
    Subscriber, Who,
};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::Org;
pub use store::{Post, Topic};

/// A topic runs this long unless its opener says otherwise.
const DEFAULT_DAYS: u64 = 14;
/// The longest tag, in characters.
const MAX_TAG: usize = 30;

fn changes_state(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("new" | "新建" | "post" | "发言"))
}

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "topic",
        aliases: &["话题"],
        usage: "new #话题# 说明 [YYYY-MM-DD] | post #话题# 内容 | #话题#",
        help: "微话题：发起、发言、查看 / micro-topics: open one, post to one, see one",
        who: Who::Members,
        changes_state,
    },
    CommandSpec {
        name: "topics",
        aliases: &["热门话题"],
        usage: "",
        help: "热门话题：按参与团支部数排序 / hot topics, by how many branches took part",
        who: Who::Members,
        changes_state: crate::registry::never,
    },
];

/// The tags in `text`: `#…#` or `＃…＃`, 1 to `MAX_TAG` characters, no line break.
pub fn tags(text: &str) -> Vec<String> {
    let t = text.replace('＃', "#");
    let mut out: Vec<String> = Vec::new();
    let mut parts = t.split('#');
    parts.next();
    let parts: Vec<&str> = parts.collect();
    // Between the 1st and 2nd #, the 3rd and 4th, …
    for pair in parts.chunks(2) {
        if let [inside, _] = pair {
            let tag = inside.trim();
            let n = tag.chars().count();
            if (1..=MAX_TAG).contains(&n) && !tag.contains('\n') && !out.iter().any(|o| o == tag) {
                out.push(tag.to_owned());
            }
        }
    }
    out
}

/// The one tag an argument names (`#话题#`, `＃话题＃`; the bare word too
/// unless `marked`: a new topic's tag is written with its #s).
fn tag_arg(arg: Option<&str>, marked: bool) -> Result<String> {
    let Some(a) = arg else { return Err(Error::invalid(Msg::TopicUsage.text())) };
    let bare = a.replace('＃', "#");
    if marked && !(bare.len() > 2 && bare.starts_with('#') && bare.ends_with('#')) {
        return Err(Error::invalid(Msg::TopicUsage.text()));
    }
    let tag = bare.trim_matches('#').trim();
    let n = tag.chars().count();
    if n == 0 || tag.contains('#') {
        return Err(Error::invalid(Msg::TopicUsage.text()));
    }
    if n > MAX_TAG {
        return Err(Error::invalid(msg(Msg::TopicTagTooLong, &[("max", &MAX_TAG)])));
    }
    Ok(tag.to_owned())
}

/// The open topic with `tag` that `org` takes part in: the one opened
/// nearest above it.
fn open_for(cx: &Ctx, tag: &str, org: &Org, now: u64) -> Result<Option<(Topic, Org)>> {
    let mut best: Option<(Topic, Org)> = None;
    for t in store::with_tag(cx.store(), tag)? {
        if t.until < now {
            continue;
        }
        let Some(host) = cx.tree.get(t.org)? else { continue };
        if org.is_within(&host) && best.as_ref().is_none_or(|(_, b)| host.path.len() > b.path.len()) {
            best = Some((t, host));
        }
    }
    Ok(best)
}

/// The org a person posts from: their branch, else their first official org.
fn home_org(cx: &Ctx, p: &Person) -> Result<Option<Org>> {
    let roles = cx.tree.roles_of(p.id)?;
    let member = roles.iter().find(|(_, r)| *r == Role::Member);
    Ok(member.or(roles.first()).map(|(o, _)| o.clone()))
}

fn end_of_day(date: &str) -> Option<u64> {
    crate::clock::parse_china(&format!("{date} 23:59")).map(|t| t + 59)
}

fn open(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (at, args) = split_at_org(&inv.args[1..]);
    let org = cx.official_org(p, at)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    let tag = tag_arg(args.first().map(String::as_str), true)?;
    let now = cx.now();
    let mut until = now + DEFAULT_DAYS * 86_400;
    let mut words = Vec::new();
    for a in args.iter().skip(1) {
        let d = a.trim_start_matches(['至', '到']);
        match (d.len() == 10 && d.as_bytes()[4] == b'-').then(|| end_of_day(d)) {
            Some(Some(t)) if t > now => until = t,
            Some(_) => return Err(Error::invalid(msg(Msg::TopicBadDate, &[("date", a)]))),
            None => words.push(a.as_str()),
        }
    }
    let about = [words.join(" "), inv.body.trim().to_owned()].join("\n").trim().to_owned();
    if store::with_tag(cx.store(), &tag)?.iter().any(|t| t.org == org.id && t.until >= now) {
        return Err(Error::invalid(msg(Msg::TopicAlreadyOpen, &[("tag", &tag), ("name", &org.name)])));
    }
    let draft = Draft {
        issuer_code: org.code.clone(),
        title: format!("【微话题】#{tag}#"),
        body: msg(Msg::TopicAnnouncement, &[("about", &about), ("tag", &tag), ("until", &crate::clock::show(until))]),
        ack_required: false,
        ..Draft::default()
    };
    let notice = cx.tree.post(p.id, draft, &cx.rules())?;
    let t = Topic {
        id: cx.store().next_id()?,
        tag,
        about,
        org: org.id,
        opened_by: p.id,
        opened: now,
        until,
        notice: Some(notice.id),
    };
    let mut w = Writes::default();
    store::put_topic(&mut w, &t, cx.clock.now_ms());
    cx.store().commit(&w)?;
    Ok(Handled::say(
        ev,
        msg(
            Msg::TopicOpened,
            &[("tag", &t.tag), ("name", &org.name), ("until", &crate::clock::show(until)), ("notice", &notice.id)],
        ),
    ))
}

/// Records a post to the topic `tag` names for `org`, if one is open.
fn record(cx: &Ctx, ev: &Inbound, tag: &str, org: &Org, person: Option<&Person>) -> Result<Option<Topic>> {
    let now = cx.now();
    let Some((t, _)) = open_for(cx, tag, org, now)? else { return Ok(None) };
    let who = match person {
        Some(p) => format!("p{}", p.id),
        None => format!("{}:{}", ev.chat.platform, ev.sender.id),
    };
    let post = Post {
        id: cx.store().next_id()?,
        org: org.id,
        person: person.map(|p| p.id),
        who,
        name: crate::tree::Tree::sender_name(ev, person),
        text: ev.text.trim().to_owned(),
        via: ev.chat.platform,
        at: now,
    };
    let mut w = Writes::default();
    store::put_post(&mut w, t.id, &post, cx.clock.now_ms());
    cx.store().commit(&w)?;
    Ok(Some(t))
}

fn post_privately(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let tag = tag_arg(inv.arg(1), false)?;
    let Some(org) = home_org(cx, p)? else { return Err(Error::denied(Msg::TopicNoOrg.text())) };
    let text = inv.text_from(2);
    if text.is_empty() {
        return Err(Error::invalid(Msg::TopicUsage.text()));
    }
    let mut said = ev.clone();
    said.text = format!("#{tag}# {}", text.trim());
    match record(cx, &said, &tag, &org, Some(p))? {
        Some(t) => Ok(Handled::say(ev, msg(Msg::TopicPosted, &[("tag", &t.tag)]))),
        None => Err(Error::not_found(msg(Msg::TopicUnknown, &[("tag", &tag)]))),
    }
}

/// Keeps each topic's days (`store::Day`: orgs, writers by the hour,
/// posts) from the event log, for the hot list.
struct Stats;

impl Subscriber for Stats {
    fn name(&self) -> &'static str {
        "topics.stats"
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut days: std::collections::BTreeMap<(u64, u32), store::Day> = Default::default();
        for r in events {
            let Event::TopicPosted { topic, post, .. } = r.event else { continue };
            let Some(p) = store::post(cx.store(), topic, post)? else { continue };
            let d = store::day_of(p.at);
            if let std::collections::btree_map::Entry::Vacant(e) = days.entry((topic, d)) {
                e.insert(store::day(cx.store(), topic, d)?);
            }
            days.get_mut(&(topic, d)).expect("just filled").add(&p);
        }
        let mut w = Writes::default();
        for ((topic, d), day) in &days {
            store::put_day(&mut w, *topic, *d, day);
        }
        Ok(w)
    }
}

pub struct Topics;

impl Feature for Topics {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "topics",
            commands: COMMANDS,
            search_kinds: &[SearchKind { kind: "topic", label: "话题 topic", aliases: &[] }],
            module: Some("话题"),
            web_nav: &[("/topics", "话题", "Topics")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn subscribers(&self) -> Vec<std::sync::Arc<dyn Subscriber>> {
        vec![std::sync::Arc::new(Stats)]
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        if inv.name == "topics" {
            return Ok(Handled::say(ev, view::hot_list(cx, &p)?));
        }
        match inv.arg(0) {
            Some("new" | "新建") => open(cx, ev, &p, inv),
            Some("post" | "发言") => post_privately(cx, ev, &p, inv),
            Some(_) => Ok(Handled::say(ev, view::topic(cx, &p, &tag_arg(inv.arg(0), false)?)?)),
            None => Ok(Handled::say(ev, view::hot_list(cx, &p)?)),
        }
    }

    /// Chatter in a bound group: each tag naming an open topic the group's
    /// org takes part in makes one post. Silent: the group is not answered.
    fn group_message(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        if ev.chat.kind == ChatKind::Direct || !ev.text.contains(['#', '＃']) {
            return Ok(Handled::none());
        }
        let Some(ch) = cx.tree.channel_by_address(&ev.chat)? else { return Ok(Handled::none()) };
        let Some(org) = cx.tree.get(ch.org)? else { return Ok(Handled::none()) };
        let person = cx.person(ev)?;
        for tag in tags(&ev.text) {
            record(cx, ev, &tag, &org, person.as_ref())?;
        }
        Ok(Handled::none())
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        let mut n = 0;
        store::each_topic(cx.store(), |t| {
            n += store::posts(cx.store(), t.id)?.iter().filter(|post| wrote(p, post)).count();
            Ok(())
        })?;
        Ok(if n == 0 { Vec::new() } else { vec![msg(Msg::MyDataTopicPosts, &[("n", &n)])] })
    }

    /// The posts stay (they are the topic's); who wrote them goes.
    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        store::each_topic(cx.store(), |t| {
            for mut post in store::posts(cx.store(), t.id)? {
                if wrote(p, &post) {
                    post.person = None;
                    post.who = format!("gone{}", p.id);
                    post.name = Msg::ForgottenAuthor.text().to_owned();
                    store::put_post_row(w, t.id, &post);
                }
            }
            Ok(())
        })
    }

    fn search_docs(&self, cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
        search::docs(cx, events)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        search::all(cx, put)
    }
}

/// Whether `p` wrote `post` (registered then, or by one of their accounts).
fn wrote(p: &Person, post: &Post) -> bool {
    post.person == Some(p.id) || p.identities.iter().any(|i| post.who == format!("{}:{}", i.platform, i.user))
}

#[cfg(test)]
mod tests;
