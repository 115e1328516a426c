//! Showcase columns (专栏) in the web console: an org's columns with their
//! approved posts, and which parents featured each one (精彩展示).
//! Approving and featuring stay in chat (`/column`), where the author is told.

use askama::Template;
use axum::extract::{Query, State as AxState};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::store;
use crate::error::Result;
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new().route("/showcase", get(page))
}

#[derive(serde::Deserialize, Default)]
struct Of {
    #[serde(default)]
    org: String,
}

pub struct Shown {
    pub id: u64,
    pub author: String,
    pub from: String,
    pub text: String,
    pub at: u64,
    pub files: Vec<String>,
    pub featured_by: Vec<String>,
}

pub struct ColumnView {
    pub name: String,
    pub about: String,
    pub posts: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "features/showcase/web/showcase.html")]
struct Page {
    c: Chrome,
    org: String,
    columns: Vec<ColumnView>,
}

async fn page(AxState(web): AxState<Web>, v: Viewer, Query(o): Query<Of>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let org = v.org(&cx.tree, Some(o.org.as_str()))?;
        if let Some(no) = crate::registry::modules::refusal(&cx.tree, &cx.config.modules, &org, "showcase", "专栏")? {
            return Err(crate::error::Error::denied(no));
        }
        let name_of = |id: u32| -> Result<String> { Ok(cx.tree.get(id)?.map(|o| o.name).unwrap_or_default()) };
        let mut columns = Vec::new();
        for col in store::columns_of(cx.store(), org.id)? {
            let mut posts = Vec::new();
            for p in store::approved(cx.store(), org.id, &col.name, 20)? {
                posts.push(Shown {
                    id: p.id,
                    author: p.author_name.clone(),
                    from: name_of(p.from)?,
                    text: p.text.clone(),
                    at: p.at,
                    files: p.files.iter().map(|f| f.name.clone()).collect(),
                    featured_by: p.featured.iter().map(|(o, _, _)| name_of(*o)).collect::<Result<_>>()?,
                });
            }
            columns.push(ColumnView { name: col.name, about: col.about, posts });
        }
        Ok(render(&Page { c: v.chrome(web, "/showcase"), org: org.name, columns }))
    })
    .await
}
