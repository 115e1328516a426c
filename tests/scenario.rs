//! The end-to-end scenario (issue 8) against the real peers: Postfix +
//! Dovecot, Synapse, and the Telegram emulator behind our compatibility
//! layer. On the national tree, the 湖南省 official posts a notice by mail;
//! it reaches a Telegram group, a Matrix room and a mailing list (the three
//! branches of 湖南大学) and every other 湖南 branch, nothing outside 湖南;
//! a reply comes back privately both ways; acknowledgements roll up; a
//! micro-survey is answered in a Telegram private chat and a Matrix DM and
//! exported; a school reports upward by mail, a province official reads it
//! in Matrix and answers in the thread, and the answer reaches the school by
//! mail. A micro-topic gathers posts from Telegram and Matrix; a
//! micro-interview question asked on Telegram is answered in Matrix and
//! published to both; a column post is featured down the tree. A campaign
//! (工作部署) launched in Matrix has its form filled by one school on Telegram
//! and another by mail, and the province reads the compliance table in
//! Matrix. An information service (资讯服务) opened in Matrix gets a
//! subscriber on Telegram and one by mail (confirmed by reply), and its item
//! reaches both. 湖南大学's branch A bridges its Telegram group, an
//! encrypted Matrix room and a mailing list: a line, a reply, an edit and
//! a list member's mail each reach the other two, once. Every other branch
//! is a recording console chat.
//!
//! Run: `scripts/test.sh`, or with the peers up and their env loaded,
//! `cargo test --all-features --test scenario -- --include-ignored --nocapture`.

#![cfg(all(feature = "email", feature = "telegram", feature = "matrix"))]
#![recursion_limit = "256"]

#[path = "scenario/bridge.rs"]
mod bridge;
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

#[path = "scenario/wait.rs"]
mod wait;
pub use wait::{env_port, poll, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real peers: scripts/test.sh"]
async fn provincial_notice_reply_acks_and_survey_across_every_platform() {
    let logs = capture_logs();
    let mut s = steps::Scenario::start().await;
    s.official_posts_by_mail().await;
    s.notice_lands_in_hunan_only().await;
    s.student_reply_goes_back_and_forth().await;
    s.acknowledgements_roll_up().await;
    s.survey_is_answered_and_exported().await;
    s.school_reports_up_and_the_province_answers().await;
    s.a_topic_gathers_posts_from_telegram_and_matrix().await;
    s.an_interview_and_a_featured_post().await;
    s.a_campaign_form_is_filled_in_telegram_and_by_mail_and_followed_in_matrix().await;
    s.a_student_subscribes_in_telegram_and_by_mail_and_receives_an_item().await;
    s.a_branch_bridges_its_telegram_group_encrypted_room_and_list().await;
    s.people_see_and_delete_their_data().await;
    let people = [s.zhao.client.user_id().expect("logged in").to_string()];
    s.stop().await;
    let logs = logs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    logs_hold_no_address(&logs, &people);
}

/// A log line's bytes, kept for the end of the run.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of the run, through the masking writer `serve` uses.
fn capture_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    let buf = Captured::default();
    let held = buf.0.clone();
    let filter = "debug,sled=warn,tantivy=warn,hyper=info,hyper_util=info,h2=info,reqwest=info,\
                  matrix_sdk=info,matrix_sdk_base=info,matrix_sdk_crypto=warn,matrix_sdk_sqlite=warn,rustls=info";
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false)
        .with_writer(move || treecast::logs::Masked(buf.clone()))
        .init();
    held
}

/// The people's mail addresses and Matrix ids went through the logs masked:
/// none is left whole (`people`: ids that must not appear), and some were
/// there to mask.
fn logs_hold_no_address(logs: &[u8], people: &[String]) {
    if let Ok(path) = std::env::var("TREECAST_TEST_LOGS_TO") {
        std::fs::write(path, logs).unwrap();
    }
    let logs = String::from_utf8_lossy(logs);
    let email = regex::Regex::new(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.\w{2,}").unwrap();
    let mxid = regex::Regex::new(r"@[\w.=/+\-]+:[\w.\-]+").unwrap();
    let mut masked = 0;
    let addresses = [setup::OFFICIAL, setup::SCHOOL_OFFICIAL, setup::LIST, setup::STUDENT];
    for line in logs.lines() {
        // A masked one (`l***@x.cn`, `@l***:x.org`) does not match these.
        if let Some(m) = email.find(line).or_else(|| mxid.find(line)) {
            panic!("an unmasked address in the logs: {:?} in\n{line}", m.as_str());
        }
        masked += line.matches("***@").count() + line.matches("***:").count();
        for who in people.iter().map(String::as_str).chain(addresses) {
            assert!(!line.contains(who), "{who} in the logs:\n{line}");
        }
    }
    assert!(masked > 0, "no address reached the logs, masked or not: the check proves nothing");
    eprintln!("logs: {} lines, {masked} masked addresses, none whole", logs.lines().count());
}
