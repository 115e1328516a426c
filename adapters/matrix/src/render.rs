//! Turns an [`Outbound`] into Matrix message parts: plain body, HTML
//! `formatted_body`, and the transaction ids that make resends idempotent.

use sha2::{Digest, Sha256};
use treecast_wire::{ButtonAction, Outbound, OutboundKind};

/// Budget per event for plain + HTML text, in bytes. Matrix events are at
/// most 65,536 bytes and encryption grows them by a third; this leaves room.
pub const PART_BUDGET: usize = 24_000;

/// The most one character can cost against [`PART_BUDGET`]: four bytes of
/// UTF-8 in the plain body and the same four in the HTML (an escaped `"`
/// costs seven).
pub const MAX_CHAR_COST: usize = 8;

/// Body characters sure to fit in one event, whatever they are. Chinese
/// costs six bytes a character (4,000 fit), ASCII two (12,000 fit).
pub const MAX_CHARS: usize = PART_BUDGET / MAX_CHAR_COST;

/// Separates the footer (the unified slogan) from the body in plain text.
const FOOTER_RULE: &str = "──────────";

/// One Matrix message of a possibly split delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub plain: String,
    pub html: String,
    /// `m.notice` rather than `m.text`.
    pub notice: bool,
}

/// Renders `msg` as one or more parts (more when the body is too long for
/// one event). The title opens the first part; footer and buttons close the
/// last.
pub fn render(msg: &Outbound, bot_user_id: &str) -> Vec<Part> {
    let notice = matches!(msg.kind, OutboundKind::Notice | OutboundKind::Reminder);
    let chunks = split_body(&msg.body, PART_BUDGET);
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let title = if i == 0 { msg.title.as_deref() } else { None };
            let tail = if i == last { Some(msg) } else { None };
            render_part(title, chunk, tail, bot_user_id, notice)
        })
        .collect()
}

fn render_part(title: Option<&str>, body: &str, tail: Option<&Outbound>, bot: &str, notice: bool) -> Part {
    let mut plain = String::new();
    let mut html = String::new();
    if let Some(t) = title {
        plain.push_str(t);
        plain.push_str("\n\n");
        html.push_str(&format!("<p><strong>{}</strong></p>\n", lines_html(t)));
    }
    plain.push_str(body);
    for para in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str(&format!("<p>{}</p>\n", lines_html(para)));
    }
    if let Some(msg) = tail {
        let buttons: Vec<(String, String)> = msg.buttons.iter().map(|b| button_lines(b, bot)).collect();
        if !buttons.is_empty() {
            plain.push('\n');
            html.push_str("<ul>\n");
            for (p, h) in &buttons {
                plain.push('\n');
                plain.push_str(p);
                html.push_str(&format!("<li>{h}</li>\n"));
            }
            html.push_str("</ul>\n");
        }
        if let Some(f) = &msg.footer {
            plain.push_str(&format!("\n\n{FOOTER_RULE}\n{f}"));
            html.push_str(&format!("<hr>\n<p><em>{}</em></p>\n", lines_html(f)));
        }
    }
    Part { plain, html: html.trim_end().to_owned(), notice }
}

