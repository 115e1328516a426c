//! The tree in the web console: browse and search orgs, each org's chats
//! and its children's coverage, and a school's bind codes printed as a
//! sheet (one code per org below that has no chat yet).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::tree::auth::Action;
use crate::tree::reads::Read;
use crate::tree::Org;
use crate::web::page::{render, Chrome};
use crate::web::{Checked, Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new().route("/tree", get(browse)).route("/tree/{code}/codes", post(codes))
}

#[derive(serde::Deserialize, Default)]
struct Browse {
    #[serde(default)]
    org: String,
    #[serde(default)]
    q: String,
}

pub struct Child {
    pub code: String,
    pub name: String,
    pub level: String,
    pub bound: i64,
    pub all_below: bool,
    pub has_chat: bool,
}

#[derive(Template)]
#[template(path = "features/orgs/web/tree.html")]
struct TreePage {
    c: Chrome,
    org: Org,
    level: String,
    trail: Vec<(String, String)>,
    q: String,
    found: Vec<(String, String, String)>,
    children: Vec<Child>,
    channels: Vec<(u64, String, bool)>,
    may_bind: bool,
}

/// How many orgs a search lists.
const FOUND: usize = 50;

async fn browse(State(web): State<Web>, v: Viewer, Query(b): Query<Browse>) -> Response {
    web.blocking(v.lang, move |web| {
        let tree = &web.ctx.tree;
        let org = match (b.org.as_str(), v.orgs.first()) {
            ("", Some(o)) => o.clone(),
            ("", None) => {
                tree.roots()?.into_iter().next().ok_or_else(|| Error::not_found(Msg::WebNoSuchPage.text()))?
            }
            (code, _) => tree.require(code)?,
        };
        let p = v.person_id();
        tree.check_read(p, Read::Children, &org)?;
        let trail = tree.ancestors(&org)?.into_iter().map(|a| (a.code, a.name)).collect();
        // Search: by code, or by a part of the name, within this org's subtree.
        let q = b.q.trim().to_owned();
        let mut found = Vec::new();
        if !q.is_empty() {
            for o in tree.subtree(&org) {
                let o = o?;
                if o.code == q || o.name.contains(&q) {
                    found.push((o.code.clone(), o.name.clone(), tree.levels.name(o.level).to_owned()));
                    if found.len() >= FOUND {
                        break;
                    }
                }
            }
        }
        let owners: std::collections::HashSet<u32> = tree.store.channel_owners(&org.path).collect::<Result<_>>()?;
        let mut children = Vec::new();
        for ch in tree.children(org.id)? {
            let below = ch.level as usize + 1;
            let bound = if below < tree.levels.len() { tree.channel_counts(ch.id, below as u8)?.1 } else { 0 };
            children.push(Child {
                has_chat: owners.contains(&ch.id),
                all_below: below >= tree.levels.len(),
                level: tree.levels.name(ch.level).to_owned(),
                code: ch.code,
                name: ch.name,
                bound,
            });
        }
        let channels = if tree.sight(p, Read::Channels, &org)? == crate::tree::reads::Sight::All {
            tree.channels_of(&org)?.into_iter().map(|c| (c.id, c.address.to_string(), c.alive)).collect()
        } else {
            Vec::new()
        };
        let may_bind = match p {
            Some(p) => tree.allowed(p, Action::BindChannel, &org)?,
            None => false,
        };
        let page = TreePage {
            c: v.chrome(web, "/tree"),
            level: tree.levels.name(org.level).to_owned(),
            org,
            trail,
            q,
            found,
            children,
            channels,
            may_bind,
        };
        Ok(render(&page))
    })
    .await
}

#[derive(Template)]
#[template(path = "features/orgs/web/codes.html")]
struct CodesPage {
    c: Chrome,
    org: Org,
    hours: u64,
    codes: Vec<(String, String, String)>,
}

/// How many codes one sheet holds.
const SHEET: usize = 500;

#[derive(serde::Deserialize)]
struct Nothing {}

/// Bind codes for every org directly below `code` without a chat: the
/// sheet a school prints and hands to its branch secretaries.
async fn codes(State(web): State<Web>, Path(code): Path<String>, Checked(v, _): Checked<Nothing>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let tree = &cx.tree;
        let org = tree.require(&code)?;
        let p = v.person_id().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        tree.check(p, Action::BindChannel, &org)?;
        let ttl = cx.config.bind_code_ttl.as_secs();
        let owners: std::collections::HashSet<u32> = tree.store.channel_owners(&org.path).collect::<Result<_>>()?;
        let mut codes = Vec::new();
        for ch in tree.children(org.id)?.into_iter().filter(|c| !owners.contains(&c.id)).take(SHEET) {
            let bind = cx.store().issue_code(Grant::Bind { org: ch.id, by: p }, cx.now() + ttl)?;
            codes.push((ch.code, ch.name, bind));
        }
        tracing::info!(target: "treecast::web", person = p, org = %org.code, n = codes.len(), "bind codes printed from the web console");
        let mut c = v.chrome(web, "/tree");
        c.flash = v.lang.sentence(&msg(Msg::WebCodesIssued, &[("n", &codes.len()), ("hours", &(ttl / 3600))]));
        Ok(render(&CodesPage { c, org, hours: ttl / 3600, codes }))
    })
    .await
}
