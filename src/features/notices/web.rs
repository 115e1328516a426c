//! Notices in the web console: the list, one notice's delivery and
//! acknowledgements per level (chart and table, drilling down province ->
//! school -> branch, live while it fans out), "remind the rest", and posting
//! a notice with a preview of how each platform shows it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::catalogue::Msg;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::notice::ack::AckHow;
use crate::notice::status::Status;
use crate::notice::NoticeKind;
use crate::tree::auth::Action;
use crate::web::chart::{self, Row, Series};
use crate::web::page::{render, Chrome};
use crate::web::{after_action, Checked, Viewer, Web};

mod post;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/notices", get(list))
        .route("/notice/{id}", get(page))
        .route("/notice/{id}/live", get(live))
        .route("/notice/{id}/remind", post(remind))
        .route("/post", get(post::form).post(post::post_notice))
        .route("/post/preview", post(post::preview))
}

#[derive(serde::Deserialize, Default)]
pub struct Focus {
    #[serde(default)]
    org: String,
    /// What was just done (`posted`, `reminded`): a code, never text a link could forge.
    #[serde(default)]
    done: String,
}

/// One row of a notice's table: an org below the focus.
pub struct LevelRow {
    pub code: String,
    pub name: String,
    /// Drilling down is possible (it has children).
    pub deeper: bool,
    pub channels: i64,
    pub delivered: i64,
    pub failed: i64,
    pub acked: i64,
    pub orgs: i64,
}

/// Orgs without a channel at posting, per level: (level, count, the first (code, name)).
type Gaps = Vec<(String, usize, Vec<(String, String)>)>;

/// An acknowledgement as the page lists it.
pub struct AckLine {
    pub org: String,
    pub by: String,
    pub via: String,
    pub how: String,
    pub at: u64,
    pub late: bool,
}

#[derive(Template)]
#[template(path = "features/notices/web/notice.html")]
struct NoticePage {
    c: Chrome,
    title: String,
    live: String,
}

/// The part that refreshes itself while the notice fans out.
#[derive(Template)]
#[template(path = "features/notices/web/live.html")]
struct Live {
    c: Chrome,
    id: u64,
    title: String,
    issuer: String,
    created: u64,
    deadline: u64,
    overdue: bool,
    focus_code: String,
    focus_name: String,
    /// Below the issuer: the links back up, (code, name) between them.
    drilled: bool,
    trail: Vec<(String, String)>,
    walking: bool,
    chart: String,
    total: LevelRow,
    rows: Vec<LevelRow>,
    missing: Vec<(String, String)>,
    unreached: Gaps,
    failures: Vec<(String, String)>,
    acks: Vec<AckLine>,
    may_remind: bool,
}

fn level_row(tree: &crate::tree::Tree, r: &crate::notice::status::StatusRow) -> LevelRow {
    LevelRow {
        code: r.org.code.clone(),
        name: r.org.name.clone(),
        deeper: !tree.is_leaf(r.org.level),
        channels: r.channels,
        delivered: r.delivered,
        failed: r.failed,
        acked: r.acked,
        orgs: r.orgs,
    }
}

fn how_label(c: &Chrome, how: AckHow) -> String {
    match how {
        AckHow::Button => c.t("按钮", "button"),
        AckHow::Reaction => c.t("表情回应", "reaction"),
        AckHow::Reply => c.t("回复", "reply"),
        AckHow::Command => c.t("命令", "command"),
        AckHow::Unknown => "–",
    }
    .to_owned()
}

/// The notice's series, as the chart and the table name them.
pub fn series(c: &Chrome) -> Vec<Series> {
    vec![
        Series { name: c.t("已送达", "delivered").to_owned(), colour: "#2e7d32" },
        Series { name: c.t("已确认", "acknowledged").to_owned(), colour: "#1565c0" },
        Series { name: c.t("失败", "failed").to_owned(), colour: "#c62828" },
    ]
}

