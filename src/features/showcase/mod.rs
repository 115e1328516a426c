//! Showcase columns (专栏) and featured content (精彩展示). An org's
//! officials create columns for its brand activities; people of the org
//! and below submit posts (text, files) to them; the org's officials (or
//! those above) approve or reject each, and may announce an approved post
//! to the org's chats. An official of an org above may feature a post of
//! a column below (`/feature`): it joins their org's showcase and, if
//! asked, goes down their subtree as a notice crediting the child org.

pub mod store;
mod web;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Event, Record};
use crate::notice::Draft;
use crate::registry::{
    split_at_org, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, SearchDoc, SearchKind, SearchOp, Who,
};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::Person;
use crate::tree::Org;
use store::{Column, Post, State};

const MAX_NAME: usize = 20;
const SHOWN: usize = 5;

fn acts(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("new" | "新建" | "post" | "投稿" | "approve" | "通过" | "reject" | "退回")
    )
}

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "column",
        aliases: &["专栏"],
        usage: "new 名称 说明 | post 名称 内容 | pending | approve ID [announce] | reject ID 理由 | 名称 [ORG]",
        help: "专栏：创建、投稿、审核、查看 / columns: create, submit, approve, see",
        who: Who::Members,
        changes_state: acts,
    },
    CommandSpec {
        name: "feature",
        aliases: &["推荐"],
        usage: "ID [fanout]",
        help: "上级推荐下级的专栏文章到本组织的精彩展示 / feature a post from a column below in your org's showcase",
        who: Who::Officials,
        changes_state: crate::registry::always,
    },
    CommandSpec {
        name: "showcase",
        aliases: &["精彩展示"],
        usage: "[ORG]",
        help: "精彩展示：本组织推荐的下级文章 / an org's showcase of featured posts",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
];

fn require_post(cx: &Ctx, id: u64) -> Result<Post> {
    store::post(cx.store(), id)?.ok_or_else(|| Error::not_found(msg(Msg::ShowcaseNoPost, &[("id", &id)])))
}

/// The column `name` nearest above (or at) one of `p`'s orgs, with its org.
fn find_column(cx: &Ctx, p: &Person, name: &str) -> Result<Option<(Column, Org)>> {
    for (org, _) in cx.tree.roles_of(p.id)? {
        let mut chain = cx.tree.ancestors(&org)?;
        chain.push(org.clone());
        for o in chain.into_iter().rev() {
            if let Some(c) = store::column(cx.store(), o.id, name)? {
                return Ok(Some((c, o)));
            }
        }
    }
    Ok(None)
}

fn create(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (at, args) = split_at_org(&inv.args[1..]);
    let org = cx.official_org(p, at)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    let Some(name) = args.first().map(|n| n.trim()).filter(|n| !n.is_empty()) else {
        return Err(Error::invalid(Msg::ColumnUsage.text()));
    };
    if name.chars().count() > MAX_NAME {
        return Err(Error::invalid(msg(Msg::ColumnNameTooLong, &[("max", &MAX_NAME)])));
    }
    if store::column(cx.store(), org.id, name)?.is_some() {
        return Err(Error::invalid(msg(Msg::ColumnExists, &[("column", &name), ("org", &org.name)])));
    }
    let about = [args[1..].join(" "), inv.body.trim().to_owned()].join("\n").trim().to_owned();
    let c = Column { org: org.id, name: name.to_owned(), about, by: p.id, at: cx.now() };
    let mut w = Writes::default();
    store::put_column(&mut w, &c);
    cx.store().commit(&w)?;
    Ok(Handled::say(ev, msg(Msg::ColumnCreated, &[("column", &c.name), ("org", &org.name)])))
}

fn submit(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let Some(name) = inv.arg(1) else { return Err(Error::invalid(Msg::ColumnUsage.text())) };
    let Some((column, org)) = find_column(cx, p, name)? else {
        return Err(Error::not_found(msg(Msg::ColumnUnknown, &[("column", &name)])));
    };
    let text = inv.text_from(2);
    if text.is_empty() && ev.attachments.is_empty() {
        return Err(Error::invalid(Msg::ColumnUsage.text()));
    }
    let limit = cx.rules().max_attachment_bytes;
    if let Some(big) = ev.attachments.iter().find(|a| a.data.len() as u64 > limit) {
        let mb = format!("{:.1}", limit as f64 / 1_048_576.0);
        return Err(Error::invalid(msg(Msg::ShowcaseFileTooLarge, &[("name", &big.name), ("mb", &mb)])));
    }
    let from = cx.tree.roles_of(p.id)?.into_iter().map(|(o, _)| o).find(|o| o.is_within(&org)).unwrap_or(org.clone());
    let post = Post {
        id: cx.store().next_id()?,
        org: org.id,
        column: column.name.clone(),
        author: p.id,
        author_name: p.name.clone(),
        from: from.id,
        text,
        files: ev.attachments.clone(),
        at: cx.now(),
        state: State::Pending,
        featured: Vec::new(),
    };
    let mut w = Writes::default();
    store::put_post(&mut w, &post, None, cx.clock.now_ms());
    cx.store().commit(&w)?;
    Ok(Handled::say(ev, msg(Msg::ColumnSubmitted, &[("id", &post.id), ("column", &column.name), ("org", &org.name)])))
}

