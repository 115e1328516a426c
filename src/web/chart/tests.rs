use std::time::Instant;

use super::*;

const HOSTILE: &str = "<script>alert(1)</script> & \"团委\" 'x'";

fn series() -> Vec<Series> {
    vec![
        Series { name: "已送达 delivered".into(), colour: PALETTE[0] },
        Series { name: "已确认 acknowledged".into(), colour: PALETTE[1] },
        Series { name: "失败 failed".into(), colour: PALETTE[2] },
    ]
}

fn row(label: &str, total: u64, values: &[u64]) -> Row {
    Row { label: label.into(), total, values: values.to_vec() }
}

/// 40 provinces-or-schools worth of rows, the size the console shows.
fn forty_rows() -> Vec<Row> {
    (0..40u64)
        .map(|i| {
            let total = 1_000 + i * 6_789;
            row(&format!("计算机学院2023级{}班团支部", i + 1), total, &[total * (i + 1) / 40, total * i / 80, i])
        })
        .collect()
}

fn days() -> Vec<(String, u64)> {
    (0..30u64).map(|i| (format!("{:02}-{:02}", 11 + (i + 1) / 31, (i % 30) + 1), (i * 37) % 23 * 100 + i)).collect()
}

/// Parses `svg` and checks what every chart must have: the SVG namespace,
/// a viewBox, role="img" with an aria-label, and a `<title>` first.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let view_box: Vec<f64> = root.attribute("viewBox").unwrap().split(' ').map(|n| n.parse().unwrap()).collect();
    assert_eq!(view_box[..3], [0.0, 0.0, 480.0]);
    assert!(view_box[3] > 50.0);
    assert_eq!(root.attribute("role"), Some("img"));
    assert!(!root.attribute("aria-label").unwrap().is_empty());
    assert!(root.attribute("font-family").unwrap().contains("Noto Sans CJK SC"));
    let title = root.first_element_child().unwrap();
    assert_eq!(title.tag_name().name(), "title");
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    doc
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").to_string()).collect()
}

/// The `width` of every row's `<rect>` with this fill (tracks and bars, not
/// the legend), in document order.
fn widths(doc: &roxmltree::Document, fill: &str) -> Vec<f64> {
    let in_row = |n: &roxmltree::Node| {
        n.parent_element().and_then(|g| g.first_element_child()).is_some_and(|t| t.has_tag_name("title"))
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill) && in_row(n))
        .map(|n| n.attribute("width").unwrap().parse().unwrap())
        .collect()
}

#[test]
fn progress_bars_are_proportional_to_the_track() {
    let svg = progress_bars(
        "团中央通知送达情况",
        &series(),
        &[row("湖南省", 200, &[100, 50, 0]), row("湖北省", 3, &[3, 1, 2]), row("北京市", 0, &[0, 0, 0])],
    );
    let doc = parse(&svg);
    let tracks = widths(&doc, TRACK);
    assert_eq!(tracks.len(), 3);
    assert_eq!(tracks[0], 456.0);
    // Half delivered: half the track; a quarter acknowledged; nothing failed: no bar.
    assert_eq!(widths(&doc, PALETTE[0])[0], 228.0);
    assert_eq!(widths(&doc, PALETTE[1])[0], 114.0);
    assert_eq!(widths(&doc, PALETTE[0])[1], 456.0);
    assert_eq!(widths(&doc, PALETTE[2]), [304.0]); // 2/3 of the track; none for 0 or 0/0
    let texts = texts(&doc);
    assert!(texts.contains(&"100/200 (50%)".to_string()), "{texts:?}");
    assert!(texts.contains(&"3/3 (100%)".to_string()), "{texts:?}");
    assert!(texts.contains(&"0/0 (—)".to_string()), "{texts:?}");
    assert!(texts.contains(&"已送达 delivered".to_string()));
    println!("{svg}");
}

#[test]
fn values_over_the_total_are_drawn_to_the_track_end_only() {
    let doc_text = progress_bars("t", &series()[..1], &[row("a", 10, &[15])]);
    let doc = parse(&doc_text);
    assert_eq!(widths(&doc, PALETTE[0]), [456.0]);
    assert!(texts(&doc).contains(&"15/10 (150%)".to_string()));
}

