//! Search (信息搜索, issue 18): `/search 关键词` (`/搜索`) in a private chat
//! over orgs, notices and letters, within what the asker may see.
//!
//! The engine is tantivy: jieba words for ranking beside positional
//! character grams for recall, traditional characters found as simplified,
//! org names by pinyin initials. Every feature describes its documents
//! (`Feature::search_docs` from the event log, `Feature::search_all` for a
//! rebuild); the index follows the log as a subscriber and keeps the
//! position it indexed up to in its own commit, so a crash re-indexes the
//! events after it and a document put twice replaces itself.

mod build;
mod dir;
pub mod engine;
pub mod query;
mod snippet;
pub mod text;
mod web;

use std::sync::{Arc, Mutex};

use treecast_wire::{ChatKind, Inbound};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::Record;
use crate::notice::fanout::DeliveryState;
use crate::registry::{
    never, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, SearchKind, SearchOp, Subscriber, Who,
};
use crate::store::Writes;
use crate::tree::people::{Person, Role};
use engine::{Engine, Filter, Hit, Sees};

/// Results shown per page in a chat.
const PAGE: usize = 5;

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "search",
    aliases: &["搜索"],
    usage: "关键词 [p2]",
    help: "搜索组织、通知和信件（整句加引号，-词 排除） / search orgs, notices and letters (quotes for a phrase, -word to leave out)",
    who: Who::Anyone,
    changes_state: never,
}];

#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every other feature: each describes its own documents.
    sources: Vec<Arc<dyn Feature>>,
    engine: Mutex<Option<Arc<Engine>>>,
    /// Held while documents are made and written: by the indexer for a
    /// batch of events, by a rebuild for the whole store. Without it a
    /// batch made before a rename, written after a rebuild, put the old
    /// name back.
    writing: Mutex<()>,
}

impl Inner {
    /// The index beside the store (in memory for a temporary store), opened
    /// on first use, once: a second opening of the same directory would
    /// find tantivy's writer lock taken.
    fn engine(&self, cx: &Ctx) -> Result<Arc<Engine>> {
        let mut slot = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = slot.as_ref() {
            return Ok(e.clone());
        }
        let path = cx.store().path();
        let dir = (path.to_str() != Some("<temporary>")).then(|| path.join("search"));
        let e = Arc::new(Engine::open(dir.as_deref())?);
        // A new index (first start, or an earlier layout removed) over a
        // store with history: filled from the store, not only from the log
        // (compaction may have dropped its start).
        if e.payload()?.is_empty() && cx.store().last_event() > 0 {
            self.fill(cx, &e)?;
        }
        *slot = Some(e.clone());
        Ok(e)
    }

    /// Empties `engine` and fills it from every feature's store.
    fn fill(&self, cx: &Ctx, engine: &Engine) -> Result<u64> {
        tracing::info!("filling the search index from the store");
        engine.clear()?;
        let upto = cx.store().last_event();
        let mut n = 0;
        for f in &self.sources {
            let mut batch = Vec::new();
            f.search_all(cx, &mut |d| {
                batch.push(d);
                if batch.len() >= 10_000 {
                    n += batch.len() as u64;
                    engine.put(&std::mem::take(&mut batch))?;
                }
                Ok(())
            })?;
            n += batch.len() as u64;
            engine.put(&batch)?;
        }
        engine.commit(&upto.to_string())?;
        Ok(n)
    }

    fn apply(&self, cx: &Ctx, ops: Vec<SearchOp>) -> Result<()> {
        let engine = self.engine(cx)?;
        let mut puts = Vec::new();
        for op in ops {
            match op {
                SearchOp::Put(d) => puts.push(d),
                SearchOp::Remove(id) => engine.remove(&id),
            }
        }
        engine.put(&puts)
    }
}

impl Search {
    pub fn new(sources: Vec<Arc<dyn Feature>>) -> Search {
        Search { inner: Arc::new(Inner { sources, engine: Mutex::new(None), writing: Mutex::new(()) }) }
    }

