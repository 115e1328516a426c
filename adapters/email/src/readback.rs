//! Every kind of mail the adapter writes (notices, replies, list mail, mail
//! with attachments, answers to unreadable mail), read back with mail-parser
//! the way a reader's client reads it: MIME-Version, a Content-Type with
//! charset=utf-8 on every text part, the subject, the Chinese text and the
//! threading headers.

use std::sync::Arc;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use treecast_wire::{Address, Attachment, Button, ButtonAction, Outbound, OutboundKind, Platform};

use crate::inbound::{MailPart, Unreadable};
use crate::settings::{Security, Settings};

/// What a composed mail must show its reader.
struct Expect<'a> {
    subject: &'a str,
    /// Pieces the text/plain body must contain.
    text: &'a [&'a str],
    /// The parent Message-ID (without brackets) for In-Reply-To and References.
    parent: Option<&'a str>,
}

fn settings() -> Settings {
    Settings {
        security: Security::Plain,
        display_name: Some("校团委".into()),
        ..Settings::new("bot@example.test", "127.0.0.1")
    }
}

/// Parses `bytes` as a reader's client does and checks that it is well-formed.
fn read_back<'a>(bytes: &'a [u8], want: &Expect<'_>) -> Message<'a> {
    let text = String::from_utf8_lossy(bytes);
    let m = MessageParser::default().parse(bytes).expect("the mail parses");
    let raw = |name: &'static str| m.header_raw(name).map(str::trim);
    assert_eq!(raw("MIME-Version"), Some("1.0"), "MIME-Version: 1.0 missing:\n{text}");
    for name in ["From", "To", "Date", "Message-ID", "Content-Type"] {
        assert!(raw(name).is_some(), "{name} missing:\n{text}");
    }
    for part in &m.parts {
        let cte = part.content_transfer_encoding().map(str::to_ascii_lowercase);
        let ct = part.content_type();
        assert!(cte.is_none() || ct.is_some(), "a part has Content-Transfer-Encoding but no Content-Type:\n{text}");
        if let PartType::Text(t) | PartType::Html(t) = &part.body {
            let charset = ct.and_then(|c| c.attribute("charset")).unwrap_or_default();
            assert!(charset.eq_ignore_ascii_case("utf-8"), "text part without charset=utf-8 ({charset:?}):\n{text}");
            assert!(!t.contains('\u{FFFD}'), "text part does not decode cleanly: {t}");
        }
    }
    assert_eq!(m.subject(), Some(want.subject), "subject:\n{text}");
    let body = m.body_text(0).unwrap_or_default();
    for piece in want.text {
        assert!(body.contains(piece), "{piece:?} missing in the text body {body:?}");
    }
    let ids = |v: &HeaderValue<'_>| match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    let parent = want.parent.map(str::to_owned);
    assert_eq!(ids(m.in_reply_to()).first(), parent.as_ref(), "In-Reply-To:\n{text}");
    assert_eq!(ids(m.references()).last(), parent.as_ref(), "References:\n{text}");
    m
}

fn compose(msg: &Outbound) -> Vec<u8> {
    crate::compose::compose(msg, &settings()).expect("composes").bytes
}

const TITLE: &str = "关于开展五四主题团日活动的通知";
const BODY: &str = "各团支部：\n\n请于五月四日前提交“青年大学习”学习情况。";

fn notice(to: Address) -> Outbound {
    let mut m = Outbound::reply("notice-42", to, BODY);
    m.kind = OutboundKind::Notice;
    m.title = Some(Arc::from(TITLE));
    m.footer = Some(Arc::from("精彩微博团，青春心连心"));
    m.buttons = vec![Button { label: "已阅".into(), action: ButtonAction::Callback("ack:42".into()) }];
    m
}

#[test]
fn notice_reads_back_well_formed() {
    let bytes = compose(&notice(Address::direct(Platform::Email, "student1@example.test")));
    let want =
        Expect {
            subject: TITLE, text: &["各团支部：", "青年大学习", "回复「已阅」", "精彩微博团"], parent: None
        };
    let m = read_back(&bytes, &want);
    assert!(m.body_html(0).is_some_and(|h| h.contains(TITLE)), "the HTML part carries the title");
    assert_eq!(m.from().and_then(|f| f.first()).and_then(|a| a.name()), Some("校团委"));
}

#[test]
fn reply_reads_back_with_threading() {
    let mut m = Outbound::reply("reply-7", Address::direct(Platform::Email, "student1@example.test"), "收到，谢谢。");
    m.in_reply_to = Some("m1@gov.test".into());
    let want = Expect { subject: "消息", text: &["收到，谢谢。"], parent: Some("m1@gov.test") };
    read_back(&compose(&m), &want);
}