#[test]
fn missing_values_count_as_zero() {
    let svg = progress_bars("t", &series(), &[row("a", 10, &[5])]);
    let doc = parse(&svg);
    assert_eq!(widths(&doc, PALETTE[0]), [228.0]);
    assert!(widths(&doc, PALETTE[1]).is_empty());
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let svgs = [
        progress_bars(HOSTILE, &[Series { name: HOSTILE.into(), colour: PALETTE[0] }], &[row(HOSTILE, 2, &[1])]),
        choice_bars(HOSTILE, &[(HOSTILE.into(), 3), ("否 & no".into(), 1)]),
        daily_columns(HOSTILE, &[(HOSTILE.into(), 1), ("11-28".into(), 2)]),
        progress_bars(HOSTILE, &[], &[]),
    ];
    for svg in &svgs {
        assert!(!svg.contains("<script"), "{svg}");
        let doc = parse(svg);
        assert!(doc.descendants().all(|n| !n.has_tag_name("script")));
        assert!(doc.root_element().attribute("aria-label").unwrap().starts_with(HOSTILE));
        // The text reads as typed (truncated perhaps, but never cut inside an entity).
        assert!(texts(&doc).iter().any(|t| t.starts_with("<script>alert(1)</script>")), "{svg}");
    }
    assert!(svgs[1].contains("否 &amp; no"));
}

#[test]
fn control_characters_are_dropped_and_line_breaks_become_spaces() {
    let svg = progress_bars("a\u{0}b\u{1b}c\nd", &[], &[row("x\u{8}y", 1, &[])]);
    let doc = parse(&svg);
    assert_eq!(doc.root_element().attribute("aria-label"), Some("abc d"));
    assert!(texts(&doc).contains(&"xy".to_string()));
}

#[test]
fn empty_charts_say_no_data() {
    for svg in [
        progress_bars("通知送达", &series(), &[]),
        progress_bars("", &[], &[]),
        choice_bars("你参加了吗？", &[]),
        daily_columns("每日消息 messages per day", &[]),
    ] {
        let doc = parse(&svg);
        assert!(texts(&doc).contains(&NO_DATA.to_string()), "{svg}");
    }
}

#[test]
fn zero_totals_draw_empty_tracks() {
    let svg = choice_bars("是否参加？", &[("是 yes".into(), 0), ("否 no".into(), 0)]);
    let doc = parse(&svg);
    assert_eq!(widths(&doc, TRACK), [456.0, 456.0]);
    assert!(widths(&doc, PALETTE[0]).is_empty());
    assert!(texts(&doc).contains(&"0 (—)".to_string()));

    let svg = daily_columns("每日消息", &[("11-27".into(), 0), ("11-28".into(), 0)]);
    let doc = parse(&svg);
    let heights: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.parent().unwrap().attribute("fill") == Some(PALETTE[0]))
        .map(|n| n.attribute("height").unwrap().parse().unwrap())
        .collect();
    assert_eq!(heights, [0.0, 0.0]);
}

#[test]
fn choice_bars_show_count_and_share() {
    let svg = choice_bars(
        "你对本学期团日活动的组织形式是否满意？请选择最符合你想法的一项，我们会认真听取每一位团员的意见和建议，并在下学期的活动安排中加以改进",
        &[("非常满意".into(), 275_600), ("满意".into(), 137_800), ("不满意".into(), 0)],
    );
    let doc = parse(&svg);
    let bars = widths(&doc, PALETTE[0]);
    assert!((bars[0] - 456.0 * 2.0 / 3.0).abs() < 0.06 && (bars[1] - 456.0 / 3.0).abs() < 0.06, "{bars:?}");
    let texts = texts(&doc);
    assert!(texts.contains(&"275,600 (66.7%)".to_string()), "{texts:?}");
    assert!(texts.contains(&"137,800 (33.3%)".to_string()), "{texts:?}");
    assert!(texts.contains(&"0 (0%)".to_string()), "{texts:?}");
    // The long question wraps onto two lines, the second cut with an ellipsis.
    assert!(texts[1].ends_with('…'), "{texts:?}");
}

#[test]
fn daily_columns_scale_to_a_round_axis() {
    let days = [("11-26".to_string(), 0), ("11-27".to_string(), 37), ("11-28".to_string(), 74)];
    let svg = daily_columns("每日消息 messages per day", &days);
    let doc = parse(&svg);
    let columns: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.parent().unwrap().attribute("fill") == Some(PALETTE[0]))
        .map(|n| n.attribute("height").unwrap().parse().unwrap())
        .collect();
    // Axis to 80 in steps of 20: 74 is 74/80 of the 160 px plot.
    assert_eq!(columns, [0.0, 74.0, 148.0]);
    let texts = texts(&doc);
    for tick in ["0", "20", "40", "60", "80", "合计 total 111", "11-26", "11-28"] {
        assert!(texts.contains(&tick.to_string()), "{tick} in {texts:?}");
    }
    assert!(svg.contains("<title>11-28: 74</title>"));
}

#[test]
fn thirty_days_label_only_what_fits_and_always_the_last() {
    let days = days();
    let doc_text = daily_columns("近 30 天 last 30 days", &days);
    let doc = parse(&doc_text);
    let texts = texts(&doc);
    let labelled: Vec<&(String, u64)> = days.iter().filter(|(d, _)| texts.contains(d)).collect();
    assert!(labelled.len() >= 5 && labelled.len() <= 15, "{labelled:?}");
    assert_eq!(labelled.last().unwrap().0, days[29].0);
}

