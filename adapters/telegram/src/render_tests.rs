use std::sync::Arc;

use treecast_wire::{Address, Button, ButtonAction, Outbound, Platform};

use super::*;

fn notice(title: Option<&str>, body: &str, footer: Option<&str>) -> Outbound {
    let mut m = Outbound::reply("d1", Address::group(Platform::Telegram, "-100"), body);
    m.title = title.map(Arc::from);
    m.footer = footer.map(Arc::from);
    m
}

/// What Telegram would show for a part rendered by us (HTML removed).
fn shown(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[test]
fn escapes_the_three_html_specials_only() {
    assert_eq!(escape_html("a<b>&c *_[`]\"'"), "a&lt;b&gt;&amp;c *_[`]\"'");
}

#[test]
fn title_bold_body_escaped_footer_apart() {
    let m = notice(Some("关于<团日>"), "x < y & *bold*_[link]", Some("精彩微博团，青春心连心"));
    let parts = render(&m, ParseMode::Html);
    assert_eq!(parts, vec!["<b>关于&lt;团日&gt;</b>\n\nx &lt; y &amp; *bold*_[link]\n\n<i>精彩微博团，青春心连心</i>"]);
    assert_eq!(shown(&parts[0]), "关于<团日>\n\nx < y & *bold*_[link]\n\n精彩微博团，青春心连心");
}

#[test]
fn plain_mode_is_verbatim() {
    let m = notice(Some("T"), "a <b> & c", Some("F"));
    assert_eq!(render(&m, ParseMode::Plain), vec!["T\n\na <b> & c\n\nF"]);
}

#[test]
fn utf16_counts_astral_chars_twice() {
    assert_eq!(utf16_len("团"), 1);
    assert_eq!(utf16_len("🎉"), 2);
    assert_eq!(utf16_len("a团🎉"), 4);
}

#[test]
fn short_message_is_one_part() {
    assert_eq!(render(&notice(None, "你好", None), ParseMode::Html), vec!["你好"]);
}

#[test]
fn splits_on_paragraphs_first() {
    let para = "青".repeat(30);
    let body = format!("{para}\n\n{para}\n\n{para}");
    let parts = render_with_limit(&notice(None, &body, None), ParseMode::Html, 70);
    assert_eq!(parts, vec![format!("{para}\n\n{para}"), para.clone()]);
}

#[test]
fn splits_on_lines_then_sentences() {
    let line = "青".repeat(30);
    let parts = render_with_limit(&notice(None, &format!("{line}\n{line}\n{line}"), None), ParseMode::Html, 70);
    assert_eq!(parts, vec![format!("{line}\n{line}"), line.clone()]);

    let body = "青年志愿服务活动安排。".repeat(20); // 11 chars a sentence
    let parts = render_with_limit(&notice(None, &body, None), ParseMode::Html, 50);
    assert!(parts.iter().all(|p| p.ends_with('。')), "{parts:?}");
    assert!(parts.iter().all(|p| utf16_len(p) <= 50));
    assert_eq!(parts.concat(), body);
}

#[test]
fn never_cuts_an_escape_and_counts_parsed_length() {
    // 60 '<' are 60 units once parsed but 240 bytes escaped.
    let body = "<".repeat(60);
    let parts = render_with_limit(&notice(None, &body, None), ParseMode::Html, 25);
    assert!(parts.iter().all(|p| p.split("&lt;").all(str::is_empty)), "{parts:?}");
    assert_eq!(parts.iter().map(|p| shown(p)).collect::<String>(), body);
    assert!(parts.iter().all(|p| utf16_len(&shown(p)) <= 25));
}

#[test]
fn never_cuts_a_surrogate_pair() {
    let body = "🎉".repeat(10); // 20 units
    let parts = render_with_limit(&notice(None, &body, None), ParseMode::Plain, 5);
    assert!(parts.iter().all(|p| utf16_len(p) <= 5 && p.chars().all(|c| c == '🎉')));
    assert_eq!(parts.concat(), body);
}

#[test]
fn long_chinese_notice_keeps_title_and_footer_styled() {
    let body = format!("开头\n{}\n结尾", "青年志愿服务活动安排。".repeat(900));
    let parts = render(&notice(Some("关于开展团日活动的通知"), &body, Some("精彩微博团，青春心连心")), ParseMode::Html);
    assert_eq!(parts.len(), 3);
    assert!(parts[0].starts_with("<b>关于开展团日活动的通知</b>\n\n开头"));
    assert!(parts[2].ends_with("结尾\n\n<i>精彩微博团，青春心连心</i>"));
    assert!(parts.iter().all(|p| utf16_len(&shown(p)) <= MAX_UTF16));
    let all: String = parts.iter().map(|p| shown(p)).collect();
    assert_eq!(all.matches("青年志愿服务活动安排。").count(), 900);
}

#[test]
fn a_style_spanning_a_cut_is_closed_and_reopened() {
    let title = "通".repeat(40);
    let parts = render_with_limit(&notice(Some(&title), "正文", None), ParseMode::Html, 30);
    assert_eq!(parts[0], format!("<b>{}</b>", "通".repeat(30)));
    assert!(parts[1].starts_with(&format!("<b>{}</b>", "通".repeat(10))));
}

#[test]
fn deep_links() {
    assert_eq!(deep_link("treecast_bot", "ack-42_x").unwrap(), "https://t.me/treecast_bot?start=ack-42_x");
    assert!(deep_link("b", "").is_err());
    assert!(deep_link("b", "有中文").is_err());
    assert!(deep_link("b", &"a".repeat(65)).is_err());
}

#[test]
fn keyboard_maps_each_action() {
    let buttons = vec![
        Button { label: "确认收到".into(), action: ButtonAction::Callback("ack:7".into()) },
        Button { label: "详情".into(), action: ButtonAction::Url("https://example.org/n/7".into()) },
        Button { label: "私聊填写".into(), action: ButtonAction::StartPrivate("survey-7".into()) },
    ];
    let kb = keyboard(&buttons, "treecast_bot").unwrap();
    assert_eq!(kb[0], KeyboardButton::Callback { label: "确认收到".into(), data: "ack:7".into() });
    assert!(matches!(&kb[1], KeyboardButton::Url { url, .. } if url.as_str() == "https://example.org/n/7"));
    assert!(
        matches!(&kb[2], KeyboardButton::Url { url, .. } if url.as_str() == "https://t.me/treecast_bot?start=survey-7")
    );
    let too_long = vec![Button { label: "x".into(), action: ButtonAction::Callback("x".repeat(65)) }];
    assert!(keyboard(&too_long, "b").is_err());
}