    /// Empties the index and fills it again from every feature's store.
    pub fn rebuild(&self, cx: &Ctx) -> Result<u64> {
        let engine = self.inner.engine(cx)?;
        let _writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.fill(cx, &engine)
    }

    /// `query` for `asker` (None: an operator, who sees everything).
    pub fn query(
        &self,
        cx: &Ctx,
        asker: Option<&Person>,
        q: &str,
        filter: Filter,
        page: usize,
    ) -> Result<(Vec<Hit>, bool)> {
        let parsed = query::parse(q)?;
        let engine = self.inner.engine(cx)?;
        let Some(p) = asker else { return engine.search(&parsed, &filter, page * PAGE, PAGE) };
        let (sees, branches) = sees(cx, p)?;
        let filter = Filter { sees: Some(sees), ..filter };
        // A member sees a notice only once it reached their branch: read
        // more than a page and keep what they may see.
        let (hits, _) = engine.search(&parsed, &filter, 0, (page + 1) * PAGE + 50)?;
        let mut kept = Vec::new();
        for h in hits {
            if branches.is_empty() || h.kind != "notice" || reached(cx, &h, &branches)? {
                kept.push(h);
            }
        }
        let more = kept.len() > (page + 1) * PAGE;
        let shown = kept.into_iter().skip(page * PAGE).take(PAGE).collect();
        Ok((shown, more))
    }
}

/// What `p` may see, and the branches whose notices they see only once delivered (members).
fn sees(cx: &Ctx, p: &Person) -> Result<(Sees, Vec<crate::tree::Org>)> {
    let mut sees = Sees::default();
    let mut branches = Vec::new();
    for (org, role) in cx.tree.roles_of(p.id)? {
        sees.on_path.extend(&org.path);
        match role {
            Role::Official => sees.within.push(org.path.clone()),
            Role::Member => branches.push(org),
        }
    }
    if !sees.within.is_empty() {
        branches.clear(); // an official's rights cover their whole subtree
    }
    Ok((sees, branches))
}

/// Whether notice hit `h` reached one of `branches`' chats.
fn reached(cx: &Ctx, h: &Hit, branches: &[crate::tree::Org]) -> Result<bool> {
    let Some(id) = h.id.strip_prefix("notice:").and_then(|n| n.parse::<u64>().ok()) else { return Ok(false) };
    for b in branches {
        for ch in cx.tree.channels_of(b)? {
            if matches!(cx.store().delivery(id, ch.id)?.map(|r| r.state), Some(DeliveryState::Sent { .. })) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The kinds of documents the features make.
fn kinds(sources: &[Arc<dyn Feature>]) -> Vec<SearchKind> {
    sources.iter().flat_map(|f| f.declare().search_kinds.iter().copied()).collect()
}

fn kind_label(kinds: &[SearchKind], kind: &str) -> &'static str {
    kinds.iter().find(|k| k.kind == kind).map_or("其他 other", |k| k.label)
}

/// The kind `--kind` names (its own name or an alias).
fn kind_named(kinds: &[SearchKind], name: &str) -> Option<&'static str> {
    kinds.iter().find(|k| k.kind == name || k.aliases.contains(&name)).map(|k| k.kind)
}

/// The results as a chat answer: a line per hit with its snippet, then how to see more.
pub fn render(kinds: &[SearchKind], q: &str, hits: &[Hit], more: bool, page: usize) -> String {
    if hits.is_empty() {
        return msg(Msg::SearchNothing, &[("q", &q)]);
    }
    let mut out = msg(Msg::SearchHead, &[("q", &q), ("page", &(page + 1))]);
    for (i, h) in hits.iter().enumerate() {
        let when = if h.at > 0 { format!(" · {}", crate::clock::show(h.at)) } else { String::new() };
        out.push_str(&format!("\n{}. [{}] {}{when}", page * PAGE + i + 1, kind_label(kinds, &h.kind), h.title));
        if !h.snippet.trim().is_empty() {
            out.push_str(&format!("\n   {}", h.snippet.replace('\n', " ")));
        }
    }
    if more {
        out.push_str(&format!("\n{}", msg(Msg::SearchMore, &[("q", &q), ("next", &(page + 2))])));
    }
    out
}

/// `关键词 p2` -> ("关键词", page index 1).
fn split_page(args: &[String]) -> (String, usize) {
    let page = args.last().and_then(|a| a.strip_prefix(['p', 'P'])).and_then(|n| n.parse::<usize>().ok());
    match page {
        Some(n) if n >= 1 => (args[..args.len() - 1].join(" "), n - 1),
        _ => (args.join(" "), 0),
    }
}

impl Feature for Search {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "search",
            commands: COMMANDS,
            admin: &["search.query", "search.rebuild"],
            web_nav: &[("/search", "搜索", "Search")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes(self.clone()))
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        if ev.chat.kind == ChatKind::Group {
            return Ok(Handled::say(ev, Msg::SearchPrivateOnly.text()));
        }
        let person = cx.person(ev)?;
        let (q, page) = split_page(&inv.args);
        let (hits, more) = self.query(cx, person.as_ref().or(Some(&anonymous())), &q, Filter::default(), page)?;
        Ok(Handled::say(ev, render(&kinds(&self.inner.sources), &q, &hits, more, page)))
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<crate::admin::Reply> {
        match op {
            "search.rebuild" => {
                let n = self.rebuild(cx)?;
                Ok(crate::admin::Reply::text(msg(Msg::SearchRebuilt, &[("n", &n)])))
            }
            "search.query" => admin_query(self, cx, crate::admin::args(op, a)?),
            _ => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
        }
    }

    fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        vec![Arc::new(Indexer { inner: self.inner.clone() })]
    }
}