/// Posts a notice to `org`'s subtree showing `post`, `title` first.
fn announce(cx: &Cx, p: &Person, org: &Org, title: String, post: &Post) -> Result<u64> {
    let source = cx.tree.get(post.from)?.map(|o| o.name).unwrap_or_default();
    let draft = Draft {
        issuer_code: org.code.clone(),
        title,
        body: msg(
            Msg::ShowcaseNoticeBody,
            &[("text", &post.text), ("from", &source), ("author", &post.author_name), ("column", &post.column)],
        ),
        attachments: post.files.clone(),
        ack_required: false,
        ..Draft::default()
    };
    Ok(cx.tree.post(p.id, draft, &cx.rules())?.id)
}

fn decide(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation, approve: bool) -> Result<Handled> {
    let mut post = require_post(cx, inv.id(1, Msg::ColumnUsage)?)?;
    let org = cx.tree.require_id(post.org)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    if post.state != State::Pending {
        return Err(Error::invalid(msg(Msg::ShowcaseNotPending, &[("id", &post.id)])));
    }
    let old = post.state.clone();
    let now = cx.now();
    post.state = if approve {
        State::Approved { by: p.id, at: now }
    } else {
        let reason = inv.words_from(2);
        State::Rejected { by: p.id, reason }
    };
    let mut w = Writes::default();
    store::put_post(&mut w, &post, Some(&old), cx.clock.now_ms());
    cx.store().commit(&w)?;
    if !approve {
        return Ok(Handled::say(ev, msg(Msg::ShowcaseRejected, &[("id", &post.id)])));
    }
    let mut said = msg(Msg::ShowcaseApproved, &[("id", &post.id), ("column", &post.column)]);
    if matches!(inv.arg(2), Some("announce" | "公告")) {
        let n = announce(cx, p, &org, format!("【专栏·{}】", post.column), &post)?;
        said.push_str(&format!("\n{}", msg(Msg::ShowcaseAnnounced, &[("notice", &n)])));
    }
    Ok(Handled::say(ev, said))
}

fn feature(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let mut post = require_post(cx, inv.id(0, Msg::ColumnUsage)?)?;
    if !matches!(post.state, State::Approved { .. }) {
        return Err(Error::invalid(msg(Msg::ShowcaseNotApproved, &[("id", &post.id)])));
    }
    let child = cx.tree.require_id(post.org)?;
    // An official of an org strictly above the post's column.
    let parent = cx.tree.roles_of(p.id)?.into_iter().map(|(o, _)| o).find(|o| child.is_within(o) && o.id != child.id);
    let Some(parent) = parent.filter(|o| cx.tree.allowed(p.id, Action::PostNotice, o).unwrap_or(false)) else {
        return Err(Error::denied(msg(Msg::ShowcaseMayNotFeature, &[("org", &child.name)])));
    };
    if post.featured.iter().any(|(o, _, _)| *o == parent.id) {
        return Err(Error::invalid(msg(Msg::ShowcaseAlreadyFeatured, &[("id", &post.id), ("org", &parent.name)])));
    }
    post.featured.push((parent.id, p.id, cx.now()));
    let mut w = Writes::default();
    store::put_featured(&mut w, &post, parent.id, p.id, cx.clock.now_ms());
    cx.store().commit(&w)?;
    let mut said = msg(Msg::ShowcaseFeatured, &[("id", &post.id), ("org", &parent.name)]);
    if matches!(inv.arg(1), Some("fanout" | "下发")) {
        let n = announce(cx, p, &parent, format!("【精彩展示】{}·{}", child.name, post.column), &post)?;
        said.push_str(&format!("\n{}", msg(Msg::ShowcaseAnnounced, &[("notice", &n)])));
    }
    Ok(Handled::say(ev, said))
}

fn line(cx: &Ctx, p: &Post) -> Result<String> {
    let from = cx.tree.get(p.from)?.map(|o| o.name).unwrap_or_default();
    let text: String = p.text.chars().take(80).collect();
    let files = if p.files.is_empty() {
        String::new()
    } else {
        format!(" [{}]", p.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join("、"))
    };
    Ok(format!(
        "#{} {} {} · {}：{}{files}",
        p.id,
        crate::clock::show(p.at),
        from,
        p.author_name,
        text.replace('\n', " ")
    ))
}

