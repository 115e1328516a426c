use std::sync::Arc;

use proptest::prelude::*;
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

/// Long text of Chinese, ASCII words, emoji and rare hanzi (two UTF-16 units
/// each), HTML specials, sentence ends, spaces, line and paragraph breaks.
fn long_text() -> impl Strategy<Value = String> {
    let breaks = [" ", "  ", "\t", "\n", "\n\n", "\n \n\n", "。", "！", ". ", "? ", "，", "…"];
    let piece = prop_oneof![
        3 => "[\u{4e00}-\u{9fa5}]{1,12}",
        2 => "[A-Za-z0-9]{1,10}",
        1 => "[🎉😀👍𠮷]{1,4}",
        1 => "[<>&\"']{1,3}",
        3 => prop::sample::select(breaks.to_vec()).prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..400).prop_map(|v| v.concat())
}

/// Small limits make many parts; the real one is checked too. Any limit of
/// at least two units holds every character.
fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 2usize..120, 1 => Just(MAX_UTF16)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `split_points` cuts any text into parts, in order, that each fit the
    /// limit in UTF-16 units, are not empty and neither start nor end with
    /// whitespace; all that lies outside them (before, between, after) is
    /// whitespace. So nothing but whitespace at the seams and the text's
    /// ends is dropped: joined with the whitespace between them, the parts
    /// are the text trimmed.
    #[test]
    fn split_parts_fit_and_drop_only_whitespace_at_the_seams(text in long_text(), limit in limit()) {
        let parts = split_points(&text, limit);
        let mut joined = String::new();
        let mut at = skip_space(&text, 0);
        for &(start, end) in &parts {
            let (gap, part) = (&text[at..start], &text[start..end]);
            prop_assert!(gap.trim().is_empty(), "dropped {:?}", gap);
            prop_assert!(!part.is_empty() && part.trim() == part, "part {:?}", part);
            prop_assert!(utf16_len(part) <= limit, "{} units over {}", utf16_len(part), limit);
            joined.push_str(gap);
            joined.push_str(part);
            at = end;
        }
        prop_assert!(text[at..].trim().is_empty(), "dropped {:?}", &text[at..]);
        prop_assert_eq!(joined.as_str(), text.trim());
    }

    /// A rendered notice shows exactly the split parts of its plain text
    /// (title, body, footer), escaping and styling each piece whole.
    #[test]
    fn rendered_parts_show_the_split_text(
        title in proptest::option::of("[^\\s]{1,40}"),
        body in long_text(),
        footer in proptest::option::of("[^\\s]{1,20}"),
        limit in limit(),
    ) {
        let m = notice(title.as_deref(), &body, footer.as_deref());
        let plain: String = runs(&m).into_iter().map(|(_, t)| t).collect();
        let want: Vec<&str> = split_points(&plain, limit).into_iter().map(|(a, b)| &plain[a..b]).collect();
        let html: Vec<String> = render_with_limit(&m, ParseMode::Html, limit).iter().map(|p| shown(p)).collect();
        prop_assert_eq!(&html, &want);
        prop_assert_eq!(render_with_limit(&m, ParseMode::Plain, limit), want);
    }
}
