//! Times one notice delivered to many rooms with bounded concurrency.
//!
//! Needs the matrix peer (scripts/peers/matrix.sh start). The bot is made
//! exempt from rate limits through the Synapse admin API first.
//!
//!     TREECAST_MATRIX_PASSWORD=botpass cargo run --release -p treecast-matrix \
//!         --example rooms_bench -- [ROOMS=500] [CONCURRENCY=16] [HOMESERVER]
//!
//! With `appservice` after the homeserver, the bot is instead the sender of
//! the peer's application service (`TREECAST_MATRIX_AS_TOKEN`, from
//! `scripts/peers/matrix.sh env`), nothing is exempted by hand, and the
//! rooms are made with the as_token (not rate limited); a 429 is counted,
//! waited out and the same send tried again:
//!
//!     eval "$(scripts/peers/matrix.sh env)"
//!     TREECAST_MATRIX_AS_TOKEN=$TREECAST_TEST_MATRIX_AS_TOKEN cargo run --release -p treecast-matrix \
//!         --example rooms_bench -- 1000 16 http://127.0.0.1:8009 appservice

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use treecast_matrix::{MatrixAdapter, Settings};
use treecast_wire::{Adapter, Address, DeliveryError, Outbound, OutboundKind, Platform};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rooms: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let concurrency: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(16);
    let homeserver = args.get(2).cloned().unwrap_or_else(|| "http://127.0.0.1:8008".to_owned());
    let appservice = args.get(3).is_some_and(|a| a == "appservice");
    let as_token = std::env::var(treecast_matrix::ENV_AS_TOKEN).ok();
    if appservice != as_token.is_some() {
        return Err(format!("`appservice` and {} go together", treecast_matrix::ENV_AS_TOKEN).into());
    }
    if std::env::var(treecast_matrix::ENV_PASSWORD).is_err() {
        std::env::set_var(treecast_matrix::ENV_PASSWORD, "botpass");
    }

    let dir = tempfile::tempdir()?;
    let user = if appservice {
        std::env::var("TREECAST_MATRIX_AS_USER").unwrap_or_else(|_| "@treecast:localhost".to_owned())
    } else {
        "@bot:localhost".to_owned()
    };
    let mut settings = Settings::new(&homeserver, &user);
    settings.store_dir = dir.path().join("matrix");
    let adapter = Arc::new(MatrixAdapter::connect(settings).await?);
    println!("bot {user}, rate limit as learned: {:?}", adapter.rate_limit());
    if !appservice {
        exempt_from_rate_limits(&adapter, &homeserver).await?;
    }

    let started = Instant::now();
    let http = matrix_sdk::reqwest::Client::new();
    let ids: Vec<String> = stream::iter(0..rooms)
        .map(|i| {
            let (adapter, http, homeserver, as_token) =
                (adapter.clone(), http.clone(), homeserver.clone(), as_token.clone());
            async move {
                match as_token {
                    Some(token) => create_room_as_service(&http, &homeserver, &token, adapter.user_id(), i).await,
                    None => {
                        let mut req = CreateRoom::new();
                        req.name = Some(format!("团支部 {i}"));
                        req.preset = Some(RoomPreset::PrivateChat);
                        adapter.client().create_room(req).await.map(|r| r.room_id().to_string()).map_err(|e| e.into())
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let created = started.elapsed();
    println!(
        "created {rooms} rooms in {:.1} s ({:.1} rooms/s)",
        created.as_secs_f64(),
        rooms as f64 / created.as_secs_f64()
    );

    // As in production, the bot knows its rooms' state from a sync.
    adapter.client().sync_once(matrix_sdk::config::SyncSettings::default().timeout(Duration::ZERO)).await?;

    let tag = format!("bench-{}", std::process::id());
    let limited = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let results: Vec<_> = stream::iter(ids.iter().enumerate())
        .map(|(i, room)| {
            let adapter = adapter.clone();
            let msg = Outbound {
                id: format!("{tag}-{i}"),
                kind: OutboundKind::Notice,
                title: Some("关于开展团日活动的通知".into()),
                footer: Some("精彩微博团，青春心连心".into()),
                ..Outbound::reply(
                    "",
                    Address::group(Platform::Matrix, room.clone()),
                    "请各团支部于本周五前组织团日活动，并在群内回复“收到”。",
                )
            };
            let limited = limited.clone();
            async move {
                let t = Instant::now();
                loop {
                    match adapter.deliver(&msg).await {
                        // As the outbox does: wait what the server said, same transaction id.
                        Err(DeliveryError::RateLimited { retry_after, .. }) => {
                            limited.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(retry_after).await;
                        }
                        other => return other.map(|_| t.elapsed()),
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    let failed = results.len() - latencies.len();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        println!("first failure: {e}");
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "delivered {} notices to {rooms} rooms in {:.2} s: {:.1} sends/s, concurrency {concurrency}, {failed} failed, \
         {} answered 429 (M_LIMIT_EXCEEDED), p50 {:?}, p99 {:?}",
        latencies.len(),
        took.as_secs_f64(),
        latencies.len() as f64 / took.as_secs_f64(),
        limited.load(Ordering::Relaxed),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}

/// `POST /createRoom?user_id=<bot>` with the application service's token:
/// the bot's room, made without rate limit (`rate_limited: false`).
async fn create_room_as_service(
    http: &matrix_sdk::reqwest::Client,
    homeserver: &str,
    token: &str,
    user: &str,
    i: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    let body = serde_json::json!({"name": format!("团支部 {i}"), "preset": "private_chat"});
    let resp = http
        .post(format!(
            "{}/_matrix/client/v3/createRoom?user_id={}",
            homeserver.trim_end_matches('/'),
            user.replace('@', "%40").replace(':', "%3A")
        ))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        return Err(format!("createRoom answered {status}: {}", String::from_utf8_lossy(&bytes)).into());
    }
    let made: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(made["room_id"].as_str().ok_or("createRoom gave no room_id")?.to_owned())
}

/// `POST /_synapse/admin/v1/users/<bot>/override_ratelimit` (the bot is an admin).
async fn exempt_from_rate_limits(adapter: &MatrixAdapter, homeserver: &str) -> Result<(), Box<dyn std::error::Error>> {
    let token = adapter.client().access_token().ok_or("no access token")?;
    let url = format!(
        "{}/_synapse/admin/v1/users/{}/override_ratelimit",
        homeserver.trim_end_matches('/'),
        adapter.user_id()
    );
    let resp = matrix_sdk::reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(r#"{"messages_per_second":0,"burst_count":0}"#)
        .send()
        .await?;
    if !resp.status().is_success() {
        return Err(format!("override_ratelimit answered {}", resp.status()).into());
    }
    Ok(())
}
