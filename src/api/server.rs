//! The admin API of a running `serve`: JSON over HTTP on a local TCP
//! address (`[admin] listen`, loopback by default) and on a Unix socket
//! (`admin.sock` in the data dir, mode 0600). Every request needs the token
//! from `TREECAST_ADMIN_TOKEN` as `Authorization: Bearer ...`; each is
//! logged with who and what, never the token.
//!
//! `POST /api/v1/{group}/{action}` runs the operation `group.action` with
//! the JSON body as its arguments and answers `{"text": ..., "files": [...]}`
//! or `{"error": ...}`; `GET /api/v1/ops` lists the operations and
//! `GET /metrics` is Prometheus text (`crate::metrics`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::IncomingStream;
use axum::{Json, Router};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinSet;
use treecast_wire::{shutdown_signalled, Shutdown};

use crate::admin::{Reply, TOKEN_ENV};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::registry::Registry;

/// The socket's name in the data dir; the command line looks for it there.
pub const SOCKET: &str = "admin.sock";
/// Where a running server writes its TCP address (it may be port 0 in config).
pub const ADDR_FILE: &str = "admin.addr";

#[derive(Clone)]
struct Shared {
    ctx: Ctx,
    registry: Arc<Registry>,
    /// The token's hash: comparing hashes takes the same time whatever matches.
    token: blake3::Hash,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Bars of running requests that asked for progress, by their id.
    progress: Arc<std::sync::Mutex<HashMap<String, indicatif::ProgressBar>>>,
}

/// The header a client names a request with to follow its progress.
pub const PROGRESS_HEADER: &str = "x-treecast-progress";

/// How far a long request has got: `GET /api/v1/progress/{id}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub pos: u64,
    pub len: u64,
    pub what: String,
}

/// Who is asking over the Unix socket: the peer's user id.
#[derive(Clone, Debug)]
struct SocketPeer(Option<u32>);

impl Connected<IncomingStream<'_, UnixListener>> for SocketPeer {
    fn connect_info(stream: IncomingStream<'_, UnixListener>) -> Self {
        SocketPeer(stream.io().peer_cred().ok().map(|c| c.uid()))
    }
}

/// The running API's tasks; they stop with the server's shutdown signal.
pub struct AdminApi {
    pub tcp: Option<SocketAddr>,
    pub socket: Option<PathBuf>,
    tasks: JoinSet<()>,
}

impl AdminApi {
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts the API when `TREECAST_ADMIN_TOKEN` is set (None, logged, when it
/// is not): the TCP listener from config and the socket in the data dir.
pub async fn start(ctx: Ctx, registry: Arc<Registry>, shutdown: Shutdown) -> Result<Option<AdminApi>> {
    let token = match std::env::var(TOKEN_ENV) {
        Ok(t) if !t.trim().is_empty() => t,
        _ => {
            tracing::info!("{}", Msg::AdminOff.text());
            return Ok(None);
        }
    };
    let metrics = crate::metrics::install();
    let shared = Shared {
        token: blake3::hash(token.trim().as_bytes()),
        ctx: ctx.clone(),
        registry,
        metrics,
        progress: Default::default(),
    };
    let app = router(shared);
    let mut api = AdminApi { tcp: None, socket: None, tasks: JoinSet::new() };
    let dir = ctx.config.data_dir.clone();
    if let Some(addr) = ctx.config.admin.listen {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::invalid(msg(Msg::AdminCannotListen, &[("address", &addr), ("error", &e)])))?;
        let bound = listener.local_addr()?;
        let addr_file = dir.join(ADDR_FILE);
        std::fs::write(&addr_file, format!("{bound}\n"))?;
        let service = app.clone().into_make_service_with_connect_info::<SocketAddr>();
        let mut sd = shutdown.clone();
        api.tasks.spawn(async move {
            let stop = async move { shutdown_signalled(&mut sd).await };
            if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "the admin API (tcp) stopped");
            }
            let _ = std::fs::remove_file(&addr_file);
        });
        tracing::info!(address = %bound, "admin API listening");
        api.tcp = Some(bound);
    }
    if ctx.config.admin.socket {
        let (listener, path) = bind_socket(&dir)?;
        let service = app.into_make_service_with_connect_info::<SocketPeer>();
        let mut sd = shutdown.clone();
        let gone = path.clone();
        api.tasks.spawn(async move {
            let stop = async move { shutdown_signalled(&mut sd).await };
            if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "the admin API (socket) stopped");
            }
            let _ = std::fs::remove_file(&gone);
        });
        tracing::info!(socket = %path.display(), "admin API listening");
        api.socket = Some(path);
    }
    Ok(Some(api))
}

