//! The end-to-end scenario (issue 8) against the real peers: Postfix +
//! Dovecot, Synapse, and the Telegram emulator behind our compatibility
//! layer. On the national tree, the 湖南省 official posts a notice by mail;
//! it reaches a Telegram group, a Matrix room and a mailing list (the three
//! branches of 湖南大学) and every other 湖南 branch, nothing outside 湖南;
//! a reply comes back privately both ways; acknowledgements roll up; a
//! micro-survey is answered in a Telegram private chat and a Matrix DM and
//! exported; a school reports upward by mail, a province official reads it
//! in Matrix and answers in the thread, and the answer reaches the school by
//! mail. Every other branch is a recording console chat.
//!
//! Run: `scripts/test.sh`, or with the peers up and their env loaded,
//! `cargo test --all-features --test scenario -- --include-ignored --nocapture`.

#![cfg(all(feature = "email", feature = "telegram", feature = "matrix"))]
#![recursion_limit = "256"]

#[path = "scenario/mail.rs"]
mod mail;
#[path = "scenario/matrix.rs"]
mod matrix;
#[path = "scenario/setup.rs"]
mod setup;
#[path = "scenario/steps.rs"]
mod steps;
#[path = "scenario/telegram.rs"]
mod telegram;

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `f` until it yields, failing with `what` after `patience`.
pub async fn poll<T, F, Fut>(what: &str, patience: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {patience:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A name no earlier run used.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}{nanos}")
}

pub fn env_port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real peers: scripts/test.sh"]
async fn provincial_notice_reply_acks_and_survey_across_every_platform() {
    let mut s = steps::Scenario::start().await;
    s.official_posts_by_mail().await;
    s.notice_lands_in_hunan_only().await;
    s.student_reply_goes_back_and_forth().await;
    s.acknowledgements_roll_up().await;
    s.survey_is_answered_and_exported().await;
    s.school_reports_up_and_the_province_answers().await;
    s.stop().await;
}