/// Someone the bot does not know: public documents only.
fn anonymous() -> Person {
    Person { id: 0, name: String::new(), identities: Vec::new(), preferred: None }
}

#[derive(serde::Deserialize)]
struct AdminQuery {
    q: String,
    org: Option<String>,
    kind: Option<String>,
    since: Option<String>,
    #[serde(default)]
    page: usize,
}

fn admin_query(s: &Search, cx: &Ctx, a: AdminQuery) -> Result<crate::admin::Reply> {
    let kinds = kinds(&s.inner.sources);
    let mut filter = Filter::default();
    if let Some(code) = &a.org {
        filter.within.push(cx.tree.require(code)?.path);
    }
    if let Some(k) = a.kind {
        let Some(kind) = kind_named(&kinds, k.trim()) else {
            let names: Vec<String> =
                kinds.iter().map(|k| format!("{}（{}）", [&[k.kind], k.aliases].concat().join("/"), k.label)).collect();
            return Err(Error::invalid(msg(Msg::SearchBadKind, &[("kind", &k), ("kinds", &names.join("、"))])));
        };
        filter.kinds.push(kind.to_owned());
    }
    if let Some(d) = &a.since {
        let at = crate::clock::parse_china(&format!("{} 00:00", d.trim()))
            .ok_or_else(|| Error::invalid(msg(Msg::SearchBadDate, &[("text", &d)])))?;
        filter.since = Some(at);
    }
    let page = a.page.saturating_sub(1);
    let (hits, more) = s.query(cx, None, &a.q, filter, page)?;
    Ok(crate::admin::Reply::text(render(&kinds, &a.q, &hits, more, page)))
}

/// Follows the event log into the index.
struct Indexer {
    inner: Arc<Inner>,
}

impl Subscriber for Indexer {
    fn name(&self) -> &'static str {
        "search.index"
    }

    fn apart(&self) -> bool {
        true
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let _writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut ops = Vec::new();
        for f in &self.inner.sources {
            ops.extend(f.search_docs(cx, events)?);
        }
        // Events that change nothing here cost no commit (a fan-out logs many).
        if let (Some(last), false) = (events.last(), ops.is_empty()) {
            self.inner.apply(cx, ops)?;
            self.inner.engine(cx)?.commit(&last.seq.to_string())?;
        }
        Ok(Writes::default())
    }
}

#[cfg(test)]
mod recall;
#[cfg(test)]
mod tests;
