//! Shared helpers for the tests against the email peer
//! (`scripts/peers/email.sh start`, ports from `scripts/peers/email.sh env`).

#![allow(dead_code)]

use std::time::Duration;

use futures_util::TryStreamExt;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use treecast_email::{Processed, Security, Settings};

pub const IGNORE: &str = "needs the email peer: scripts/peers/email.sh start";
pub const BOT: &str = "bot@example.test";

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn smtp_port() -> u16 {
    port("TREECAST_TEST_SMTP_PORT", 2525)
}

pub fn submission_port() -> u16 {
    port("TREECAST_TEST_SUBMISSION_PORT", 2587)
}

pub fn imap_port() -> u16 {
    port("TREECAST_TEST_IMAP_PORT", 1143)
}

/// The bot's settings against the peer, with its own state dir.
pub fn bot_settings(state_dir: &std::path::Path) -> Settings {
    Settings {
        security: Security::Plain,
        imap_port: Some(imap_port()),
        imap_user: Some("bot".into()),
        smtp_port: Some(smtp_port()),
        smtp_user: Some(String::new()),
        state_dir: state_dir.to_owned(),
        poll_seconds: 2,
        processed: Processed::MoveTo("Processed".into()),
        // The peer's Postfix writes Authentication-Results as its myhostname.
        trusted_authserv_ids: vec!["mail.example.test".into()],
        ..Settings::new(BOT, "127.0.0.1")
    }
}

pub type Session = async_imap::Session<tokio::net::TcpStream>;

/// Logs `user` (local part) in over IMAP; password is `<user>pass`.
pub async fn imap(user: &str) -> Session {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", imap_port()))
        .await
        .expect("IMAP port; is the email peer running?");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().expect("greeting");
    client.login(user, format!("{user}pass")).await.map_err(|(e, _)| e).expect("login")
}

/// Empties `folders` of `user`'s mailbox (creating them if needed).
pub async fn reset(user: &str, folders: &[&str]) {
    let mut s = imap(user).await;
    for f in folders {
        let _ = s.create(f).await;
        s.select(f).await.unwrap();
        let st: Vec<_> = s.store("1:*", "+FLAGS (\\Deleted)").await.unwrap().try_collect().await.unwrap_or_default();
        drop(st);
        let ex: Vec<_> = s.expunge().await.unwrap().try_collect().await.unwrap();
        drop(ex);
    }
    let _ = s.logout().await;
}

/// Raw messages in `folder` of `user`, oldest first (read with BODY.PEEK[]).
pub async fn messages(user: &str, folder: &str) -> Vec<Vec<u8>> {
    let mut s = imap(user).await;
    let _ = s.create(folder).await;
    let mbox = s.select(folder).await.unwrap();
    let mut out = Vec::new();
    if mbox.exists > 0 {
        let fetches: Vec<_> = s.fetch("1:*", "(UID BODY.PEEK[])").await.unwrap().try_collect().await.unwrap();
        let mut rows: Vec<(u32, Vec<u8>)> = fetches.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).collect();
        rows.sort_by_key(|r| r.0);
        out = rows.into_iter().map(|r| r.1).collect();
    }
    let _ = s.logout().await;
    out
}

/// Waits until `folder` of `user` holds at least `n` messages.
pub async fn wait_count(user: &str, folder: &str, n: usize, patience: Duration) -> Vec<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let m = messages(user, folder).await;
        if m.len() >= n || tokio::time::Instant::now() > deadline {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends raw bytes through the peer's port 2525.
pub async fn send_raw(from: &str, to: &[&str], raw: &[u8]) {
    let t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(smtp_port()).build();
    let env =
        lettre::address::Envelope::new(Some(from.parse().unwrap()), to.iter().map(|a| a.parse().unwrap()).collect())
            .unwrap();
    t.send_raw(&env, raw).await.expect("the peer accepts the mail");
}

/// Sends raw bytes through the peer's submission port 2587, logged in as
/// `user` (password `<user>pass`).
pub async fn submit_raw(user: &str, from: &str, to: &[&str], raw: &[u8]) {
    use lettre::transport::smtp::authentication::Credentials;
    let t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(submission_port())
        .credentials(Credentials::new(user.to_owned(), format!("{user}pass")))
        .build();
    let env =
        lettre::address::Envelope::new(Some(from.parse().unwrap()), to.iter().map(|a| a.parse().unwrap()).collect())
            .unwrap();
    t.send_raw(&env, raw).await.expect("the peer accepts the submission");
}

/// A simple UTF-8 mail as bytes.
pub fn utf8_mail(from: &str, to: &str, subject: &str, body: &str, extra: &str) -> Vec<u8> {
    let id = unique("t");
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <{id}@example.test>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        b64(subject.as_bytes())
    )
    .into_bytes()
}

pub fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn unique(tag: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}-{n}")
}

/// Subject and decoded text body of a raw mail, as a reader sees them.
pub fn readable(raw: &[u8]) -> String {
    let m = mail_parser::MessageParser::default().parse(raw).expect("parsable");
    format!("{}\n\n{}", m.subject().unwrap_or_default(), m.body_text(0).unwrap_or_default())
}

/// Only one test at a time uses the bot's mailbox.
pub static BOT_MAILBOX: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