/// Delivered and failed count chats, acknowledged counts orgs: each bar is
/// its share of its own whole.
fn chart_rows(rows: &[LevelRow]) -> Vec<Row> {
    rows.iter()
        .map(|r| Row {
            label: r.name.clone(),
            total: r.channels.max(0) as u64,
            values: vec![r.delivered.max(0) as u64, scaled(r.acked, r.orgs, r.channels), r.failed.max(0) as u64],
        })
        .collect()
}

/// `acked` of `orgs`, as the same share of `channels` (the chart has one track per row).
fn scaled(acked: i64, orgs: i64, channels: i64) -> u64 {
    if orgs <= 0 {
        return 0;
    }
    (acked.max(0) as f64 / orgs as f64 * channels.max(0) as f64).round() as u64
}

/// The orgs between the issuer and the focus of a drill-down, for its
/// breadcrumb: (code, name), from the top.
fn trail(
    tree: &crate::tree::Tree,
    issuer: &crate::tree::Org,
    focus: &crate::tree::Org,
) -> Result<Vec<(String, String)>> {
    let mut trail = Vec::new();
    if focus.id != issuer.id {
        for a in tree.ancestors(focus)? {
            if a.path.contains(&issuer.id) && a.id != issuer.id {
                trail.push((a.code.clone(), a.name.clone()));
            }
        }
    }
    Ok(trail)
}

/// Who acknowledged, when and how; late when after the deadline.
fn ack_lines(c: &Chrome, st: &Status, deadline: u64) -> Vec<AckLine> {
    st.acks
        .iter()
        .map(|(o, a)| AckLine {
            org: o.name.clone(),
            by: a.by.clone(),
            via: a.via.as_str().to_owned(),
            how: how_label(c, a.how),
            at: a.at,
            late: deadline > 0 && a.at > deadline,
        })
        .collect()
}

fn live_of(cx: &Ctx, c: &Chrome, v: &Viewer, id: u64, focus: Option<&str>) -> Result<Live> {
    let tree = &cx.tree;
    let st: Status = tree.status(v.person_id(), id, focus, 20)?;
    let n = &st.notice;
    let issuer = tree.require_id(n.issuer)?;
    let focus = st.rows[0].org.clone();
    let trail = trail(tree, &issuer, &focus)?;
    let rows: Vec<LevelRow> = st.rows[1..].iter().map(|r| level_row(tree, r)).collect();
    let chart = chart::progress_bars(
        &format!("{} {}", focus.name, c.t("各下级送达与确认", "delivery and acknowledgements below")),
        &series(c),
        &chart_rows(&rows),
    );
    let now = cx.now();
    let deadline = n.ack_deadline.unwrap_or(0);
    let acks = ack_lines(c, &st, deadline);
    let may_remind = match v.person_id() {
        Some(p) => tree.allowed(p, Action::ViewStatus, &issuer)?,
        None => false,
    };
    Ok(Live {
        c: c.clone(),
        id: n.root_id(),
        title: n.title.clone(),
        issuer: issuer.name.clone(),
        created: n.created,
        deadline,
        overdue: deadline > 0 && now > deadline,
        focus_code: focus.code.clone(),
        focus_name: focus.name.clone(),
        drilled: focus.id != issuer.id,
        trail,
        walking: !st.walked || cx.store().active_notices()?.contains(&n.id),
        chart,
        total: level_row(tree, &st.rows[0]),
        rows,
        missing: st.missing.iter().map(|o| (o.code.clone(), o.name.clone())).collect(),
        unreached: st
            .unreached
            .unwrap_or_default()
            .into_iter()
            .map(|(l, count, orgs)| {
                (tree.levels.name(l).to_owned(), count, orgs.into_iter().map(|o| (o.code, o.name)).collect())
            })
            .collect(),
        failures: st.failures.iter().map(|(o, why)| (o.name.clone(), why.clone())).collect(),
        acks,
        may_remind,
    })
}

