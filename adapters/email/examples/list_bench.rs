//! One notice to a 10,000-address list at sink.test through the local Postfix
//! (the email peer; sink.test is routed to `discard:`), printing recipients/s.
//!
//!     scripts/peers/email.sh start
//!     cargo run --release -p treecast-email --example list_bench [-- RECIPIENTS [MAX_PER_MESSAGE]]

use std::sync::Arc;
use std::time::Instant;

use treecast_email::{EmailAdapter, Security, Settings};
use treecast_wire::{Adapter, Address, Outbound, OutboundKind};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let per_message: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let port: u16 = std::env::var("TREECAST_TEST_SMTP_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(2525);
    let state = std::env::temp_dir().join(format!("treecast-list-bench-{}", std::process::id()));
    let settings = Settings {
        security: Security::Plain,
        smtp_port: Some(port),
        smtp_user: Some(String::new()),
        max_recipients: per_message,
        state_dir: state.clone(),
        ..Settings::new("bench@example.test", "127.0.0.1")
    };
    let adapter = EmailAdapter::with_passwords(settings, None, None).expect("settings");
    let members: Vec<String> = (0..n).map(|i| format!("m{i}@sink.test")).collect();
    let notice = Outbound {
        id: format!("bench-{}", std::process::id()),
        kind: OutboundKind::Notice,
        to: Address::list("all-branches@example.test", members),
        title: Some("关于开展团日活动的通知".into()),
        body: "请各团支部按时参加团日活动，并于周五前提交总结。".repeat(20).into(),
        footer: Some("精彩微博团，青春心连心".into()),
        buttons: Vec::new(),
        attachments: Arc::from(Vec::new()),
        in_reply_to: None,
        via: String::new(),
        unsubscribe: None,
        list_name: None,
    };
    let started = Instant::now();
    let done = adapter.deliver(&notice).await.expect("delivery");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "list_bench: {n} recipients in {} SMTP messages of at most {per_message}, {secs:.3} s, {:.0} recipients/s, Message-ID {}",
        n.div_ceil(per_message),
        n as f64 / secs,
        done.message_ids[0]
    );
    let _ = std::fs::remove_dir_all(state);
}
