//! Micro-topics (微话题) in the web console: the hot list the viewer takes
//! part in (branches, activity, posts over the last seven days, as a
//! chart), and each topic's latest posts and most active orgs.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::store;
use super::view::{hot, standing, WINDOW_DAYS};
use crate::catalogue::Msg;
use crate::error::Error;
use crate::web::chart;
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new().route("/topics", get(list)).route("/topic/{id}", get(one))
}

pub struct Hot {
    pub id: u64,
    pub tag: String,
    pub host: String,
    pub open: bool,
    pub branches: i64,
    pub activity: i64,
    pub posts: i64,
}

#[derive(Template)]
#[template(path = "features/topics/web/list.html")]
struct List {
    c: Chrome,
    days: u32,
    chart: String,
    topics: Vec<Hot>,
}

async fn list(State(web): State<Web>, v: Viewer) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let p = v.person.clone().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        let now = cx.now();
        let topics: Vec<Hot> = hot(cx, &p, now)?
            .into_iter()
            .take(30)
            .map(|(t, host, s)| Hot {
                id: t.id,
                tag: t.tag,
                host: host.name,
                open: t.until > now,
                branches: s.branches as i64,
                activity: s.activity as i64,
                posts: s.posts as i64,
            })
            .collect();
        let c = v.chrome(web, "/topics");
        let bars: Vec<(String, u64)> =
            topics.iter().take(10).map(|t| (format!("#{}#", t.tag), t.branches as u64)).collect();
        let chart = chart::choice_bars(c.t("参与支部数（近 7 天）", "Branches taking part (7 days)"), &bars);
        Ok(render(&List { c, days: WINDOW_DAYS, chart, topics }))
    })
    .await
}

#[derive(Template)]
#[template(path = "features/topics/web/topic.html")]
struct One {
    c: Chrome,
    tag: String,
    about: String,
    host: String,
    until: u64,
    top: Vec<(String, u32)>,
    posts: Vec<(String, String, String, u64)>,
}

async fn one(State(web): State<Web>, v: Viewer, Path(id): Path<u64>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let p = v.person.clone().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        // Only a topic the viewer takes part in, as the hot list shows it.
        let now = cx.now();
        let Some((t, host, _)) = hot(cx, &p, now)?.into_iter().find(|(t, _, _)| t.id == id) else {
            return Err(Error::not_found(Msg::WebNoSuchPage.text()));
        };
        let s = standing(&store::days_from(cx.store(), t.id, store::day_of(t.opened))?);
        let mut top = Vec::new();
        for (org, n) in s.top.iter().take(10) {
            top.push((cx.tree.get(*org)?.map(|o| o.name).unwrap_or_default(), *n));
        }
        let mut posts = Vec::new();
        for post in store::latest_posts(cx.store(), t.id, 20)? {
            let org = cx.tree.get(post.org)?.map(|o| o.name).unwrap_or_default();
            posts.push((org, post.name, post.text, post.at));
        }
        Ok(render(&One {
            c: v.chrome(web, "/topics"),
            tag: t.tag,
            about: t.about,
            host: host.name,
            until: t.until,
            top,
            posts,
        }))
    })
    .await
}