fn show_list(cx: &Ctx, head: String, posts: &[Post]) -> Result<String> {
    let mut s = head;
    if posts.is_empty() {
        s.push_str(&format!("\n{}", Msg::ShowcaseEmpty.text()));
    }
    for p in posts {
        s.push_str(&format!("\n{}", line(cx, p)?));
    }
    Ok(s)
}

fn column_view(cx: &Cx, p: Option<&Person>, name: &str, org: Option<&str>) -> Result<String> {
    let found = match (org, p) {
        (Some(code), _) => {
            let o = cx.tree.require(code)?;
            store::column(cx.store(), o.id, name)?.map(|c| (c, o))
        }
        (None, Some(p)) => find_column(cx, p, name)?,
        (None, None) => None,
    };
    let Some((c, o)) = found else { return Err(Error::not_found(msg(Msg::ColumnUnknown, &[("column", &name)]))) };
    let approved = store::approved(cx.store(), o.id, &c.name, SHOWN)?;
    let head = msg(Msg::ColumnHead, &[("column", &c.name), ("org", &o.name), ("about", &c.about)]);
    show_list(cx, head, &approved)
}

pub struct Showcase;

impl Feature for Showcase {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "showcase",
            commands: COMMANDS,
            search_kinds: &[SearchKind { kind: "showcase", label: "专栏 column", aliases: &["column"] }],
            module: Some("专栏"),
            web_nav: &[("/showcase", "专栏", "Columns")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let person = cx.person(ev)?;
        match (inv.name, inv.arg(0)) {
            ("showcase", code) => {
                let org = match (code, &person) {
                    (Some(c), _) => cx.tree.require(c)?,
                    (None, Some(p)) => cx
                        .tree
                        .roles_of(p.id)?
                        .into_iter()
                        .next()
                        .map(|(o, _)| o)
                        .ok_or_else(|| Error::invalid(Msg::ShowcaseNameAnOrg.text()))?,
                    (None, None) => return Err(Error::invalid(Msg::ShowcaseNameAnOrg.text())),
                };
                let head = msg(Msg::ShowcaseHead, &[("org", &org.name)]);
                Ok(Handled::say(ev, show_list(cx, head, &store::listed(cx.store(), org.id, b'f', SHOWN)?)?))
            }
            ("feature", _) => feature(cx, ev, &cx.need_person(ev)?, inv),
            (_, Some("new" | "新建")) => create(cx, ev, &cx.need_person(ev)?, inv),
            (_, Some("post" | "投稿")) => submit(cx, ev, &cx.need_person(ev)?, inv),
            (_, Some("approve" | "通过")) => decide(cx, ev, &cx.need_person(ev)?, inv, true),
            (_, Some("reject" | "退回")) => decide(cx, ev, &cx.need_person(ev)?, inv, false),
            (_, Some("pending" | "待审")) => {
                let p = cx.need_person(ev)?;
                let org = cx.official_org(&p, inv.arg(1))?;
                cx.tree.check(p.id, Action::PostNotice, &org)?;
                let head = msg(Msg::ShowcasePendingHead, &[("org", &org.name)]);
                Ok(Handled::say(ev, show_list(cx, head, &store::listed(cx.store(), org.id, b'p', 20)?)?))
            }
            (_, Some(name)) => Ok(Handled::say(ev, column_view(cx, person.as_ref(), name, inv.arg(1))?)),
            (_, None) => Err(Error::invalid(Msg::ColumnUsage.text())),
        }
    }

    fn search_docs(&self, cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
        let mut out = Vec::new();
        for r in events {
            if let Event::ShowcaseApproved { post, .. } = r.event {
                if let Some(p) = store::post(cx.store(), post)? {
                    out.push(SearchOp::Put(doc(&p)));
                }
            }
        }
        Ok(out)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        store::each_post(cx.store(), |p| if matches!(p.state, State::Approved { .. }) { put(doc(&p)) } else { Ok(()) })
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        let mut n = 0;
        store::each_post(cx.store(), |post| {
            n += usize::from(post.author == p.id);
            Ok(())
        })?;
        Ok(if n == 0 { Vec::new() } else { vec![msg(Msg::MyDataColumnPosts, &[("n", &n)])] })
    }

    /// The posts stay (the column's); the author's name goes.
    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        store::each_post(cx.store(), |mut post| {
            if post.author == p.id {
                post.author = 0;
                post.author_name = Msg::ForgottenAuthor.text().to_owned();
                store::put_post_row(w, &post);
            }
            Ok(())
        })
    }
}

/// An approved post is showcase: anyone may find it.
fn doc(p: &Post) -> SearchDoc {
    SearchDoc {
        id: format!("showcase:{}", p.id),
        kind: "showcase".into(),
        title: format!("【专栏·{}】", p.column),
        body: p.text.clone(),
        public: true,
        at: p.at,
        ..SearchDoc::default()
    }
}

#[cfg(test)]
mod tests;
