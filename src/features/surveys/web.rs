//! Surveys in the web console: the list, one survey's participation per
//! org and a chart per question, and the CSV/XLSX downloads. What a viewer
//! sees is `Surveys::results_in` for them (the chat's permission check), and
//! an anonymous survey's answers stay hidden below its minimum group.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::results::{Results, Tally};
use super::Surveys;
use crate::conversation::question::Kind;
use crate::error::Error;
use crate::web::chart;
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes(surveys: Surveys) -> Router<Web> {
    Router::new()
        .route("/surveys", get(list))
        .route("/survey/{id}", get(page))
        .route("/survey/{id}/export/{file}", get(export))
        .layer(Extension(surveys))
}

#[derive(serde::Deserialize, Default)]
struct Scope {
    #[serde(default)]
    org: String,
}

pub struct Listed {
    pub id: u64,
    pub title: String,
    pub org: String,
    pub closes: u64,
    pub responses: i64,
    pub members: i64,
}

#[derive(Template)]
#[template(path = "features/surveys/web/list.html")]
struct ListPage {
    c: Chrome,
    surveys: Vec<Listed>,
}

async fn list(State(web): State<Web>, Extension(s): Extension<Surveys>, v: Viewer) -> Response {
    web.blocking(v.lang, move |web| {
        let mut surveys = Vec::new();
        for sv in s.all()?.into_iter().rev().take(200) {
            let r = match s.results_in(v.person_id(), sv.id, None) {
                Ok(r) => r,
                Err(Error::Denied(_)) => continue,
                Err(e) => return Err(e),
            };
            let t = r.total();
            surveys.push(Listed {
                id: sv.id,
                title: sv.def.title.clone(),
                org: r.scope.name.clone(),
                closes: sv.closes,
                responses: t.responses as i64,
                members: t.members as i64,
            });
        }
        Ok(render(&ListPage { c: v.chrome(web, "/surveys"), surveys }))
    })
    .await
}

/// One org's row: participation.
pub struct OrgLine {
    pub code: String,
    pub name: String,
    pub level: String,
    pub responses: i64,
    pub members: i64,
}

/// One question: its text, and its chart or a line.
pub struct QuestionView {
    pub text: String,
    pub chart: String,
    pub line: String,
}

#[derive(Template)]
#[template(path = "features/surveys/web/survey.html")]
struct SurveyPage {
    c: Chrome,
    id: u64,
    title: String,
    scope_code: String,
    scope_name: String,
    anonymous: bool,
    shown: bool,
    closes: u64,
    responses: i64,
    members: i64,
    orgs: Vec<OrgLine>,
    questions: Vec<QuestionView>,
}

fn questions(c: &Chrome, r: &Results) -> Vec<QuestionView> {
    let total = r.total();
    r.survey
        .def
        .questions
        .iter()
        .zip(&total.tallies)
        .map(|(q, t)| {
            let (chart, line) = match (t, &q.kind) {
                (Tally::Counts(counts), Kind::Single { choices } | Kind::Multi { choices, .. }) => {
                    let opts = choices.iter().cloned().zip(counts.iter().copied()).collect::<Vec<_>>();
                    (chart::choice_bars(&q.text, &opts), String::new())
                }
                (Tally::Counts(counts), Kind::Rating { low, high }) => {
                    let opts = (1..=5)
                        .zip(counts.iter().copied())
                        .map(|(i, n)| {
                            let end = match i {
                                1 => format!(" {low}"),
                                5 => format!(" {high}"),
                                _ => String::new(),
                            };
                            (format!("{i}{end}"), n)
                        })
                        .collect::<Vec<_>>();
                    (chart::choice_bars(&q.text, &opts), String::new())
                }
                (Tally::Numbers { count, sum, min, max }, _) if *count > 0 => (
                    String::new(),
                    format!(
                        "{} {count} · {} {:.1} · {} {min} · {} {max}",
                        c.t("回答", "answers"),
                        c.t("平均", "mean"),
                        sum / *count as f64,
                        c.t("最小", "min"),
                        c.t("最大", "max")
                    ),
                ),
                (Tally::Texts(n), _) => (
                    String::new(),
                    format!("{} {n} {}", c.t("文字回答", "written answers:"), c.t("条（见导出）", "(in the export)")),
                ),
                _ => (String::new(), c.t("暂无回答", "no answers yet").to_owned()),
            };
            QuestionView { text: q.text.clone(), chart, line }
        })
        .collect()
}

async fn page(
    State(web): State<Web>,
    Extension(s): Extension<Surveys>,
    v: Viewer,
    Path(id): Path<u64>,
    Query(q): Query<Scope>,
) -> Response {
    web.blocking(v.lang, move |web| {
        let c = v.chrome(web, "/surveys");
        let r = s.results_in(v.person_id(), id, Some(q.org.as_str()).filter(|o| !o.is_empty()))?;
        let shown = r.answers_shown();
        let tree = &web.ctx.tree;
        let orgs = r
            .orgs
            .iter()
            .filter(|o| o.org.level <= r.scope.level + 2)
            .take(200)
            .map(|o| OrgLine {
                code: o.org.code.clone(),
                name: o.org.name.clone(),
                level: tree.levels.name(o.org.level).to_owned(),
                responses: o.responses as i64,
                members: o.members as i64,
            })
            .collect();
        let t = r.total();
        let page = SurveyPage {
            questions: if shown { questions(&c, &r) } else { Vec::new() },
            id,
            title: r.survey.def.title.clone(),
            scope_code: r.scope.code.clone(),
            scope_name: r.scope.name.clone(),
            anonymous: r.survey.def.anonymous,
            shown,
            closes: r.survey.closes,
            responses: t.responses as i64,
            members: t.members as i64,
            orgs,
            c,
        };
        Ok(render(&page))
    })
    .await
}

/// `/survey/ID/export/survey-ID.xlsx` (or `.csv`): the same files as `/survey export`.
async fn export(
    State(web): State<Web>,
    Extension(s): Extension<Surveys>,
    v: Viewer,
    Path((id, file)): Path<(u64, String)>,
    Query(q): Query<Scope>,
) -> Response {
    web.blocking(v.lang, move |_| {
        let r = s.results_in(v.person_id(), id, Some(q.org.as_str()).filter(|o| !o.is_empty()))?;
        let name = std::path::Path::new(&file);
        let (bytes, mime) = match name.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => (r.xlsx_bytes(name)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Some("csv") => (r.csv_bytes(name)?, "text/csv; charset=utf-8"),
            _ => return Err(Error::not_found(crate::catalogue::Msg::WebNoSuchPage.text())),
        };
        tracing::info!(target: "treecast::web", person = ?v.person_id(), survey = id, file = %file, "survey exported from the web console");
        let disposition = format!("attachment; filename=\"survey-{id}.{}\"", if mime.starts_with("text") { "csv" } else { "xlsx" });
        Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
    })
    .await
}
