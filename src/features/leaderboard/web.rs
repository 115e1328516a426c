//! The activity leaderboard (活跃度排行榜) in the web console: an org's
//! children ranked by the last computed scores, as a chart and a table with
//! each part of the score and the change over the window; drilling down
//! ranks the children of a child. The module switch applies as in chat.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::score::{Score, LABELS, PARTS};
use super::{store, WINDOW_DAYS};
use crate::catalogue::Msg;
use crate::error::Error;
use crate::web::chart::{self, Row, Series};
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new().route("/rank", get(page))
}

#[derive(serde::Deserialize, Default)]
struct Under {
    #[serde(default)]
    org: String,
}

pub struct Ranked {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub deeper: bool,
    pub total: String,
    pub change: String,
    pub parts: Vec<String>,
}

#[derive(Template)]
#[template(path = "features/leaderboard/web/rank.html")]
struct RankPage {
    c: Chrome,
    parent: String,
    at: u64,
    days: u32,
    labels: Vec<String>,
    chart: String,
    rows: Vec<Ranked>,
}

fn parts(s: &Score) -> Vec<String> {
    (0..PARTS).map(|i| s.parts[i].map_or("—".to_owned(), |v| format!("{:.0}%", v * 100.0))).collect()
}

async fn page(State(web): State<Web>, v: Viewer, Query(u): Query<Under>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let tree = &cx.tree;
        // The viewer's own org's children, or those of the org named.
        let parent = v.org(tree, Some(u.org.as_str()))?;
        if let Some(no) = crate::registry::modules::refusal(tree, &cx.config.modules, &parent, "leaderboard", "排行榜")?
        {
            return Err(Error::denied(no));
        }
        let Some(at) = store::computed_at(cx.store())? else { return Err(Error::not_found(Msg::RankNotYet.text())) };
        let mut kept = store::standings_under(cx.store(), Some(parent.id))?;
        let mut rows: Vec<_> = tree
            .children(parent.id)?
            .into_iter()
            .map(|c| {
                let s = kept.remove(&c.id).unwrap_or_default();
                (c, s)
            })
            .collect();
        rows.sort_by(|a, b| b.1.now.total.total_cmp(&a.1.now.total).then_with(|| a.0.code.cmp(&b.0.code)));
        let c = v.chrome(web, "/rank");
        let shown: Vec<_> = rows.iter().take(40).collect();
        let chart = chart::progress_bars(
            &format!("{} {}", parent.name, c.t("下级活跃度", "activity of the orgs below")),
            &[Series { name: c.t("活跃度", "activity").to_owned(), colour: chart::PALETTE[0] }],
            &shown
                .iter()
                .map(|(o, s)| Row {
                    label: o.name.clone(),
                    total: 100,
                    values: vec![s.now.total.round().max(0.0) as u64],
                })
                .collect::<Vec<_>>(),
        );
        let ranked = rows
            .iter()
            .enumerate()
            .take(200)
            .map(|(i, (o, s))| Ranked {
                rank: i + 1,
                code: o.code.clone(),
                name: o.name.clone(),
                deeper: !tree.is_leaf(o.level),
                total: format!("{:.1}", s.now.total),
                change: format!("{:+.1}", s.now.total - s.before.total),
                parts: parts(&s.now),
            })
            .collect();
        let labels = LABELS.iter().map(|l| v.lang.sentence(l)).collect();
        Ok(render(&RankPage { c, parent: parent.name.clone(), at, days: WINDOW_DAYS, labels, chart, rows: ranked }))
    })
    .await
}
