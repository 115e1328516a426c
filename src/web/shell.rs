//! The console's own pages: the overview (the viewer's orgs, then each
//! feature's panel), the operator's page, and the static files (htmx and
//! the stylesheet, built in); sign-in and out in `signin.rs`.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::page::{error_with, render, Chrome};
use super::signin;
use super::viewer::{lang_of, Viewer};
use super::Web;
use crate::catalogue::Msg;
use crate::error::Result;
use crate::tree::Org;

const HTMX: &[u8] = include_bytes!("static/htmx.min.js");
const CSS: &str = include_str!("static/console.css");

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(overview))
        .route("/static/htmx.min.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], HTMX) }))
        .route("/static/console.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }))
        .route("/login", get(signin::login_page).post(signin::ask_link))
        .route("/login/{token}", get(signin::confirm_page).post(signin::redeem))
        .route("/logout", post(signin::logout))
        .route("/logout/all", post(signin::logout_all))
        .route("/lang/{code}", get(signin::switch_lang))
        .route("/ops", get(ops))
        .route("/ops/login", get(signin::ops_login_page).post(signin::ops_login))
        .fallback(not_found)
}

async fn not_found(parts: axum::http::request::Parts) -> Response {
    error_with(lang_of(&parts), StatusCode::NOT_FOUND, Msg::WebNoSuchPage.text())
}

/// Coverage of one level below an org: orgs with a bound chat of all.
pub struct LevelCoverage {
    pub level: String,
    pub all: i64,
    pub bound: i64,
    pub channels: i64,
}

/// One of the viewer's orgs on the overview.
pub struct OrgCard {
    pub org: Org,
    pub level: String,
    pub levels: Vec<LevelCoverage>,
    /// The first orgs below with no chat, and how many in all.
    pub unreachable: Vec<Org>,
    pub unreachable_count: i64,
}

#[derive(Template)]
#[template(path = "web/templates/overview.html")]
struct Overview {
    c: Chrome,
    cards: Vec<OrgCard>,
    panels: Vec<String>,
}

/// How many unreachable orgs the overview names.
const UNREACHABLE_SHOWN: usize = 10;

/// Per level below `org`: how many orgs, how many have a chat, and the
/// first ones that have none (one walk of the subtree; the channel counters
/// give the rest).
pub fn org_card(cx: &crate::context::Ctx, org: &Org) -> Result<OrgCard> {
    let tree = &cx.tree;
    let mut all = vec![0i64; tree.levels.len()];
    let mut unreachable = Vec::new();
    let mut unreachable_count = 0;
    let owners: std::collections::HashSet<u32> = tree.store.channel_owners(&org.path).collect::<Result<_>>()?;
    // Keys only: a national walk decodes nothing but the few orgs it names.
    for kv in tree.store.org_levels_under(&org.path) {
        let (level, id) = kv?;
        if let Some(n) = all.get_mut(level as usize) {
            *n += 1;
        }
        if id != org.id && !owners.contains(&id) {
            unreachable_count += 1;
            if unreachable.len() < UNREACHABLE_SHOWN {
                unreachable.extend(tree.get(id)?);
            }
        }
    }
    let mut levels = Vec::new();
    for (i, n) in all.iter().enumerate().skip(org.level as usize) {
        let (channels, bound) = tree.channel_counts(org.id, i as u8)?;
        levels.push(LevelCoverage { level: tree.levels.name(i as u8).to_owned(), all: *n, bound, channels });
    }
    Ok(OrgCard {
        level: tree.levels.name(org.level).to_owned(),
        org: org.clone(),
        levels,
        unreachable,
        unreachable_count,
    })
}

async fn overview(State(web): State<Web>, v: Viewer) -> Response {
    let lang = v.lang;
    web.blocking(lang, move |web| {
        let mut cards = Vec::new();
        for o in &v.orgs {
            cards.push(org_card(&web.ctx, o)?);
        }
        let panels = web.site.panels(&web.ctx, &v)?;
        Ok(render(&Overview { c: v.chrome(web, "/"), cards, panels }))
    })
    .await
}

#[derive(Template)]
#[template(path = "web/templates/ops.html")]
struct Ops {
    c: Chrome,
    adapters: Vec<Vec<String>>,
    gauges: Vec<super::health::Gauge>,
}

async fn ops(State(web): State<Web>, v: Viewer) -> Response {
    let lang = v.lang;
    if !v.operator {
        return error_with(lang, StatusCode::FORBIDDEN, Msg::WebOperatorsOnly.text());
    }
    web.blocking(lang, move |web| {
        let (adapters, gauges) = super::health::read(&web.ctx, &web.site.subscribers(), lang)?;
        Ok(render(&Ops { c: v.chrome(web, "/ops"), adapters, gauges }))
    })
    .await
}

/// Answers a plain request's `HX-Redirect` or a redirect, after an action.
pub fn after_action(headers: &HeaderMap, to: &str) -> Response {
    if headers.contains_key("hx-request") {
        ([("hx-redirect", to.to_owned())], "").into_response()
    } else {
        Redirect::to(to).into_response()
    }
}
