//! Campaigns in the web console: the list, one campaign's compliance per
//! step for a scope and each of its children (drilling down), the late
//! ones named, and the compliance and form exports (XLSX, CSV). The scope
//! is checked as `/campaign status` checks it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::status::{self, State as Step};
use super::{commands, store};
use crate::catalogue::Msg;
use crate::context::Ctx;
use crate::error::Error;
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaign/{id}", get(page))
        .route("/campaign/{id}/export/{file}", get(export))
}

#[derive(serde::Deserialize, Default)]
struct Scope {
    #[serde(default)]
    org: String,
    /// `form-N` for step N's submissions; otherwise the compliance table.
    #[serde(default)]
    what: String,
}

pub struct Listed {
    pub id: u64,
    pub title: String,
    pub org: String,
    pub next_due: u64,
    pub targets: i64,
}

#[derive(Template)]
#[template(path = "features/campaigns/web/list.html")]
struct ListPage {
    c: Chrome,
    campaigns: Vec<Listed>,
}

/// The campaigns whose status the viewer may read, newest first.
pub fn visible(cx: &Ctx, v: &Viewer, limit: usize) -> crate::error::Result<Vec<Listed>> {
    let now = cx.now();
    let mut out = Vec::new();
    for c in store::campaigns(cx.store())?.into_iter().rev() {
        if out.len() >= limit {
            break;
        }
        match commands::scope(cx, v.person_id(), &c, None) {
            Ok(_) => {}
            Err(Error::Denied(_)) => continue,
            Err(e) => return Err(e),
        }
        out.push(Listed {
            id: c.id,
            title: c.def.title.clone(),
            org: cx.tree.require_id(c.org)?.name,
            next_due: c.dues.iter().copied().find(|d| *d > now).unwrap_or(0),
            targets: c.targets.len() as i64,
        });
    }
    Ok(out)
}

async fn list(State(web): State<Web>, v: Viewer) -> Response {
    web.blocking(v.lang, move |web| {
        let campaigns = visible(&web.ctx, &v, 100)?;
        Ok(render(&ListPage { c: v.chrome(web, "/campaigns"), campaigns }))
    })
    .await
}

/// One step's counts, as a row of numbers.
pub struct StepLine {
    pub n: usize,
    pub title: String,
    pub due: u64,
    pub done: i64,
    pub done_late: i64,
    pub late: i64,
    pub open: i64,
    pub total: i64,
    pub form: bool,
    pub late_named: Vec<String>,
}

pub struct ChildLine {
    pub code: String,
    pub name: String,
    /// (done, total) per step.
    pub steps: Vec<(i64, i64)>,
}

#[derive(Template)]
#[template(path = "features/campaigns/web/campaign.html")]
struct CampaignPage {
    c: Chrome,
    id: u64,
    title: String,
    scope_code: String,
    scope_name: String,
    steps: Vec<StepLine>,
    children: Vec<ChildLine>,
}

async fn page(State(web): State<Web>, v: Viewer, Path(id): Path<u64>, Query(q): Query<Scope>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let c = super::require(cx, id)?;
        let org = commands::scope(cx, v.person_id(), &c, Some(q.org.as_str()).filter(|o| !o.is_empty()))?;
        let s = status::compute(cx, &c, &org)?;
        let steps = c
            .def
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let k = s.steps[i];
                let late_named = s
                    .targets
                    .iter()
                    .filter(|(_, st)| st.get(i) == Some(&Step::Late))
                    .take(30)
                    .map(|(o, _)| o.name.clone())
                    .collect();
                StepLine {
                    n: i + 1,
                    title: step.title.clone(),
                    due: c.dues.get(i).copied().unwrap_or(0),
                    done: k.done as i64,
                    done_late: k.done_late as i64,
                    late: k.late as i64,
                    open: k.open as i64,
                    total: k.total() as i64,
                    form: matches!(step.kind, super::def::StepKind::Form { .. }),
                    late_named,
                }
            })
            .collect();
        let children = s
            .rows
            .iter()
            .map(|r| ChildLine {
                code: r.org.code.clone(),
                name: r.org.name.clone(),
                steps: r.steps.iter().map(|k| (k.done as i64, k.total() as i64)).collect(),
            })
            .collect();
        let page = CampaignPage {
            c: v.chrome(web, "/campaigns"),
            id,
            title: c.def.title.clone(),
            scope_code: org.code.clone(),
            scope_name: org.name.clone(),
            steps,
            children,
        };
        Ok(render(&page))
    })
    .await
}

/// `/campaign/ID/export/NAME.xlsx?what=form-2` (or `.csv`): the files `/campaign export` makes.
async fn export(
    State(web): State<Web>,
    v: Viewer,
    Path((id, file)): Path<(u64, String)>,
    Query(q): Query<Scope>,
) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let c = super::require(cx, id)?;
        let org = commands::scope(cx, v.person_id(), &c, Some(q.org.as_str()).filter(|o| !o.is_empty()))?;
        let s = status::compute(cx, &c, &org)?;
        let table = match q.what.strip_prefix("form-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => {
                // Form answers are the orgs' own data: the same read as `/campaign export`.
                cx.tree.check_read(v.person_id(), crate::tree::reads::Read::FormSubmissions, &org)?;
                s.forms(cx, n.saturating_sub(1))?
            }
            None => s.table(cx)?,
        };
        let name = std::path::Path::new(&file);
        let (bytes, mime, ext) = match name.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => (table.xlsx(name)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
            Some("csv") => (table.csv(name)?, "text/csv; charset=utf-8", "csv"),
            _ => return Err(Error::not_found(Msg::WebNoSuchPage.text())),
        };
        tracing::info!(target: "treecast::web", person = ?v.person_id(), campaign = id, what = %q.what, "campaign exported from the web console");
        let disposition = format!("attachment; filename=\"campaign-{id}.{ext}\"");
        Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
    })
    .await
}

#[derive(Template)]
#[template(path = "features/campaigns/web/panel.html")]
struct Panel {
    c: Chrome,
    campaigns: Vec<Listed>,
}

/// The overview's part: campaigns with a step still due.
pub fn panel(cx: &Ctx, v: &Viewer) -> crate::error::Result<Option<String>> {
    let campaigns: Vec<Listed> = visible(cx, v, 20)?.into_iter().filter(|c| c.next_due > 0).take(5).collect();
    if campaigns.is_empty() {
        return Ok(None);
    }
    let c = Chrome { lang: v.lang, ..Chrome::default() };
    Ok(Some(crate::web::page::fragment(&Panel { c, campaigns })?))
}
