//! Chinese mail as real tools write it: Python's email package (fixtures in
//! tests/mails, written by tests/mails/python.py), and mails shaped like
//! Foxmail, QQ Mail and 163 (Coremail) write them. Every label must decode;
//! a mail whose subject or body still has U+FFFD is unreadable.

use base64::Engine;
use treecast_email::*;

fn settings() -> Settings {
    Settings { security: Security::Plain, ..Settings::new("bot@example.test", "127.0.0.1") }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Base64 in 76-character lines, as mail clients write bodies.
fn b64_lines(bytes: &[u8]) -> String {
    let one = b64(bytes);
    one.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c) + "\r\n").collect()
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

fn gb18030(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

fn read_ok(raw: &[u8]) -> treecast_wire::Inbound {
    read(raw, &settings()).event.expect("readable")
}

const SIMPLIFIED: &str = "各团支部：请于五月四日前提交“青年大学习”学习情况。\n谢谢！";
const TRADITIONAL: &str = "各團支部請按時參加活動。\n謝謝！";

#[test]
fn python_email_package_labels_decode() {
    let cases = [
        ("python-gb2312", "关于团日活动的通知", "省团委", SIMPLIFIED),
        ("python-big5", "團日活動通知", "省團委", TRADITIONAL),
        ("python-euc_cn-qp", "关于团日活动的通知", "省团委", SIMPLIFIED),
        ("python-gb2312_1980", "关于团日活动的通知", "省团委", SIMPLIFIED),
        ("python-cp936-qp", "关于团日活动的通知", "省团委", SIMPLIFIED),
        ("python-ms936", "关于团日活动的通知", "省团委", SIMPLIFIED),
        ("python-big5-hkscs", "團日活動通知", "省團委", TRADITIONAL),
    ];
    for (file, subject, name, text) in cases {
        let path = format!("{}/tests/mails/{file}.eml", env!("CARGO_MANIFEST_DIR"));
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let ev = read(&raw, &settings()).event.unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(ev.subject, subject, "{file}");
        assert_eq!(ev.text, text, "{file}");
        assert_eq!(ev.sender.display_name.as_deref(), Some(name), "{file}");
        assert_eq!(ev.sent_to.as_deref(), Some("notice+4143010533@example.test"), "{file}");
    }
}

/// Foxmail 7.2: multipart/alternative, GB2312 base64 in both parts, the
/// display name an encoded word inside quotes.
#[test]
fn foxmail_gb2312_alternative() {
    let html = format!("<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=GB2312\"></head><body><div>{}</div></body></html>", SIMPLIFIED.replace('\n', "<br>"));
    let raw = format!(
        "Date: Tue, 28 Apr 2026 09:12:31 +0800\r\nFrom: \"=?GB2312?B?{name}?=\" <official@example.test>\r\nTo: \"notice\" <notice+4143010533@example.test>\r\nSubject: =?GB2312?B?{subject}?=\r\nX-Priority: 3\r\nX-GUID: 4C1B0C2E-1F4B-4E8E-9F0A-7A3E3B7F2C11\r\nX-Has-Attach: no\r\nX-Mailer: Foxmail 7.2.25.228[cn]\r\nMime-Version: 1.0\r\nMessage-ID: <202604280912311109350@example.test>\r\nContent-Type: multipart/alternative;\r\n\tboundary=\"----=_001_NextPart572182624333_=----\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n------=_001_NextPart572182624333_=----\r\nContent-Type: text/plain;\r\n\tcharset=\"GB2312\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{plain}\r\n------=_001_NextPart572182624333_=----\r\nContent-Type: text/html;\r\n\tcharset=\"GB2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{html}\r\n------=_001_NextPart572182624333_=------\r\n\r\n",
        name = b64(&gbk("省团委")),
        subject = b64(&gbk("关于团日活动的通知")),
        plain = b64_lines(&gbk(&SIMPLIFIED.replace('\n', "\r\n"))),
        html = gbk(&html).iter().map(|b| format!("={b:02X}")).collect::<String>(),
    );
    let ev = read_ok(raw.as_bytes());
    assert_eq!((ev.subject.as_str(), ev.text.as_str()), ("关于团日活动的通知", SIMPLIFIED));
    assert_eq!(ev.sender.display_name.as_deref(), Some("省团委"));
}

/// QQ Mail: gb18030 everywhere, a QQ number address.
#[test]
fn qq_mail_gb18030() {
    let text = "收到，我们支部已完成学习。𠮷";
    let raw = format!(
        "X-QQ-mid: bizesmtp81t1714262400t8k2m9xq\r\nX-QQ-Originating-IP: 5Rz1Ghn1VpR0xS5G1y7lYw==\r\nFrom: \"=?gb18030?B?{name}?=\" <10001@qq.test>\r\nTo: \"=?gb18030?B?{bot}?=\" <bot@example.test>\r\nSubject: =?gb18030?B?{subject}?=\r\nMime-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n\tboundary=\"----=_NextPart_662DEF80_0B2C5A30_3D0F1A52\"\r\nContent-Transfer-Encoding: 8Bit\r\nDate: Sun, 28 Apr 2026 08:00:00 +0800\r\nX-Priority: 3\r\nMessage-ID: <tencent_3A2F@qq.test>\r\nX-QQ-MIME: TCMime 1.0 by Tencent\r\nX-Mailer: QQMail 2.x\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n------=_NextPart_662DEF80_0B2C5A30_3D0F1A52\r\nContent-Type: text/plain;\r\n\tcharset=\"gb18030\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{plain}\r\n------=_NextPart_662DEF80_0B2C5A30_3D0F1A52\r\nContent-Type: text/html;\r\n\tcharset=\"gb18030\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n------=_NextPart_662DEF80_0B2C5A30_3D0F1A52--\r\n\r\n",
        name = b64(&gb18030("李明")),
        bot = b64(&gb18030("校团委")),
        subject = b64(&gb18030("回复：关于团日活动的通知")),
        plain = b64_lines(&gb18030(text)),
        html = b64_lines(&gb18030(&format!("<div>{text}</div>"))),
    );
    let ev = read_ok(raw.as_bytes());
    assert_eq!((ev.subject.as_str(), ev.text.as_str()), ("回复：关于团日活动的通知", text));
    assert_eq!(ev.sender.display_name.as_deref(), Some("李明"));
}

/// 163 (Coremail webmail): GBK base64 and a GBK subject split across two
/// encoded words in the middle of a character, label `x-gbk`.
#[test]
fn netease_163_gbk_split_words() {
    let subject = gbk("团支部学习情况汇报");
    let (a, b) = subject.split_at(5);
    let raw = format!(
        "Date: Tue, 28 Apr 2026 10:01:02 +0800 (CST)\r\nFrom: =?GBK?B?{name}?= <branch@163.test>\r\nTo: bot@example.test\r\nSubject: =?x-gbk?B?{a}?=\r\n =?x-gbk?B?{b}?=\r\nX-Priority: 3\r\nX-Mailer: Coremail Webmail Server Version XT5.0.13 build 20210104(a5bf2a64)\r\nContent-Type: multipart/alternative; \r\n\tboundary=\"----=_Part_211238_1451364817.1714269662520\"\r\nMIME-Version: 1.0\r\nMessage-ID: <6b3c1d2e.4f1a.18f1f0e0a38.Coremail.branch@163.test>\r\n\r\n------=_Part_211238_1451364817.1714269662520\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{plain}\r\n------=_Part_211238_1451364817.1714269662520\r\nContent-Type: text/html; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n------=_Part_211238_1451364817.1714269662520--\r\n",
        name = b64(&gbk("团支部")),
        a = b64(a),
        b = b64(b),
        plain = b64_lines(&gbk(SIMPLIFIED)),
        html = b64_lines(&gbk(&format!("<div style=\"line-height:1.7;\">{SIMPLIFIED}</div>"))),
    );
    let ev = read_ok(raw.as_bytes());
    assert_eq!((ev.subject.as_str(), ev.text.as_str()), ("团支部学习情况汇报", SIMPLIFIED));
    assert_eq!(ev.sender.display_name.as_deref(), Some("团支部"));
}

#[test]
fn every_listed_label_resolves() {
    for (label, want) in [
        ("eucgb2312_cn", encoding_rs::GBK),
        ("EUC-CN", encoding_rs::GBK),
        ("euc_cn", encoding_rs::GBK),
        ("gb2312_1980", encoding_rs::GBK),
        ("x-gbk", encoding_rs::GBK),
        ("cp936", encoding_rs::GBK),
        ("MS936", encoding_rs::GBK),
        ("gb2312", encoding_rs::GBK),
        ("\"GB18030\"", encoding_rs::GB18030),
        ("big5_tw", encoding_rs::BIG5),
        ("big5-hkscs", encoding_rs::BIG5),
        ("big5hkscs", encoding_rs::BIG5),
        ("cp950", encoding_rs::BIG5),
        ("utf8", encoding_rs::UTF_8),
    ] {
        assert_eq!(charset_encoding(label), Some(want), "{label}");
    }
    assert_eq!(charset_encoding("x-no-such-charset"), None);
}

fn unreadable_sentence(raw: &[u8]) -> String {
    match read(raw, &settings()).event {
        Ok(ev) => panic!("handed to the core as text: subject {:?}, text {:?}", ev.subject, ev.text),
        Err(why) => why.sentence(),
    }
}

#[test]
fn subject_in_an_unknown_charset_is_unreadable() {
    let raw = format!(
        "From: a@example.test\r\nSubject: =?x-no-such-charset?B?{}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n正文没问题\r\n",
        b64(&gbk("关于团日活动"))
    );
    let s = unreadable_sentence(raw.as_bytes());
    assert!(s.contains("标题") && s.contains("subject") && !s.contains("正文"), "{s}");
    assert_eq!(s.lines().count(), 2, "{s}");
}

#[test]
fn body_that_does_not_decode_is_unreadable() {
    // GBK bytes labelled UTF-8: a common client mistake.
    let mut raw = b"From: a@example.test\r\nSubject: =?UTF-8?B?5rWL6K+V?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend(gbk(SIMPLIFIED));
    let s = unreadable_sentence(&raw);
    assert!(s.contains("正文") && s.contains("body") && !s.contains("标题"), "{s}");
    let unknown = format!(
        "From: a@example.test\r\nSubject: ok\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        b64(&gbk(SIMPLIFIED))
    );
    let s = unreadable_sentence(unknown.as_bytes());
    assert!(s.contains("正文") && s.contains("body"), "{s}");
}

#[test]
fn raw_eight_bit_subject_is_read_in_the_body_charset() {
    let mut raw = b"From: a@example.test\r\nSubject: ".to_vec();
    raw.extend(gbk("关于团日活动"));
    raw.extend(
        b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
    );
    raw.extend(gbk(SIMPLIFIED));
    let ev = read_ok(&raw);
    assert_eq!((ev.subject.as_str(), ev.text.as_str()), ("关于团日活动", SIMPLIFIED));
}