#[test]
fn axis_steps_are_round() {
    assert_eq!(axis(0), (1, 1));
    assert_eq!(axis(3), (1, 3));
    assert_eq!(axis(74), (20, 80));
    assert_eq!(axis(100), (20, 100));
    assert_eq!(axis(2_229), (500, 2_500));
    assert_eq!(axis(275_600), (100_000, 300_000));
    assert_eq!(axis(u64::MAX), (5_000_000_000_000_000_000, u64::MAX));
    let _ = daily_columns("max", &[("a".into(), u64::MAX), ("b".into(), 1)]);
}

#[test]
fn long_labels_are_cut_by_estimated_width() {
    let ascii = "Computer Science Class of 2023 No. 1 Youth League Branch, School of Computing";
    let cjk = "湖南大学信息科学与工程学院计算机科学与技术专业二〇二三级一班团支部委员会";
    let doc_text =
        progress_bars("t", &series()[..1], &[row(ascii, 10, &[5]), row(cjk, 10, &[5]), row("湖南省", 1, &[1])]);
    let doc = parse(&doc_text);
    let texts = texts(&doc);
    let (a, c) = (&texts[2], &texts[4]);
    assert!(a.ends_with('…') && c.ends_with('…'), "{texts:?}");
    // A Chinese character is about twice as wide as a Latin letter.
    let (na, nc) = (a.chars().count(), c.chars().count());
    assert!(na > nc * 3 / 2 && na < nc * 5 / 2, "{na} {nc}");
    assert!(text_width(a, LABEL_PX) + text_width("5/10 (50%)", SMALL_PX) <= 456.0);
    assert_eq!(texts[6], "湖南省");
}

#[test]
fn numbers_read_as_in_zh_cn() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(2_756), "2,756");
    assert_eq!(thousands(275_600), "275,600");
    assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    assert_eq!(percent(1, 2), "50%");
    assert_eq!(percent(1, 3), "33.3%");
    assert_eq!(percent(275_599, 275_600), "99.9%");
    assert_eq!(percent(1, 275_600), "<0.1%");
    assert_eq!(percent(0, 5), "0%");
    assert_eq!(percent(3, 0), "—");
    assert_eq!(percent(u64::MAX, u64::MAX), "100%");
}

#[test]
fn same_input_same_bytes() {
    let rows = forty_rows();
    assert_eq!(progress_bars("t", &series(), &rows), progress_bars("t", &series(), &rows));
    assert_eq!(daily_columns("t", &days()), daily_columns("t", &days()));
    let options = [("是".to_string(), 3), ("否".to_string(), 4)];
    assert_eq!(choice_bars("q", &options), choice_bars("q", &options));
}

#[test]
fn forty_rows_stay_small() {
    let rows = forty_rows();
    let start = Instant::now();
    let svg = progress_bars("团中央通知送达情况 · 各学校", &series(), &rows);
    println!("40 rows, 3 series: {} bytes in {:?}", svg.len(), start.elapsed());
    parse(&svg);
    assert!(svg.len() < 30_000, "{} bytes", svg.len());
}

/// With CHART_SAMPLES=DIR, writes one chart of each kind there to look at
/// (e.g. `rsvg-convert -o x.png x.svg`).
#[test]
fn samples() {
    let Some(dir) = std::env::var_os("CHART_SAMPLES") else { return };
    let dir = std::path::Path::new(&dir);
    let provinces = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "湖南省", "新疆维吾尔自治区"];
    let rows: Vec<Row> = provinces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let total = 2_756 * (i as u64 + 3) * 11;
            row(p, total, &[total * (9 - i as u64) / 10, total * (8 - i as u64) / 13, total * i as u64 / 60])
        })
        .chain([row(HOSTILE, 10, &[5, 3, 1]), row("计算机学院2023级1班团支部", 0, &[0, 0, 0])])
        .collect();
    let charts = [
        ("progress", progress_bars("团中央通知送达情况 Notice delivery by province", &series(), &rows)),
        ("progress40", progress_bars("团中央通知送达情况 · 各学校", &series(), &forty_rows())),
        (
            "choice",
            choice_bars(
                "你对本学期团日活动的组织形式是否满意？请选择最符合你想法的一项，我们会认真听取每一位团员的意见",
                &[
                    ("非常满意 very satisfied".into(), 137_812),
                    ("满意".into(), 92_400),
                    ("一般".into(), 31_005),
                    ("不满意".into(), 4_311),
                    ("没有参加过 did not take part".into(), 0),
                ],
            ),
        ),
        ("daily", daily_columns("近 30 天消息 messages, last 30 days", &days())),
        ("empty", choice_bars("是否参加？", &[])),
    ];
    for (name, svg) in charts {
        std::fs::write(dir.join(format!("{name}.svg")), svg).unwrap();
    }
}