async fn page(State(web): State<Web>, v: Viewer, Path(id): Path<u64>, Query(f): Query<Focus>) -> Response {
    web.blocking(v.lang, move |web| {
        let mut c = v.chrome(web, "/notices");
        c.flash = match f.done.as_str() {
            "posted" => v.lang.sentence(Msg::WebPosted.text()),
            "reminded" => v.lang.sentence(Msg::WebReminded.text()),
            _ => String::new(),
        };
        let focus = Some(f.org.as_str()).filter(|s| !s.is_empty());
        let live = live_of(&web.ctx, &c, &v, id, focus)?;
        let title = live.title.clone();
        let live = crate::web::page::fragment(&live)?;
        Ok(render(&NoticePage { c, title, live }))
    })
    .await
}

async fn live(State(web): State<Web>, v: Viewer, Path(id): Path<u64>, Query(f): Query<Focus>) -> Response {
    web.blocking(v.lang, move |web| {
        let c = v.chrome(web, "/notices");
        let focus = Some(f.org.as_str()).filter(|s| !s.is_empty());
        Ok(render(&live_of(&web.ctx, &c, &v, id, focus)?))
    })
    .await
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn remind(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Checked(v, _): Checked<Nothing>,
) -> Response {
    web.blocking(v.lang, move |web| {
        let p = v.person_id().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        let n = web.ctx.tree.remind(p, id)?;
        web.ctx.waker.wake();
        tracing::info!(target: "treecast::web", person = p, notice = id, reminder = n.id, "reminded from the web console");
        Ok(after_action(&headers, &format!("/notice/{id}?done=reminded")))
    })
    .await
}

/// A notice in the list: id, title, issuer, when, progress.
pub struct Listed {
    pub id: u64,
    pub title: String,
    pub issuer: String,
    pub created: u64,
    pub total: LevelRow,
}

#[derive(Template)]
#[template(path = "features/notices/web/list.html")]
struct ListPage {
    c: Chrome,
    notices: Vec<Listed>,
}

/// The latest notices the viewer may see the status of: issued by their
/// orgs or those below them, or sent down to them from above.
pub fn visible(cx: &Ctx, v: &Viewer, limit: usize) -> Result<Vec<Listed>> {
    let tree = &cx.tree;
    let mut out = Vec::new();
    for n in tree.store.latest_notices(limit * 10)? {
        if out.len() >= limit {
            break;
        }
        if matches!(n.kind, NoticeKind::Reminder { .. }) {
            continue;
        }
        let Some(issuer) = tree.get(n.issuer)? else { continue };
        let focus = match v.person_id() {
            None => None,
            Some(_) => {
                // Issued within the viewer's orgs: from the issuer; from above: the viewer's own part.
                let mine = v.orgs.iter().find(|o| issuer.is_within(o));
                let above = v.orgs.iter().find(|o| o.is_within(&issuer));
                match (mine, above) {
                    (Some(_), _) => None,
                    (None, Some(o)) => Some(o.code.clone()),
                    (None, None) => continue,
                }
            }
        };
        let st = match tree.status(v.person_id(), n.id, focus.as_deref(), 0) {
            Ok(st) => st,
            Err(Error::Denied(_)) => continue,
            Err(e) => return Err(e),
        };
        out.push(Listed {
            id: n.id,
            title: n.title.clone(),
            issuer: issuer.name.clone(),
            created: n.created,
            total: level_row(tree, &st.rows[0]),
        });
    }
    Ok(out)
}

async fn list(State(web): State<Web>, v: Viewer) -> Response {
    web.blocking(v.lang, move |web| {
        let notices = visible(&web.ctx, &v, 30)?;
        Ok(render(&ListPage { c: v.chrome(web, "/notices"), notices }))
    })
    .await
}

#[derive(Template)]
#[template(path = "features/notices/web/panel.html")]
struct Panel {
    c: Chrome,
    notices: Vec<Listed>,
}

/// The overview's part: the viewer's latest notices with their progress.
pub fn panel(cx: &Ctx, v: &Viewer) -> Result<Option<String>> {
    let notices = visible(cx, v, 5)?;
    let c = Chrome { lang: v.lang, ..Chrome::default() };
    Ok(Some(crate::web::page::fragment(&Panel { c, notices })?))
}