/// The socket, made 0600 before it appears under its name (bound under a
/// temporary name, restricted, then renamed), so no one else ever sees it open.
fn bind_socket(dir: &Path) -> Result<(UnixListener, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(SOCKET);
    let tmp = dir.join(format!(".{SOCKET}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    // A socket left by a server killed with -9: the store's lock proves no
    // other server runs on this data dir now.
    std::fs::rename(&tmp, &path)?;
    Ok((listener, path))
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/v1/ops", get(ops))
        .route("/api/v1/progress/{id}", get(progress))
        .route("/metrics", get(metrics))
        .route("/api/v1/search", get(search))
        .route("/api/v1/{group}/{action}", post(run_op))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        // Outside the guard: a mail client's one-click unsubscribe (RFC 8058)
        // carries the subscription's own unguessable token, not the admin's.
        .route("/unsubscribe", post(one_click))
        .with_state(shared)
}

#[derive(serde::Deserialize)]
struct OneClick {
    token: String,
}

/// `POST /unsubscribe?token=…` (the `List-Unsubscribe` URL with
/// `List-Unsubscribe=One-Click` in the body): ends that one subscription.
async fn one_click(State(s): State<Shared>, Query(q): Query<OneClick>) -> Response {
    let args = serde_json::json!({ "token": q.token });
    match tokio::task::spawn_blocking(move || s.registry.admin(&s.ctx, "service.unsubscribe", args)).await {
        Ok(Ok(reply)) => reply.text.into_response(),
        Ok(Err(e)) => error(e.http_status(), e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Who asked, for the log: the TCP peer or the socket peer's user id.
fn who(req: &Request) -> String {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        return format!("tcp {addr}");
    }
    match req.extensions().get::<ConnectInfo<SocketPeer>>() {
        Some(ConnectInfo(SocketPeer(Some(uid)))) => format!("socket uid {uid}"),
        _ => "socket".to_owned(),
    }
}

/// Refuses a request without the right token (401, nothing runs) and logs
/// every request: who, method and path (never headers or the query).
async fn guard(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let who = who(&req);
    let what = format!("{} {}", req.method(), req.uri().path());
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let ok =
        given.and_then(|v| v.strip_prefix("Bearer ")).is_some_and(|t| blake3::hash(t.trim().as_bytes()) == s.token);
    if !ok {
        tracing::warn!(target: "treecast::admin", %who, %what, "admin request refused: no or wrong token");
        return error(StatusCode::UNAUTHORIZED, Msg::AdminNoToken.text().to_owned());
    }
    let resp = next.run(req).await;
    tracing::info!(target: "treecast::admin", %who, %what, status = resp.status().as_u16(), "admin request");
    resp
}

async fn ops(State(s): State<Shared>) -> Json<Vec<&'static str>> {
    Json(s.registry.admin_ops())
}

/// Prometheus text: the counters, and gauges read from the store now.
async fn metrics(State(s): State<Shared>) -> Response {
    let Some(handle) = s.metrics.clone() else {
        return error(StatusCode::NOT_FOUND, Msg::MetricsOff.text().to_owned());
    };
    match tokio::task::spawn_blocking(move || {
        crate::metrics::render(&handle, s.ctx.store(), s.ctx.clock.now_ms(), &s.registry.subscriber_names())
    })
    .await
    {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Ok(Err(e)) => error(e.http_status(), e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn progress(State(s): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let bar = s.progress.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
    match bar {
        Some(b) => {
            Json(Progress { pos: b.position(), len: b.length().unwrap_or(0), what: b.message() }).into_response()
        }
        None => error(StatusCode::NOT_FOUND, msg(Msg::NoSuchProgress, &[("id", &id)])),
    }
}

async fn run_op(
    State(s): State<Shared>,
    UrlPath((group, action)): UrlPath<(String, String)>,
    headers: header::HeaderMap,
    body: Bytes,
) -> Response {
    let op = format!("{group}.{action}");
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(StatusCode::BAD_REQUEST, msg(Msg::AdminBadArguments, &[("op", &op), ("error", &e)]))
            }
        }
    };
    // A client following progress names the request; its bar lives while it runs.
    let watched = headers.get(PROGRESS_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bar = indicatif::ProgressBar::hidden();
    if let Some(id) = &watched {
        s.progress.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), bar.clone());
    }
    let progress = s.progress.clone();
    // Operations read and write the store: off the async threads.
    let done = tokio::task::spawn_blocking(move || {
        crate::progress::with_progress(bar, || s.registry.admin(&s.ctx, &op, args))
    })
    .await;
    if let Some(id) = watched {
        progress.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
    match done {
        Ok(Ok(reply)) => Json::<Reply>(reply).into_response(),
        Ok(Err(e)) => error(e.http_status(), e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/search?q=…&org=…&kind=…&since=…&page=…`: the `search.query`
/// operation with the query string as its arguments.
async fn search(
    State(s): State<Shared>,
    axum::extract::Query(params): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let mut args = serde_json::Map::new();
    for (k, v) in params {
        let value = match (k.as_str(), v.parse::<u64>()) {
            ("page", Ok(n)) => serde_json::json!(n),
            _ => serde_json::json!(v),
        };
        args.insert(k, value);
    }
    let done = tokio::task::spawn_blocking(move || s.registry.admin(&s.ctx, "search.query", args.into())).await;
    match done {
        Ok(Ok(reply)) => Json::<Reply>(reply).into_response(),
        Ok(Err(e)) => error(e.http_status(), e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn error(status: StatusCode, text: String) -> Response {
    (status, Json(serde_json::json!({ "error": text }))).into_response()
}
