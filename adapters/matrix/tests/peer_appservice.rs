//! The bot as an application service's user, against the peer with
//! Synapse's shipped rate limits (rc_message 0.2/s, burst 10).
//! Run with `cargo test -p treecast-matrix -- --include-ignored` after
//! `scripts/peers/matrix.sh start`.
//!
//! Its own test binary: the as_token is read from the process environment,
//! which must not leak into the password-login tests.

#![recursion_limit = "256"]

mod common;

use std::sync::Arc;

use common::*;
use treecast_matrix::{RateLimitInfo, ENV_AS_TOKEN};
use treecast_wire::{Adapter, Address, DeliveryError, Outbound, OutboundKind, Platform};

fn as_settings(dir: &tempfile::TempDir) -> Settings {
    let mut s = Settings::new(default_limits_url(), env_or("TREECAST_TEST_MATRIX_AS_USER", "@treecast:localhost"));
    s.store_dir = dir.path().join("matrix");
    s.sync_timeout_secs = 5;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn the_application_services_user_joins_and_sends_past_the_default_limits() {
    let token = std::env::var("TREECAST_TEST_MATRIX_AS_TOKEN").expect("eval \"$(scripts/peers/matrix.sh env)\"");

    // A wrong token: one sentence that says what to check, and no session.
    std::env::set_var(ENV_AS_TOKEN, "not-the-registration-token");
    let wrong = tempfile::tempdir().unwrap();
    let err = MatrixAdapter::connect(as_settings(&wrong)).await.err().expect("a wrong as_token is refused");
    assert!(err.to_string().contains("refused the application-service"), "{err}");
    assert!(!wrong.path().join("matrix/session.json").exists());

    std::env::set_var(ENV_AS_TOKEN, &token);
    // The registration's sender as the bot: refused at once, saying why
    // (Synapse would refuse its /sync later).
    let sender_dir = tempfile::tempdir().unwrap();
    let sender = Settings { user_id: "@treecast-service:localhost".into(), ..as_settings(&sender_dir) };
    let err = MatrixAdapter::connect(sender).await.err().expect("the sender is refused as the bot");
    assert!(err.to_string().contains("is the application service's sender"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(MatrixAdapter::connect(as_settings(&dir)).await.expect("the bot logs in"));
    assert_eq!(adapter.rate_limit(), RateLimitInfo::AppService);
    assert!(adapter.device_id().is_some(), "the login made a device of its own (for encryption)");
    let running = run(adapter.clone());

    // An official invites the bot to a branch room and to an encrypted one;
    // it joins both.
    let official = User::login(&default_limits_url(), "official").await;
    let bot_id = matrix_sdk::ruma::UserId::parse(adapter.user_id()).unwrap();
    let room = create_room(&official.client, std::slice::from_ref(&bot_id), false).await;
    let secret = create_room(&official.client, &[bot_id], true).await;
    let room_id = room.room_id().to_string();
    assert!(bot_joined(&adapter, room.room_id(), 30).await, "the bot joins the invite with the as_token");
    assert!(bot_joined(&adapter, secret.room_id(), 30).await, "and the encrypted room's");

    // Four times the shipped burst, back to back: no M_LIMIT_EXCEEDED.
    let tag = unique("应用服务");
    let to = Address::group(Platform::Matrix, &room_id);
    for i in 0..40 {
        let msg = Outbound {
            id: format!("{tag}-{i}"),
            kind: OutboundKind::Notice,
            ..Outbound::reply("", to.clone(), format!("{tag} 第{i}条通知"))
        };
        match adapter.deliver(&msg).await {
            Ok(_) => {}
            Err(DeliveryError::RateLimited { retry_after, .. }) => {
                panic!("notice {i} was rate limited ({retry_after:?}): the sender must be exempt")
            }
            Err(e) => panic!("notice {i} failed: {e}"),
        }
    }
    let seen = official.wait_for_text(&room_id, &format!("{tag} 第39条通知"), 30).await;
    assert_eq!(seen.sender.as_str(), adapter.user_id(), "sent as the bot, not as the service");

    // Into the encrypted room through the bot's device: the official reads it decrypted.
    let secret_id = secret.room_id().to_string();
    let msg =
        Outbound::reply(format!("{tag}-e"), Address::group(Platform::Matrix, &secret_id), format!("{tag} 加密通知"));
    adapter.deliver(&msg).await.expect("an encrypted room gets its notice");
    let seen = official.wait_for_text(&secret_id, &format!("{tag} 加密通知"), 30).await;
    assert_eq!(seen.sender.as_str(), adapter.user_id());
    running.stop().await;
}