#[test]
fn list_mail_reads_back_with_list_headers() {
    let members = vec!["branch-a1@example.test".into(), "branch-a2@example.test".into()];
    let bytes = compose(&notice(Address::list("branch-a@example.test", members)));
    let m = read_back(&bytes, &Expect { subject: TITLE, text: &["青年大学习"], parent: None });
    assert_eq!(m.header_raw("List-Id").map(str::trim), Some("<branch-a.example.test>"));
    assert_eq!(m.header_raw("Precedence").map(str::trim), Some("list"));
}

/// The list's name reads back as the List-Id description, however long and
/// whatever it holds; the id stays as it was.
#[test]
fn list_mail_names_the_list_in_list_id() {
    let to = Address::list("branch-a@example.test", vec!["branch-a1@example.test".into()]);
    for name in ["湖南大学团委 计算机科学与技术2023级1班团支部", "Branch A", "Branch \"A\" <a@example.test>"]
    {
        let mut msg = notice(to.clone());
        msg.list_name = Some(name.into());
        let bytes = compose(&msg);
        let m = read_back(&bytes, &Expect { subject: TITLE, text: &["青年大学习"], parent: None });
        let id = m.list_id().as_address().and_then(|a| a.first()).expect("List-Id parses as a phrase and an id");
        assert_eq!((id.name(), id.address()), (Some(name), Some("branch-a.example.test")), "{name}");
    }
}

#[test]
fn a_subscribers_mail_carries_their_own_unsubscribe_links() {
    let mut msg = notice(Address::direct(Platform::Email, "student1@example.test"));
    msg.unsubscribe = Some("0123abcd0123abcd".into());
    let bytes = compose(&msg);
    let m = read_back(&bytes, &Expect { subject: TITLE, text: &["青年大学习"], parent: None });
    let header = m.header_raw("List-Unsubscribe").map(str::trim);
    assert_eq!(header, Some("<mailto:unsubscribe+0123abcd0123abcd@example.test>"));
    assert_eq!(m.header_raw("List-Unsubscribe-Post"), None, "one-click needs an https URL");
    // With an unsubscribe URL configured: one click (RFC 8058), the URL first.
    let s = Settings { unsubscribe_url: Some("https://tw.example.test/u".into()), ..settings() };
    let bytes = crate::compose::compose(&msg, &s).unwrap().bytes;
    let m = MessageParser::default().parse(&bytes).unwrap();
    // Long headers are folded; unfolded, the URL comes first.
    let unfolded = m.header_raw("List-Unsubscribe").map(|h| h.replace("\r\n", "").trim().to_owned());
    assert_eq!(
        unfolded.as_deref(),
        Some("<https://tw.example.test/u?token=0123abcd0123abcd>, <mailto:unsubscribe+0123abcd0123abcd@example.test>")
    );
    assert_eq!(m.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
}

#[test]
fn mail_with_attachment_reads_back() {
    let mut msg = notice(Address::direct(Platform::Email, "student1@example.test"));
    let data = b"%PDF-1.4 fake".to_vec();
    let file = Attachment { name: "团日活动总结.pdf".into(), content_type: "application/pdf".into(), data };
    msg.attachments = Arc::from(vec![file]);
    let bytes = compose(&msg);
    let m = read_back(&bytes, &Expect { subject: TITLE, text: &["青年大学习"], parent: None });
    let att = m.attachments().next().expect("one attachment");
    assert_eq!(att.attachment_name(), Some("团日活动总结.pdf"));
    assert_eq!(att.contents(), b"%PDF-1.4 fake");
}

#[test]
fn answers_to_unreadable_mail_read_back_well_formed() {
    let whys = [
        Unreadable::BrokenMime,
        Unreadable::NoText,
        Unreadable::TooLarge { name: "报告.pdf".into(), bytes: 20480, limit: 10240 },
        Unreadable::Undecodable(MailPart::Subject),
        Unreadable::Undecodable(MailPart::Body),
        Unreadable::Undecodable(MailPart::SubjectAndBody),
    ];
    for why in whys {
        let sentence = why.sentence();
        let (chinese, english) = sentence.split_once('\n').expect("two lines");
        let (from, to, bytes) =
            crate::notice::compose_unreadable(&settings(), "official@example.test", Some("m1@gov.test"), &why)
                .expect("composes");
        assert_eq!((from.as_ref(), to.as_ref()), ("bot@example.test", "official@example.test"));
        let want = Expect { subject: crate::notice::SUBJECT, text: &[chinese, english], parent: Some("m1@gov.test") };
        let m = read_back(&bytes, &want);
        assert_eq!(m.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"), "{why:?}");
    }
}
