//! Times one notice delivered to many rooms with bounded concurrency.
//!
//! Needs the matrix peer (scripts/peers/matrix.sh start). The bot is made
//! exempt from rate limits through the Synapse admin API first.
//!
//!     TREECAST_MATRIX_PASSWORD=botpass cargo run --release -p treecast-matrix \
//!         --example rooms_bench -- [ROOMS=500] [CONCURRENCY=16] [HOMESERVER]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use treecast_matrix::{MatrixAdapter, Settings};
use treecast_wire::{Adapter, Address, Outbound, OutboundKind, Platform};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rooms: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let concurrency: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(16);
    let homeserver = args.get(2).cloned().unwrap_or_else(|| "http://127.0.0.1:8008".to_owned());
    if std::env::var(treecast_matrix::ENV_PASSWORD).is_err() {
        std::env::set_var(treecast_matrix::ENV_PASSWORD, "botpass");
    }

    let dir = tempfile::tempdir()?;
    let mut settings = Settings::new(&homeserver, "@bot:localhost");
    settings.store_dir = dir.path().join("matrix");
    let adapter = Arc::new(MatrixAdapter::connect(settings).await?);
    exempt_from_rate_limits(&adapter, &homeserver).await?;

    let started = Instant::now();
    let ids: Vec<String> = stream::iter(0..rooms)
        .map(|i| {
            let adapter = adapter.clone();
            async move {
                let mut req = CreateRoom::new();
                req.name = Some(format!("团支部 {i}"));
                req.preset = Some(RoomPreset::PrivateChat);
                adapter.client().create_room(req).await.map(|r| r.room_id().to_string())
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let created = started.elapsed();
    println!(
        "created {rooms} rooms in {:.1} s ({:.1} rooms/s)",
        created.as_secs_f64(),
        rooms as f64 / created.as_secs_f64()
    );

    // As in production, the bot knows its rooms' state from a sync.
    adapter.client().sync_once(matrix_sdk::config::SyncSettings::default().timeout(Duration::ZERO)).await?;

    let tag = format!("bench-{}", std::process::id());
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
            async move {
                let t = Instant::now();
                adapter.deliver(&msg).await.map(|_| t.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    let failed = results.len() - latencies.len();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "delivered {} notices to {rooms} rooms in {:.2} s: {:.1} sends/s, concurrency {concurrency}, {failed} failed, p50 {:?}, p99 {:?}",
        latencies.len(),
        took.as_secs_f64(),
        latencies.len() as f64 / took.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
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
