//! The command line's side of the admin API: when a server answers on the
//! data dir's socket, an operation runs there; otherwise the caller runs it
//! on the store itself. Plain HTTP/1.1 over the Unix socket with hyper.

use std::path::Path;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{header, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use super::server::SOCKET;
use super::{Reply, TOKEN_ENV};
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
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| unreachable(&socket, e))?;
    tokio::spawn(conn);
    let path = format!("/api/v1/{}", op.replacen('.', "/", 1));
    let req = Request::post(path)
        .header(header::HOST, "treecast")
        .header(header::AUTHORIZATION, format!("Bearer {}", token.trim()))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(args.to_string())))
        .map_err(|e| unreachable(&socket, e))?;
    let resp = sender.send_request(req).await.map_err(|e| unreachable(&socket, e))?;
    let status = resp.status();
    let body = resp.into_body().collect().await.map_err(|e| unreachable(&socket, e))?.to_bytes();
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

fn unreachable(socket: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(msg(Msg::AdminUnreachable, &[("socket", &socket.display()), ("error", &e)]))
}
