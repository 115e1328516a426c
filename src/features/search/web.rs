//! Search (信息搜索) in the web console: the same query and the same rule
//! of who sees which document as `/search` in chat.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use super::engine::Filter;
use super::{kind_label, kinds, Search};
use crate::web::page::{render, Chrome};
use crate::web::{Viewer, Web};

pub fn routes(search: Search) -> Router<Web> {
    Router::new().route("/search", get(page)).layer(Extension(search))
}

#[derive(serde::Deserialize, Default)]
struct Asked {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
}

pub struct Found {
    pub kind: String,
    pub title: String,
    pub snippet: String,
    pub at: u64,
    /// The console's page for it, where there is one.
    pub href: String,
}

#[derive(Template)]
#[template(path = "features/search/web/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    page: usize,
    more: bool,
    hits: Vec<Found>,
    error: String,
}

async fn page(State(web): State<Web>, Extension(s): Extension<Search>, v: Viewer, Query(a): Query<Asked>) -> Response {
    web.blocking(v.lang, move |web| {
        let c = v.chrome(web, "/search");
        let q = a.q.trim().to_owned();
        let mut p = SearchPage { c, q: q.clone(), page: a.page, more: false, hits: Vec::new(), error: String::new() };
        if !q.is_empty() {
            match s.query(&web.ctx, v.person.as_ref(), &q, Filter::default(), a.page) {
                Ok((hits, more)) => {
                    let kinds = kinds(&s.inner.sources);
                    p.more = more;
                    p.hits = hits
                        .into_iter()
                        .map(|h| Found {
                            href: h.id.strip_prefix("notice:").map(|n| format!("/notice/{n}")).unwrap_or_default(),
                            kind: v.lang.sentence(kind_label(&kinds, &h.kind)),
                            title: h.title,
                            snippet: h.snippet,
                            at: h.at,
                        })
                        .collect();
                }
                // A query the parser refuses is said on the page, not as an error page.
                Err(crate::error::Error::Invalid(why)) => p.error = v.lang.sentence(&why),
                Err(e) => return Err(e),
            }
        }
        Ok(render(&p))
    })
    .await
}
