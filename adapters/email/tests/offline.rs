//! Tests that need no peer: MIME reading, charsets, quotes, HTML, settings,
//! Message-IDs, chunking and SMTP error sorting (against a scripted socket).

use base64::Engine;
use treecast_email::*;
use treecast_wire::{Adapter, Address, Button, ButtonAction, DeliveryError, Outbound, Platform};

fn settings() -> Settings {
    Settings {
        security: Security::Plain,
        trusted_authserv_ids: vec!["mx.example.test".into()],
        max_attachment_bytes: 1000,
        ..Settings::new("bot@example.test", "127.0.0.1")
    }
}

fn encode(charset: &'static encoding_rs::Encoding, s: &str) -> Vec<u8> {
    charset.encode(s).0.into_owned()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn mail(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut m = headers.replace('\n', "\r\n").into_bytes();
    m.extend_from_slice(b"\r\n\r\n");
    m.extend_from_slice(body);
    m
}

fn read_ok(raw: &[u8]) -> treecast_wire::Inbound {
    read(raw, &settings()).event.expect("readable")
}

const TEXT: &str = "各团支部：请于周五前提交团日活动总结。";

#[test]
fn gbk_8bit_body_and_encoded_word_subject() {
    let subject = format!("=?GBK?B?{}?=", b64(&encode(encoding_rs::GBK, "关于团日活动")));
    let raw = mail(
        &format!("From: Official <Official@Example.test>\nTo: notice+4143010533@example.test\nSubject: {subject}\nMessage-ID: <m1@gov.test>\nContent-Type: text/plain; charset=GBK\nContent-Transfer-Encoding: 8bit"),
        &encode(encoding_rs::GBK, TEXT),
    );
    let ev = read_ok(&raw);
    assert_eq!(ev.text, TEXT);
    assert_eq!(ev.subject, "关于团日活动");
    assert_eq!(ev.sender.id, "official@example.test");
    assert_eq!(ev.chat, Address::direct(Platform::Email, "official@example.test"));
    assert_eq!(ev.sent_to.as_deref(), Some("notice+4143010533@example.test"));
    assert_eq!(ev.message_id, "m1@gov.test");
    assert!(!ev.sender.verified);
}

#[test]
fn gb2312_and_gb18030_base64() {
    for cs in ["GB2312", "GB18030"] {
        let enc = encoding_rs::Encoding::for_label(cs.as_bytes()).unwrap();
        let body = b64(&encode(enc, TEXT));
        let raw = mail(&format!("From: a@example.test\nSubject: =?{cs}?Q?=B2=E2=CA=D4?=\nContent-Type: text/plain; charset=\"{cs}\"\nContent-Transfer-Encoding: base64"), body.as_bytes());
        let ev = read_ok(&raw);
        assert_eq!(ev.text, TEXT, "{cs}");
        assert_eq!(ev.subject, "测试", "{cs}");
    }
}

#[test]
fn big5_quoted_printable() {
    let traditional = "各團支部請按時參加活動。";
    let bytes = encode(encoding_rs::BIG5, traditional);
    let qp: String = bytes.iter().map(|b| format!("={b:02X}")).collect();
    let raw = mail("From: a@example.test\nSubject: =?Big5?B?tPq41Q==?=\nContent-Type: text/plain; charset=big5\nContent-Transfer-Encoding: quoted-printable", qp.as_bytes());
    let ev = read_ok(&raw);
    assert_eq!(ev.text, traditional);
    assert_eq!(ev.subject, "測試");
}

#[test]
fn utf8_qp_soft_breaks() {
    let raw = mail("From: a@example.test\nSubject: =?UTF-8?Q?=E6=94=B6=E5=88=B0?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable", b"=E6=94=B6=E5=88=B0=\r\n=EF=BC=8C=E8=B0=A2=E8=B0=A2");
    let ev = read_ok(&raw);
    assert_eq!(ev.text, "收到，谢谢");
    assert_eq!(ev.subject, "收到");
}

#[test]
fn alternative_prefers_plain_then_html() {
    let both = mail(
        "From: a@example.test\nContent-Type: multipart/alternative; boundary=XX",
        "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>网页版</p>\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n纯文本版\r\n--XX--\r\n".as_bytes(),
    );
    assert_eq!(read_ok(&both).text, "纯文本版");
    let html_only = mail(
        "From: a@example.test\nContent-Type: text/html; charset=utf-8",
        "<html><body><p>第一段&amp;说明</p><p>第二段<br>换行</p><script>x()</script></body></html>".as_bytes(),
    );
    let text = read_ok(&html_only).text;
    assert!(text.contains("第一段&说明") && text.contains("第二段") && text.contains("换行"), "{text}");
    assert!(!text.contains('<'), "{text}");
}

#[test]
fn html_to_text_keeps_paragraphs() {
    let t = html_to_text("<div>甲</div><p>乙 &lt;丙&gt;</p><ul><li>一</li><li>二</li></ul>");
    for w in ["甲", "乙 <丙>", "一", "二"] {
        assert!(t.contains(w), "{w} missing in {t:?}");
    }
    assert!(t.lines().count() >= 3, "{t:?}");
}

#[test]
fn reply_threading_and_quotes() {
    let raw = mail(
        "From: s@example.test\nTo: bot@example.test\nIn-Reply-To: <notice-1@example.test>\nReferences: <a@x> <notice-1@example.test>\nContent-Type: text/plain; charset=utf-8",
        "已收到\r\n\r\n在 2024年5月1日 10:00，团委 <bot@example.test> 写道：\r\n> 通知原文\r\n".as_bytes(),
    );
    let ev = read_ok(&raw);
    assert_eq!(ev.text, "已收到");
    assert_eq!(ev.in_reply_to.as_deref(), Some("notice-1@example.test"));
    let refs_only = mail("From: s@example.test\nReferences: <a@x> <b@x>", b"ok");
    assert_eq!(read_ok(&refs_only).in_reply_to.as_deref(), Some("b@x"));
}

#[test]
fn sent_to_from_received_when_bcc() {
    let raw = mail(
        "Received: from mail.example.test by vm with LMTP\n\tfor <notice+4143010533@example.test>; Tue, 24 Nov 2026 14:25:13 +0000\nFrom: o@gov.test\nTo: someone@else.test\nSubject: x",
        b"hi",
    );
    assert_eq!(read_ok(&raw).sent_to.as_deref(), Some("notice+4143010533@example.test"));
}

#[test]
fn trusted_header_verifies_forged_does_not() {
    let good = mail("Authentication-Results: mx.example.test; dkim=pass header.d=gov.test\nFrom: o@gov.test", b"hi");
    assert!(read_ok(&good).sender.verified);
    let forged = mail("Authentication-Results: evil.test; dkim=pass header.d=gov.test\nFrom: o@gov.test", b"hi");
    assert!(!read_ok(&forged).sender.verified);
    let other_domain =
        mail("Authentication-Results: mx.example.test; dkim=pass header.d=evil.test\nFrom: o@gov.test", b"hi");
    assert!(!read_ok(&other_domain).sender.verified);
}

#[test]
fn unreadable_mail_says_why() {
    let broken = mail(
        "From: a@example.test\nContent-Type: multipart/mixed; boundary=B",
        b"--B\r\nContent-Type: text/plain\r\n\r\nhalf a mail",
    );
    assert_eq!(read(&broken, &settings()).event.unwrap_err(), Unreadable::BrokenMime);
    let no_text =
        mail("From: a@example.test\nContent-Type: image/png\nContent-Transfer-Encoding: base64", b"iVBORw0KGgo=");
    assert_eq!(read(&no_text, &settings()).event.unwrap_err(), Unreadable::NoText);
    let big = b64(&vec![7u8; 2000]);
    let too_large = mail(
        "From: a@example.test\nContent-Type: multipart/mixed; boundary=B",
        format!("--B\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n--B--\r\n").as_bytes(),
    );
    let why = read(&too_large, &settings()).event.unwrap_err();
    assert!(matches!(&why, Unreadable::TooLarge { name, bytes: 2000, limit: 1000 } if name == "r.pdf"), "{why:?}");
    for w in [Unreadable::BrokenMime, Unreadable::NoText, why] {
        let s = w.sentence();
        assert_eq!(s.lines().count(), 2, "one sentence in Chinese, one in English: {s}");
    }
    let small = mail(
        "From: a@example.test\nContent-Type: multipart/mixed; boundary=B",
        format!("--B\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--B--\r\n", b64(b"%PDF")).as_bytes(),
    );
    let ev = read_ok(&small);
    assert_eq!((ev.attachments.len(), ev.attachments[0].data.as_slice()), (1, &b"%PDF"[..]));
    assert_eq!(ev.attachments[0].content_type, "application/pdf");
}

#[test]
fn bounces_are_automatic() {
    let bounce = mail("From: MAILER-DAEMON@example.test\nAuto-Submitted: auto-replied", b"x");
    assert!(read(&bounce, &settings()).automatic);
    assert!(!read(&mail("From: a@example.test", b"x"), &settings()).automatic);
}

#[test]
fn message_ids_are_stable_and_distinct() {
    let a = message_id("notice-42/ch:7", "example.test");
    assert_eq!(a, "notice-42=2Fch=3A7@example.test");
    assert_eq!(a, message_id("notice-42/ch:7", "example.test"));
    assert_ne!(message_id("a/b", "example.test"), message_id("a:b", "example.test"));
    assert_eq!(message_id("投递1", "example.test"), "=E6=8A=95=E9=80=921@example.test");
}

#[test]
fn recipients_chunk_by_limit() {
    let r: Vec<u32> = (0..2501).collect();
    let sizes: Vec<usize> = chunks(&r, 1000).map(<[u32]>::len).collect();
    assert_eq!(sizes, vec![1000, 1000, 501]);
    assert_eq!(chunks(&r[..3], 0).count(), 3, "a zero limit still sends");
}

#[test]
fn buttons_render_as_reply_lines_and_links() {
    let mut m = Outbound::reply("d1", Address::direct(Platform::Email, "s@example.test"), "请确认");
    m.footer = Some("精彩微博团，青春心连心".into());
    m.buttons = vec![
        Button { label: "已阅".into(), action: ButtonAction::Callback("ack:1".into()) },
        Button { label: "填写问卷".into(), action: ButtonAction::StartPrivate("survey-9".into()) },
        Button { label: "详情".into(), action: ButtonAction::Url("https://example.test/n/1".into()) },
    ];
    let text = render_text(&m);
    assert!(text.contains("reply with 已阅"), "{text}");
    assert!(text.contains("reply to this mail with: /start survey-9"), "{text}");
    assert!(text.contains("https://example.test/n/1"), "{text}");
    assert!(text.trim_end().ends_with("-- \n精彩微博团，青春心连心"), "{text}");
    let html = render_html(&m);
    assert!(html.contains("<a href=\"https://example.test/n/1\">详情</a>") && html.contains("精彩微博团"), "{html}");
}

#[test]
fn settings_from_toml_reject_unknown_keys() {
    let s: Settings = toml::from_str(
        "address = \"bot@example.test\"\nimap_host = \"127.0.0.1\"\nsmtp_host = \"127.0.0.1\"\nsecurity = \"plain\"\nprocessed = { flag = \"\\\\Seen\" }",
    )
    .unwrap();
    assert_eq!(s.processed, Processed::Flag("\\Seen".into()));
    assert_eq!((s.inbox.as_str(), s.quarantine.as_str(), s.max_recipients), ("INBOX", "Quarantine", 500));
    let e = toml::from_str::<Settings>(
        "address = \"b@x.test\"\nimap_host = \"h\"\nsmtp_host = \"h\"\nimap_pasword = \"x\"",
    )
    .unwrap_err();
    assert!(e.to_string().contains("imap_pasword"), "{e}");
}

#[test]
fn smtp_reply_classes() {
    assert!(matches!(classify_smtp_reply(Some("452"), false, "too many recipients"), DeliveryError::Transient { .. }));
    assert!(matches!(classify_smtp_reply(Some("421"), false, "busy"), DeliveryError::Transient { .. }));
    assert!(matches!(classify_smtp_reply(Some("550"), true, "no such user"), DeliveryError::Permanent { .. }));
    assert!(matches!(classify_smtp_reply(None, false, "connection refused"), DeliveryError::Transient { .. }));
}

/// A one-shot SMTP server that answers RCPT with `rcpt_reply`.
async fn scripted_smtp(rcpt_reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let up = line.to_ascii_uppercase();
                    let reply: &[u8] = if up.starts_with("EHLO") {
                        b"250-fake\r\n250 PIPELINING\r\n"
                    } else if up.starts_with("RCPT") {
                        rcpt_reply.as_bytes()
                    } else if up.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn capabilities_match_what_the_adapter_renders() {
    let dir = tempfile::tempdir().unwrap();
    let a = EmailAdapter::with_passwords(Settings { state_dir: dir.path().into(), ..settings() }, None, None).unwrap();
    let caps = a.capabilities();
    assert_eq!(caps, CAPABILITIES);
    let mut msg = Outbound::reply("d", Address::direct(Platform::Email, "s@example.test"), TEXT.repeat(2000));
    msg.buttons = vec![
        Button { label: "已阅".into(), action: ButtonAction::Callback("ack:1".into()) },
        Button { label: "填写问卷".into(), action: ButtonAction::StartPrivate("survey-9".into()) },
    ];
    let text = render_text(&msg);
    assert_eq!(caps.max_message_chars, 0);
    assert_eq!(text.matches(TEXT).count(), 2000, "one mail carries any length");
    assert!(!caps.buttons && text.contains("(reply with 已阅)"), "callback buttons are written out");
    assert!(!caps.deep_links && text.contains("/start survey-9"), "StartPrivate is written out");
}

async fn deliver_via(port: u16) -> Result<treecast_wire::Delivered, DeliveryError> {
    let dir = tempfile::tempdir().unwrap();
    let s = Settings { smtp_port: Some(port), state_dir: dir.path().into(), ..settings() };
    let a = EmailAdapter::with_passwords(s, None, None).unwrap();
    a.deliver(&Outbound::reply("d-1", Address::direct(Platform::Email, "s@example.test"), "hi")).await
}

#[tokio::test]
async fn smtp_4xx_is_transient_5xx_permanent_refused_transient() {
    let e = deliver_via(scripted_smtp("452 4.5.3 Error: too many recipients\r\n").await).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    let e = deliver_via(scripted_smtp("550 5.1.1 no such user\r\n").await).await.unwrap_err();
    assert!(matches!(e, DeliveryError::Permanent { .. }), "{e}");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let e = deliver_via(closed).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    let ok = deliver_via(scripted_smtp("250 ok\r\n").await).await.unwrap();
    assert_eq!(ok.message_ids, vec!["d-1@example.test".to_owned()]);
}
