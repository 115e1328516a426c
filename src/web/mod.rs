//! The officials' web console, served by `treecast serve` on its own
//! address (`[web] listen`). Pages are rendered on the server from
//! templates checked at compile time (askama), with htmx (vendored, served
//! from the binary) for the live parts and charts drawn as SVG on the server.
//!
//! The shell here does sign-in (one-time links to a verified identity, then
//! a session cookie), CSRF, the language switch, the overview and the
//! operator's page; each feature adds its own pages (`Feature::web`) and its
//! panel on the overview (`Feature::web_panel`), so the console grows with
//! the features. What a viewer sees is checked by the same permission
//! tables as chat (`tree::auth`, `tree::reads`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use treecast_wire::{shutdown_signalled, Shutdown};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};

pub mod chart;
mod health;
pub mod page;
pub mod session;
mod shell;
mod signin;

pub use shell::{after_action, org_card};
mod viewer;

#[cfg(test)]
mod tests;

pub use crate::config::web::Settings;
pub use page::{Chrome, Lang};
pub use viewer::{Checked, Viewer};

/// Where a running server writes the console's address (it may be port 0 in config).
pub const ADDR_FILE: &str = "web.addr";

/// What the console asks of the features. The registry answers it
/// (`registry/site.rs`), so the console names neither the registry nor a
/// feature, and grows as features declare pages.
pub trait Site: Send + Sync {
    /// Every feature's pages.
    fn pages(&self) -> Vec<axum::Router<Web>>;
    /// The navigation links (path, Chinese, English), in the features' order.
    fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)>;
    /// The overview's panels this viewer may see.
    fn panels(&self, cx: &Ctx, viewer: &Viewer) -> Result<Vec<String>>;
    /// The event log's subscribers, whose lag the operator's page shows.
    fn subscribers(&self) -> Vec<&'static str>;
}

/// What every handler gets: the app's context and the features' pages.
#[derive(Clone)]
pub struct Web {
    pub ctx: Ctx,
    pub site: Arc<dyn Site>,
    /// The admin token's hash: the operator may sign in with it.
    pub admin_token: Option<blake3::Hash>,
}

impl Web {
    pub fn new(ctx: Ctx, site: Arc<dyn Site>) -> Web {
        let admin_token = std::env::var(crate::admin::TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| blake3::hash(t.trim().as_bytes()));
        Web { ctx, site, admin_token }
    }

    /// Runs `f` off the async threads (pages read the store) and turns its
    /// error into the page that says it.
    pub async fn blocking<F>(&self, lang: Lang, f: F) -> Response
    where
        F: FnOnce(&Web) -> Result<Response> + Send + 'static,
    {
        let web = self.clone();
        match tokio::task::spawn_blocking(move || f(&web)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => page::error_page(lang, &e),
            Err(e) => page::error_page(lang, &Error::invalid(e.to_string())),
        }
    }
}

/// The running console.
pub struct Console {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Console {
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// Starts the console on `[web] listen` (None when it is turned off).
pub async fn start(ctx: Ctx, site: Arc<dyn Site>, shutdown: Shutdown) -> Result<Option<Console>> {
    let Some(addr) = ctx.config.web.listen else {
        tracing::info!("{}", Msg::WebOff.text());
        return Ok(None);
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            let why = msg(Msg::WebCannotListen, &[("address", &addr), ("error", &e)]);
            if ctx.config.web.listen_configured {
                return Err(Error::invalid(why));
            }
            // The default address taken (another treecast on this machine):
            // the gateway runs on without its console.
            tracing::warn!("{why}");
            return Ok(None);
        }
    };
    let bound = listener.local_addr()?;
    let addr_file = ctx.config.data_dir.join(ADDR_FILE);
    std::fs::write(&addr_file, format!("{bound}\n"))?;
    let web = Web::new(ctx, site);
    let app = router(web).into_make_service_with_connect_info::<SocketAddr>();
    let mut sd = shutdown;
    let task = tokio::spawn(async move {
        let stop = async move { shutdown_signalled(&mut sd).await };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(error = %e, "the web console stopped");
        }
        let _ = std::fs::remove_file(&addr_file);
    });
    tracing::info!(address = %bound, "web console listening");
    Ok(Some(Console { address: bound, task }))
}

/// The shell's routes and every feature's pages.
pub fn router(web: Web) -> axum::Router {
    let mut r = shell::routes();
    for pages in web.site.pages() {
        r = r.merge(pages);
    }
    r.layer(axum::extract::DefaultBodyLimit::max(web.ctx.config.max_attachment_bytes as usize * 4 + 65_536))
        .with_state(web)
}

/// The public address links point to: `[web] public_url`, else the address
/// the console listens on.
pub fn base_url(ctx: &Ctx) -> String {
    let s = &ctx.config.web;
    if !s.public_url.is_empty() {
        return s.public_url.trim_end_matches('/').to_owned();
    }
    let listen = std::fs::read_to_string(ctx.config.data_dir.join(ADDR_FILE))
        .ok()
        .map(|a| a.trim().to_owned())
        .or_else(|| s.listen.map(|a| a.to_string()))
        .unwrap_or_default();
    format!("http://{listen}")
}

/// The private message carrying a new sign-in link for `person`, to `to`
/// (one of their own identities).
pub fn link_message(
    ctx: &Ctx,
    person: &crate::tree::people::Person,
    to: treecast_wire::Address,
) -> Result<crate::outbox::queue::Queued> {
    let ttl = ctx.config.web.link_ttl.as_secs();
    let token = session::new_link(ctx.store(), person.id, ctx.now(), ttl)?;
    let url = format!("{}/login/{token}", base_url(ctx));
    let text = msg(Msg::WebLinkMessage, &[("url", &url), ("minutes", &(ttl / 60))]);
    let mut m = treecast_wire::Outbound::reply(format!("web-link-{}", crate::msgref::nonce()), to, text);
    m.kind = treecast_wire::OutboundKind::Private;
    Ok(crate::outbox::queue::Queued::new(m))
}

/// An HTTP status with one sentence, for answers that are not pages.
pub fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.into()).into_response()
}
