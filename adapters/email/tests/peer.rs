//! The email adapter against the real peer: GBK mail, exactly-once across a
//! restart, quarantine of unreadable and rejected mail.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use support::*;
use tokio::sync::{mpsc, watch};
use treecast_email::{EmailAdapter, Processed, Settings, UNREADABLE_SUBJECT};
use treecast_wire::{Adapter, InboundEnvelope, Outcome};

const PATIENCE: Duration = Duration::from_secs(20);

struct Running {
    rx: mpsc::Receiver<InboundEnvelope>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), treecast_wire::AdapterError>>,
}

fn start(settings: Settings) -> Running {
    let adapter = EmailAdapter::with_passwords(settings, Some("botpass".into()), None).unwrap();
    let (tx, rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(async move { adapter.run(tx, stop_rx).await });
    Running { rx, stop, task }
}

impl Running {
    async fn next(&mut self) -> InboundEnvelope {
        tokio::time::timeout(PATIENCE, self.rx.recv()).await.expect("an inbound mail in time").expect("adapter running")
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("adapter stops").unwrap().unwrap();
    }
}

fn commit(env: InboundEnvelope, outcome: Outcome) -> treecast_wire::Inbound {
    env.committed.expect("email events carry a commit").send(outcome).unwrap();
    env.event
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn gbk_mail_arrives_intact_and_forged_proof_is_ignored() {
    let _bot = BOT_MAILBOX.lock().await;
    reset("bot", &["INBOX", "Processed"]).await;
    let text = "各团支部：请于五月四日前提交“青年大学习”学习情况。";
    let subject = "关于开展五四主题团日活动的通知";
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let mut raw = format!(
        "From: =?GBK?B?{}?= <official@example.test>\r\nTo: notice+4143010533@example.test\r\nSubject: =?GBK?B?{}?=\r\nMessage-ID: <gbk-1@example.test>\r\nAuthentication-Results: mail.example.test; dkim=pass header.d=example.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        b64(&gbk("省团委")),
        b64(&gbk(subject))
    )
    .into_bytes();
    raw.extend(gbk(text));
    raw.extend(b"\r\n");
    send_raw("official@example.test", &["notice+4143010533@example.test"], &raw).await;

    let state = tempfile::tempdir().unwrap();
    let mut run = start(bot_settings(state.path()));
    let ev = commit(run.next().await, Outcome::Done);
    assert_eq!(ev.text, text);
    assert_eq!(ev.subject, subject);
    assert_eq!(ev.sender.id, "official@example.test");
    assert_eq!(ev.sender.display_name.as_deref(), Some("省团委"));
    assert_eq!(ev.sent_to.as_deref(), Some("notice+4143010533@example.test"));
    assert_eq!(ev.message_id, "gbk-1@example.test");
    assert!(
        !ev.sender.verified,
        "a sender-written Authentication-Results header is stripped by Postfix and never trusted"
    );
    let processed = wait_count("bot", "Processed", 1, PATIENCE).await;
    run.stop().await;
    assert_eq!(processed.len(), 1, "Done moves the mail to the processed folder");
    assert!(messages("bot", "INBOX").await.is_empty());
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn smtp_auth_submission_proves_the_sender_and_forgeries_do_not() {
    let _bot = BOT_MAILBOX.lock().await;
    reset("bot", &["INBOX", "Processed"]).await;
    let from = "official@example.test";
    let forged = format!("Authentication-Results: mail.example.test; auth=pass smtp.auth={from}\r\n");
    let mail = |subject: &str| utf8_mail(from, BOT, subject, "请各团支部按时提交总结。", &forged);
    submit_raw("official", from, &[BOT], &mail("认证提交")).await;
    send_raw(from, &[BOT], &mail("未认证伪造")).await;
    submit_raw("student1", from, &[BOT], &mail("他人账号伪造")).await;
    assert_eq!(wait_count("bot", "INBOX", 3, PATIENCE).await.len(), 3);

    let state = tempfile::tempdir().unwrap();
    let mut run = start(bot_settings(state.path()));
    let mut verified = std::collections::BTreeMap::new();
    for _ in 0..3 {
        let ev = commit(run.next().await, Outcome::Done);
        verified.insert(ev.subject, ev.sender.verified);
    }
    let processed = wait_count("bot", "Processed", 3, PATIENCE).await;
    run.stop().await;
    assert_eq!(verified.get("认证提交"), Some(&true), "AUTH as the From address on 2587: {verified:?}");
    assert_eq!(verified.get("未认证伪造"), Some(&false), "forged header on 2525: {verified:?}");
    assert_eq!(verified.get("他人账号伪造"), Some(&false), "AUTH as another user: {verified:?}");

    // What the server wrote: one result per submission, naming the login.
    let results = |subject: &str| -> Vec<String> {
        let raw = processed.iter().find(|m| readable(m).starts_with(subject)).expect("in Processed");
        let m = mail_parser::MessageParser::default().parse(raw).unwrap();
        assert!(!m.headers_raw().any(|(n, _)| n.starts_with("X-Treecast-Sasl")), "the marker never leaves Postfix");
        m.headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    };
    assert_eq!(results("认证提交"), ["mail.example.test; auth=pass smtp.auth=official@example.test"]);
    assert!(results("未认证伪造").is_empty());
    assert_eq!(results("他人账号伪造"), ["mail.example.test; auth=pass smtp.auth=student1@example.test"]);
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn restart_mid_ingest_delivers_each_mail_once() {
    let _bot = BOT_MAILBOX.lock().await;
    reset("bot", &["INBOX", "Processed"]).await;
    let tag = unique("restart");
    for i in 0..20 {
        let m = utf8_mail("student2@example.test", BOT, &format!("{tag} {i}"), &format!("第{i}封"), "");
        send_raw("student2@example.test", &[BOT], &m).await;
    }
    assert_eq!(wait_count("bot", "INBOX", 20, PATIENCE).await.len(), 20);

    let state = tempfile::tempdir().unwrap();
    // Flag mode: the mails stay in the inbox, so only the checkpoint keeps
    // the second adapter from handing them over again.
    let settings = Settings { processed: Processed::Flag("\\Seen".into()), ..bot_settings(state.path()) };
    let mut committed: Vec<String> = Vec::new();
    let mut first = start(settings.clone());
    for _ in 0..7 {
        committed.push(commit(first.next().await, Outcome::Done).message_id);
    }
    let held = first.next().await; // the core never commits this one
    let held_id = held.event.message_id.clone();
    first.stop().await;
    drop(held);

    let mut second = start(settings);
    let mut seen_by_second = Vec::new();
    while committed.len() < 20 {
        let ev = commit(second.next().await, Outcome::Done);
        seen_by_second.push(ev.message_id.clone());
        committed.push(ev.message_id);
    }
    let extra = tokio::time::timeout(Duration::from_secs(5), second.rx.recv()).await;
    assert!(extra.is_err(), "no mail may come a second time: {:?}", extra.ok().flatten().map(|e| e.event.message_id));
    second.stop().await;

    let unique_ids: HashSet<&String> = committed.iter().collect();
    assert_eq!(unique_ids.len(), 20, "each of the 20 mails committed exactly once: {committed:?}");
    assert_eq!(seen_by_second.first(), Some(&held_id), "the uncommitted mail comes again first");
    assert_eq!(seen_by_second.len(), 13);
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn unreadable_mail_is_quarantined_and_sender_told_once() {
    let _bot = BOT_MAILBOX.lock().await;
    reset("bot", &["INBOX", "Quarantine"]).await;
    reset("official", &["INBOX"]).await;
    let from = "official@example.test";
    let broken = format!("From: {from}\r\nTo: {BOT}\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhalf a mail\r\n");
    let no_text = format!("From: {from}\r\nTo: {BOT}\r\nSubject: picture\r\nMIME-Version: 1.0\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n");
    let big = b64(&vec![1u8; 4096]);
    let oversized = format!("From: {from}\r\nTo: {BOT}\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n见附件\r\n--B\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n--B--\r\n");
    // GBK bytes labelled UTF-8: the body does not decode.
    let mut garbled = format!("From: {from}\r\nTo: {BOT}\r\nSubject: garbled\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").into_bytes();
    garbled.extend(encoding_rs::GBK.encode("各团支部：请按时提交总结。").0.as_ref());
    garbled.extend(b"\r\n");
    for m in [broken.as_bytes(), no_text.as_bytes(), oversized.as_bytes(), &garbled] {
        send_raw(from, &[BOT], m).await;
    }
    assert_eq!(wait_count("bot", "INBOX", 4, PATIENCE).await.len(), 4);

    let state = tempfile::tempdir().unwrap();
    let mut run = start(Settings { max_attachment_bytes: 1024, ..bot_settings(state.path()) });
    let quarantined = wait_count("bot", "Quarantine", 4, PATIENCE).await;
    let answers = wait_count("official", "INBOX", 4, PATIENCE).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(run.rx.try_recv().is_err(), "unreadable mail never reaches the core");
    run.stop().await;
    assert_eq!(quarantined.len(), 4);
    assert!(messages("bot", "INBOX").await.is_empty());
    let answers_now = messages("official", "INBOX").await;
    assert_eq!(answers_now.len(), 4, "one answer per mail, no more");
    let texts: Vec<String> = answers.iter().map(|a| readable(a)).collect();
    for t in &texts {
        assert!(t.starts_with(UNREADABLE_SUBJECT), "{t}");
        let body: Vec<&str> = t.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(body.len(), 2, "one sentence, Chinese then English: {t}");
    }
    let all = texts.concat();
    assert!(all.contains("broken") && all.contains("no readable text") && all.contains("r.pdf"), "{all}");
    assert!(all.contains("正文") && all.contains("its body could not be read"), "{all}");
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn rejected_mail_moves_to_quarantine() {
    let _bot = BOT_MAILBOX.lock().await;
    reset("bot", &["INBOX", "Quarantine", "Processed"]).await;
    let m = utf8_mail("student1@example.test", BOT, "问卷", "/unknown-thing", "");
    send_raw("student1@example.test", &[BOT], &m).await;
    let state = tempfile::tempdir().unwrap();
    let mut run = start(bot_settings(state.path()));
    let ev = commit(run.next().await, Outcome::Rejected { reason: "not a member".into() });
    assert_eq!(ev.text, "/unknown-thing");
    let q = wait_count("bot", "Quarantine", 1, PATIENCE).await;
    run.stop().await;
    assert_eq!(q.len(), 1);
    assert!(messages("bot", "INBOX").await.is_empty());
    assert!(messages("bot", "Processed").await.is_empty());
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn submission_port_logs_in_and_bad_password_is_permanent() {
    use treecast_wire::{Address, DeliveryError, Outbound, Platform};
    reset("student2", &["INBOX"]).await;
    let port: u16 = std::env::var("TREECAST_TEST_SUBMISSION_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(2587);
    let state = tempfile::tempdir().unwrap();
    let settings = Settings { smtp_port: Some(port), smtp_user: Some("bot".into()), ..bot_settings(state.path()) };
    let to = Address::direct(Platform::Email, "student2@example.test");
    let good = EmailAdapter::with_passwords(settings.clone(), None, Some("botpass".into())).unwrap();
    let marker = unique("认证");
    good.deliver(&Outbound::reply(unique("auth-ok"), to.clone(), marker.clone())).await.expect("AUTH PLAIN on 2587");
    let got = wait_count("student2", "INBOX", 1, PATIENCE).await;
    assert!(got.iter().any(|m| readable(m).contains(&marker)));
    let bad = EmailAdapter::with_passwords(settings, None, Some("wrong".into())).unwrap();
    let e = bad.deliver(&Outbound::reply(unique("auth-bad"), to, "x")).await.unwrap_err();
    assert!(matches!(e, DeliveryError::Permanent { .. }), "535 is permanent: {e}");
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn list_with_one_unknown_member_still_reaches_the_others() {
    use treecast_wire::{Address, Outbound};
    reset("branch-b1", &["INBOX"]).await;
    reset("student2", &["INBOX"]).await;
    let state = tempfile::tempdir().unwrap();
    let adapter = EmailAdapter::with_passwords(bot_settings(state.path()), None, None).unwrap();
    let members = vec!["branch-b1@example.test".into(), "nobody@example.test".into(), "student2@example.test".into()];
    let marker = unique("名单");
    let done = adapter
        .deliver(&Outbound::reply(
            unique("list-partial"),
            Address::list("branch-b@example.test", members),
            marker.clone(),
        ))
        .await
        .expect("the known members are served");
    assert_eq!(done.message_ids.len(), 1);
    for user in ["branch-b1", "student2"] {
        let got = wait_count(user, "INBOX", 1, PATIENCE).await;
        assert_eq!(got.iter().filter(|m| readable(m).contains(&marker)).count(), 1, "{user}");
    }
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn a_list_spreads_over_two_relays_and_each_member_gets_it_once() {
    use treecast_email::Relay;
    use treecast_wire::{Address, Outbound};
    let members = ["branch-a1", "branch-a2", "branch-b1", "branch-c1", "branch-c2", "student1", "student2", "official"];
    for m in members {
        reset(m, &["INBOX"]).await;
    }
    // The second relay is the peer's submission port, where the bot logs in:
    // each mail's Received line shows which relay carried it.
    std::env::set_var("TREECAST_SMTP_PASSWORD_AUTH", "botpass");
    let state = tempfile::tempdir().unwrap();
    let auth = Relay {
        name: "auth".into(),
        host: "127.0.0.1".into(),
        port: Some(submission_port()),
        user: Some("bot".into()),
        security: None,
    };
    let settings = Settings { max_recipients: 1, relays: vec![auth], ..bot_settings(state.path()) };
    let adapter = EmailAdapter::new(settings).unwrap();
    let marker = unique("两个中继");
    let list = Address::list("league@example.test", members.iter().map(|m| format!("{m}@example.test")).collect());
    // A fixed delivery id: the split over relays follows from it.
    let msg = Outbound::reply("relay-spread-1", list, marker.clone());
    adapter.deliver(&msg).await.expect("delivered through both relays");
    adapter.deliver(&msg).await.expect("a retry of a delivery that went through is a no-op");
    let mut through_auth = 0;
    for m in members {
        let got = wait_count(m, "INBOX", 1, PATIENCE).await;
        let ours: Vec<_> = got.iter().filter(|raw| readable(raw).contains(&marker)).collect();
        assert_eq!(ours.len(), 1, "{m} got it exactly once");
        // Postfix writes "with ESMTPA" in its Received line for an authenticated session.
        if String::from_utf8_lossy(ours[0]).contains("with ESMTPA") {
            through_auth += 1;
        }
    }
    assert!(through_auth > 0 && through_auth < members.len(), "both relays carried some: {through_auth} of 8 via auth");
}