/// A button as a plain line and an HTML list item.
fn button_lines(b: &treecast_wire::Button, bot: &str) -> (String, String) {
    let label = &b.label;
    match &b.action {
        ButtonAction::Callback(_) => (
            format!("▸ {label}: react ✅ or reply 收到"),
            format!("<strong>{}</strong>: react ✅ or reply 收到", escape(label)),
        ),
        ButtonAction::StartPrivate(payload) => (
            format!("▸ {label}: send `!start {payload}` to {bot} in a direct message"),
            format!(
                "<strong>{}</strong>: send <code>!start {}</code> to <a href=\"https://matrix.to/#/{}\">{}</a> in a direct message",
                escape(label),
                escape(payload),
                escape(bot),
                escape(bot)
            ),
        ),
        ButtonAction::Url(url) => (
            format!("▸ {label}: {url}"),
            format!("<a href=\"{}\">{}</a>", escape(url), escape(label)),
        ),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with single newlines as `<br>`.
fn lines_html(s: &str) -> String {
    escape(s.trim_matches('\n')).replace('\n', "<br>\n")
}

/// What one character costs in an event: its plain bytes plus its HTML.
fn cost(c: char) -> usize {
    let html = match c {
        '&' => 5,
        '<' | '>' => 4,
        '"' | '\'' => 6,
        '\n' => 5,
        _ => c.len_utf8(),
    };
    c.len_utf8() + html
}

/// Splits `body` into pieces costing at most `budget` each, preferring to
/// cut after a line break, then after a sentence end, then after a space.
/// Concatenating the pieces gives `body` back.
pub fn split_body(body: &str, budget: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = body;
    while rest.chars().map(cost).sum::<usize>() > budget {
        let mut spent = 0;
        let mut hard = 0;
        let (mut line, mut sentence, mut space) = (None, None, None);
        for (i, c) in rest.char_indices() {
            spent += cost(c);
            if spent > budget {
                break;
            }
            let end = i + c.len_utf8();
            hard = end;
            match c {
                '\n' => line = Some(end),
                '。' | '！' | '？' | '；' | '.' | '!' | '?' => sentence = Some(end),
                ' ' | '\t' | '，' => space = Some(end),
                _ => {}
            }
        }
        let cut = line.or(sentence).or(space).unwrap_or(hard).max(1);
        let (head, tail) = rest.split_at(cut);
        parts.push(head);
        rest = tail;
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

/// The Matrix transaction id of part `part` of delivery `delivery_id`:
/// stable across retries and restarts, opaque, and URL-safe.
pub fn txn_id(delivery_id: &str, part: usize) -> String {
    let digest = Sha256::digest(delivery_id.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("tc{hex}.{part}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;
    use treecast_wire::{Address, Button, Platform};

    fn notice() -> Outbound {
        Outbound {
            id: "d-1".into(),
            kind: OutboundKind::Notice,
            to: Address::group(Platform::Matrix, "!r:localhost"),
            title: Some("关于<团日>活动的通知".into()),
            body: "请各团支部 & 团员按时参加。\n地点：\"礼堂\"\n\n第二段".into(),
            footer: Some("精彩微博团，青春心连心".into()),
            buttons: vec![
                Button { label: "收到".into(), action: ButtonAction::Callback("ack:1".into()) },
                Button { label: "填写问卷".into(), action: ButtonAction::StartPrivate("survey-9".into()) },
                Button { label: "详情".into(), action: ButtonAction::Url("https://a.example/?x=1&y=<2>".into()) },
            ],
            attachments: Arc::from(Vec::new()),
            in_reply_to: None,
            via: String::new(),
            unsubscribe: None,
            list_name: None,
        }
    }

    #[test]
    fn notice_renders_title_body_buttons_and_footer() {
        let parts = render(&notice(), "@bot:localhost");
        assert_eq!(parts.len(), 1);
        let p = &parts[0];
        assert!(p.notice);
        assert!(p.plain.starts_with("关于<团日>活动的通知\n\n请各团支部 & 团员按时参加。"));
        assert!(p.plain.ends_with("──────────\n精彩微博团，青春心连心"));
        assert!(p.plain.contains("▸ 收到: react ✅ or reply 收到"));
        assert!(p.plain.contains("send `!start survey-9` to @bot:localhost in a direct message"));
        assert!(p.html.starts_with("<p><strong>关于&lt;团日&gt;活动的通知</strong></p>"));
        assert!(p.html.contains("<p>请各团支部 &amp; 团员按时参加。<br>\n地点：&quot;礼堂&quot;</p>"));
        assert!(p.html.contains("<p>第二段</p>"));
        assert!(p.html.contains("<code>!start survey-9</code>"));
        assert!(p.html.contains("<a href=\"https://a.example/?x=1&amp;y=&lt;2&gt;\">详情</a>"));
        assert!(p.html.ends_with("<hr>\n<p><em>精彩微博团，青春心连心</em></p>"));
        assert!(!p.html.contains("ack:1"), "callback data is not shown");
    }

    #[test]
    fn replies_are_text_not_notices() {
        let msg = Outbound::reply("r", Address::direct(Platform::Matrix, "@s:localhost"), "<b>hi</b>");
        let p = &render(&msg, "@bot:localhost")[0];
        assert!(!p.notice);
        assert_eq!(p.plain, "<b>hi</b>");
        assert_eq!(p.html, "<p>&lt;b&gt;hi&lt;/b&gt;</p>");
    }

    #[test]
    fn escape_covers_the_five_specials() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn long_body_splits_on_sentences_and_keeps_every_byte() {
        let body = format!("开头\n{}\n结尾", "青年志愿服务活动安排。".repeat(900));
        let parts = split_body(&body, PART_BUDGET);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), body);
        for p in &parts {
            assert!(p.chars().map(cost).sum::<usize>() <= PART_BUDGET);
            assert!(
                p.ends_with('。') || p.ends_with('\n') || p.ends_with("结尾"),
                "cut mid-sentence: {}",
                &p[p.len() - 9..]
            );
        }
        let mut msg = notice();
        msg.body = body.into();
        let rendered = render(&msg, "@bot:localhost");
        assert!(rendered[0].plain.starts_with("关于"));
        assert!(!rendered[1].plain.contains("关于<团日>"));
        assert!(rendered.last().unwrap().plain.ends_with("精彩微博团，青春心连心"));
    }

    #[test]
    fn max_chars_is_the_worst_case_of_the_budget() {
        let worst = (0..=0x10FFFF).filter_map(char::from_u32).map(cost).max();
        assert_eq!(worst, Some(MAX_CHAR_COST));
        let mut msg = notice();
        msg.buttons.clear();
        msg.body = "🎉".repeat(MAX_CHARS).into();
        assert_eq!(render(&msg, "@bot:localhost").len(), 1, "MAX_CHARS of the costliest characters fit");
        msg.body = "🎉".repeat(MAX_CHARS + 1).into();
        assert_eq!(render(&msg, "@bot:localhost").len(), 2, "one more is split");
        msg.body = "青".repeat(PART_BUDGET / 6).into();
        assert_eq!(render(&msg, "@bot:localhost").len(), 1, "Chinese fits more");
    }

    #[test]
    fn split_without_any_break_still_makes_progress() {
        let body = "x".repeat(50);
        let parts = split_body(&body, 10);
        assert_eq!(parts.len(), 10);
        assert_eq!(parts.concat(), body);
        assert_eq!(split_body("", 10), vec![""]);
    }

    /// Long text of Chinese, ASCII words, emoji, HTML specials (the costliest
    /// characters), sentence ends, spaces, line and paragraph breaks.
    fn long_text() -> impl Strategy<Value = String> {
        let breaks = [" ", "\t", "\n", "\n\n", "。", "！", ". ", "，", "…"];
        let piece = prop_oneof![
            3 => "[\u{4e00}-\u{9fa5}]{1,12}",
            2 => "[A-Za-z0-9]{1,10}",
            1 => "[🎉😀👍𠮷]{1,4}",
            1 => "[<>&\"']{1,3}",
            3 => prop::sample::select(breaks.to_vec()).prop_map(str::to_owned),
        ];
        prop::collection::vec(piece, 0..400).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// For any body and any budget that holds the costliest character,
        /// the pieces join back to the body exactly (no character dropped,
        /// not even at a seam), none is empty, and each costs at most the
        /// budget. Small budgets make many pieces; the real one is checked too.
        #[test]
        fn split_body_keeps_every_character_within_the_budget(
            body in long_text(),
            budget in prop_oneof![3 => MAX_CHAR_COST..200, 1 => Just(PART_BUDGET)],
        ) {
            let parts = split_body(&body, budget);
            prop_assert_eq!(parts.concat(), body.as_str());
            if !body.is_empty() {
                prop_assert!(parts.iter().all(|p| !p.is_empty()), "an empty piece: {:?}", parts);
            }
            for p in &parts {
                let spent: usize = p.chars().map(cost).sum();
                prop_assert!(spent <= budget, "{:?} costs {} over {}", p, spent, budget);
            }
        }
    }

    #[test]
    fn txn_ids_are_stable_distinct_and_url_safe() {
        assert_eq!(txn_id("delivery-42", 0), txn_id("delivery-42", 0));
        assert_ne!(txn_id("delivery-42", 0), txn_id("delivery-42", 1));
        assert_ne!(txn_id("delivery-42", 0), txn_id("delivery-43", 0));
        let t = txn_id("通知/7 with spaces?", 3);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'), "{t}");
        assert_eq!(t.len(), 2 + 32 + 2);
    }
}
