//! The org mailbox in the web console: on the overview, each of the
//! viewer's orgs' unread letters and reports; on `/inbox`, an org's latest
//! letters both ways. Reading here marks nothing: `/read` in chat marks a
//! letter read, and answering there threads the answer.

pub fn routes() -> Router<Web> {
    Router::new().route("/inbox", get(inbox))
}

#[derive(serde::Deserialize, Default)]
struct Of {
    #[serde(default)]
    org: String,
}

pub struct Shown {
    pub id: u64,
    pub report: bool,
    pub from: String,
    pub to: String,
    pub title: String,
    pub body: String,
    pub files: Vec<String>,
    pub at: u64,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "features/mailbox/web/inbox.html")]
struct Inbox {
    c: Chrome,
    org: String,
    orgs: Vec<(String, String)>,
    letters: Vec<Shown>,
}

async fn inbox(State(web): State<Web>, v: Viewer, Query(o): Query<Of>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let org = v.org(&cx.tree, Some(o.org.as_str()))?;
        cx.tree.check_read(v.person_id(), Read::OrgMessages, &org)?;
        let mut shown = Vec::new();
        for l in letters::recent(cx.store(), org.id, 50)? {
            shown.push(Shown {
                id: l.id,
                report: l.kind == Kind::Report,
                from: party_name(&cx.tree, l.from)?,
                to: party_name(&cx.tree, l.to)?,
                unread: letters::is_unread(cx.store(), org.id, l.id)?,
                title: l.title,
                body: l.body,
                files: l.file_names,
                at: l.at,
            });
        }
        let orgs = v.orgs.iter().map(|o| (o.code.clone(), o.name.clone())).collect();
        Ok(render(&Inbox { c: v.chrome(web, "/inbox"), org: org.name, orgs, letters: shown }))
    })
    .await
}

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::letters::{self, party_name, Kind};
use crate::context::Ctx;
use crate::error::Result;
use crate::tree::reads::Read;
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub struct Unread {
    pub org: String,
    pub count: i64,
    /// (id, from, title, at)
    pub letters: Vec<(u64, String, String, u64)>,
}

#[derive(Template)]
#[template(path = "features/mailbox/web/panel.html")]
struct Panel {
    c: Chrome,
    orgs: Vec<Unread>,
}

pub fn panel(cx: &Ctx, v: &Viewer) -> Result<Option<String>> {
    let mut orgs = Vec::new();
    for o in &v.orgs {
        if cx.tree.check_read(v.person_id(), Read::OrgMessages, o).is_err() {
            continue;
        }
        let (list, count) = letters::unread(cx.store(), o.id, 5)?;
        let letters = list
            .into_iter()
            .map(|l| Ok((l.id, party_name(&cx.tree, l.from)?, l.title, l.at)))
            .collect::<Result<Vec<_>>>()?;
        orgs.push(Unread { org: o.name.clone(), count: count as i64, letters });
    }
    if orgs.is_empty() {
        return Ok(None);
    }
    let c = Chrome { lang: v.lang, ..Chrome::default() };
    Ok(Some(crate::web::page::fragment(&Panel { c, orgs })?))
}
