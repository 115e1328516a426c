//! The command line's side of the admin API: when a server answers on the
//! data dir's socket, an operation runs there; otherwise the caller runs it
//! on the store itself. Plain HTTP/1.1 over the Unix socket with hyper.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use super::server::{Progress, PROGRESS_HEADER, SOCKET};
use crate::admin::{Reply, TOKEN_ENV};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// Runs `op` on the server using `data_dir`, if one answers there: None
/// when no server runs (no socket, or one left by a stopped server).
pub async fn call(data_dir: &Path, op: &str, args: &serde_json::Value) -> Result<Option<Reply>> {
    let socket = data_dir.join(SOCKET);
    let stream = match UnixStream::connect(&socket).await {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None)
        }
        Err(e) => return Err(unreachable(&socket, e)),
    };
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::invalid(msg(Msg::AdminServerRunning, &[("path", &data_dir.display())])))?;
    let token = token.trim().to_owned();
    let id = format!("{:016x}", rand::random::<u64>());
    // On a terminal, a bar follows the server's progress while it works.
    let (done, finished) = tokio::sync::watch::channel(false);
    let follow = std::io::stderr()
        .is_terminal()
        .then(|| tokio::spawn(follow(socket.clone(), token.clone(), id.clone(), finished)));
    let path = format!("/api/v1/{}", op.replacen('.', "/", 1));
    let sent = send(stream, Method::POST, &path, &token, Some(&id), args.to_string()).await;
    let _ = done.send(true);
    if let Some(f) = follow {
        let _ = f.await;
    }
    let (status, body) = sent.map_err(|e| unreachable(&socket, e))?;
    let bad = |e: serde_json::Error| Error::invalid(msg(Msg::AdminBadAnswer, &[("error", &e)]));
    if status == StatusCode::OK {
        return serde_json::from_slice(&body).map(Some).map_err(bad);
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: String,
    }
    let text = serde_json::from_slice::<Refusal>(&body).map_err(bad)?.error;
    Err(match status {
        StatusCode::NOT_FOUND => Error::NotFound(text),
        StatusCode::FORBIDDEN => Error::Denied(text),
        // The server's own sentence, already whole (storage errors included).
        _ => Error::Invalid(text),
    })
}

/// One request on its own connection: (status, body).
async fn send(
    stream: UnixStream,
    method: Method,
    path: &str,
    token: &str,
    progress: Option<&str>,
    body: String,
) -> std::result::Result<(StatusCode, Bytes), Box<dyn std::error::Error + Send + Sync>> {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "treecast")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(id) = progress {
        req = req.header(PROGRESS_HEADER, id);
    }
    let resp = sender.send_request(req.body(Full::new(Bytes::from(body)))?).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// Draws the server's progress of request `id` until `finished`, then clears it.
async fn follow(
    socket: std::path::PathBuf,
    token: String,
    id: String,
    mut finished: tokio::sync::watch::Receiver<bool>,
) {
    let mut bar: Option<indicatif::ProgressBar> = None;
    loop {
        tokio::select! {
            _ = finished.changed() => break,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let Ok(stream) = UnixStream::connect(&socket).await else { continue };
        let path = format!("/api/v1/progress/{id}");
        let Ok((StatusCode::OK, body)) = send(stream, Method::GET, &path, &token, None, String::new()).await else {
            continue;
        };
        let Ok(p) = serde_json::from_slice::<Progress>(&body) else { continue };
        if p.len == 0 && p.pos == 0 {
            continue;
        }
        let b = bar.get_or_insert_with(|| crate::progress::progress(p.len, &p.what));
        b.set_length(p.len);
        b.set_position(p.pos);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

fn unreachable(socket: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(msg(Msg::AdminUnreachable, &[("socket", &socket.display()), ("error", &e)]))
}
