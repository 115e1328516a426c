//! Hardening checks against a real Synapse (scripts/peers/matrix.sh start):
//! malformed reactions, the store's file modes, the bot's rate limit.
//! Run with `cargo test -p treecast-matrix -- --include-ignored`.

#![recursion_limit = "256"]

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use treecast_matrix::RateLimitInfo;
use treecast_wire::{Adapter, Address, InboundKind, Outbound, Platform};

// ---- a reaction must be an m.annotation --------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn a_reference_with_a_key_does_not_acknowledge() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let user = User::login(&url(), "student1").await;
    let room = create_room(adapter.client(), &[uid("student1")], false).await;
    let room_id = room.room_id().to_string();
    let joined = user.joined(&room_id).await;
    let mut running = run(adapter.clone());

    let to = Address::group(Platform::Matrix, &room_id);
    let notice = adapter.deliver(&Outbound::reply(unique("n"), to, "请确认收到")).await.unwrap();
    let notice_id = &notice.message_ids[0];
    let malformed = json!({"m.relates_to": {"rel_type": "m.reference", "event_id": notice_id, "key": "✅"}});
    joined.send_raw("m.reaction", malformed).await.expect("the malformed reaction is sent");
    let marker = unique("之后");
    user.say(&room_id, &marker, None).await;

    // Everything up to the marker (the sync keeps the room's order).
    let mut before = Vec::new();
    loop {
        let e = running.wait_for(20, |_| true).await;
        if e.text == marker {
            break;
        }
        before.push(e);
    }
    assert!(!before.iter().any(|e| matches!(e.kind, InboundKind::Reaction { .. })), "{before:?}");
    running.stop().await;
}

// ---- the store is private ----------------------------------------------------

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn a_new_store_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    // Let the stores write what a running bot writes.
    let room = create_room(adapter.client(), &[], false).await;
    let to = Address::group(Platform::Matrix, room.room_id().as_str());
    adapter.deliver(&Outbound::reply(unique("p"), to, "存储权限")).await.unwrap();

    let store = dir.path().join("matrix");
    let mut seen = Vec::new();
    let mut todo = vec![store.clone()];
    while let Some(path) = todo.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            assert_eq!(mode, 0o700, "{} is {mode:o}", path.display());
        } else {
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
        }
        seen.push(path);
    }
    assert!(seen.iter().any(|p| p.to_string_lossy().ends_with(".sqlite3")), "the SQLite files were checked: {seen:?}");
}

// ---- the rate limit in force ---------------------------------------------------

/// Sets (`Some`) or removes (`None`) the bot's rate-limit override; the bot
/// is a server admin on the peer.
async fn override_rate_limit(adapter: &MatrixAdapter, body: Option<serde_json::Value>) {
    let client = adapter.client();
    let url = format!(
        "{}/_synapse/admin/v1/users/{}/override_ratelimit",
        client.homeserver().as_str().trim_end_matches('/'),
        adapter.user_id()
    );
    let http = client.http_client();
    let req = match &body {
        Some(b) => http.post(url).header("content-type", "application/json").body(b.to_string()),
        None => http.delete(url),
    };
    let resp = req.bearer_auth(client.access_token().unwrap()).send().await.unwrap();
    assert!(resp.status().is_success(), "override_ratelimit answered {}", resp.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn the_bot_knows_whether_it_is_exempt() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let admin = bot(&url(), &dirs[0]).await;
    override_rate_limit(&admin, Some(json!({"messages_per_second": 0, "burst_count": 0}))).await;
    let exempt = bot(&url(), &dirs[1]).await;
    override_rate_limit(&admin, None).await;
    assert_eq!(exempt.rate_limit(), RateLimitInfo::Exempt);

    // The default-limits peer: nobody exempts the bot there (read only).
    let limited = bot(&default_limits_url(), &dirs[2]).await;
    assert_eq!(limited.rate_limit(), RateLimitInfo::HomeserverDefault);
}
