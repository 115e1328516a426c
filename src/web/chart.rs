//! Charts for the officials' web console, rendered on the server as one
//! standalone SVG string: inline in a page, or as an email image.
//!
//! Hand-written: charts-rs measures text with its bundled Roboto only (湖南省 came out
//! 20 px wide at 14 px), so our Chinese labels ran over its axis and bars; plotters'
//! SVG backend sizes text by UTF-8 bytes (1.7x too wide for Chinese) and cannot write
//! `<title>`, `role` or `aria-label`, leaving it only our `<rect>`s and `<text>`s to write.
//!
//! Text is laid out by an estimate (a CJK character is 1 em, other characters
//! 0.6 em), so no font is needed here; the viewer picks one from [`FONTS`].
//! Every piece of caller text is XML-escaped. Output is deterministic.

use std::fmt::Write;

use unicode_width::UnicodeWidthChar;

#[cfg(test)]
mod tests;

/// One measure drawn per row of [`progress_bars`], e.g. delivered.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text, bilingual: `"已送达 delivered"`.
    pub name: String,
    /// A CSS colour, one of [`PALETTE`] unless there is a reason.
    pub colour: &'static str,
}

/// One org (or level) in [`progress_bars`].
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    /// What 100% is: the grey track.
    pub total: u64,
    /// One per series, in the same order; missing ones count as 0.
    pub values: Vec<u64>,
}

/// Okabe–Ito colours: told apart with colour-blindness, on a phone and in
/// grey print: blue, bluish green, vermilion, orange, sky blue, purple.
pub const PALETTE: [&str; 6] = ["#0072b2", "#009e73", "#d55e00", "#e69f00", "#56b4e9", "#cc79a7"];

/// The font stack: CJK fonts of Linux, Apple and Windows first.
pub const FONTS: &str = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif";

/// The viewBox width; pages and emails scale it (`max-width: 100%`). Narrow,
/// so text is still readable on a phone: each label gets a line of its own.
const WIDTH: f64 = 480.0;
const PAD: f64 = 12.0;
const TITLE_PX: f64 = 16.0;
const LABEL_PX: f64 = 14.0;
const SMALL_PX: f64 = 12.0;
const INK: &str = "#1f2937";
const MUTED: &str = "#4b5563";
const TRACK: &str = "#e5e7eb";
const NO_DATA: &str = "暂无数据 no data";

/// One row per org: the label, "value/total (pct%)" of the first series on
/// the right, and below a grey track for `total` with one bar per series,
/// proportional to value/total. Every series' numbers are in the row's
/// tooltip. Meant for up to about 40 rows.
pub fn progress_bars(title: &str, series: &[Series], rows: &[Row]) -> String {
    let mut svg = Doc::new(title);
    if !series.is_empty() {
        svg.legend(series.iter().map(|s| (s.colour, s.name.as_str())));
    }
    if rows.is_empty() {
        return svg.no_data();
    }
    for row in rows {
        let value = |i: usize| row.values.get(i).copied().unwrap_or(0);
        let numbers = match series.is_empty() {
            true => thousands(row.total),
            false => format!("{}/{} ({})", thousands(value(0)), thousands(row.total), percent(value(0), row.total)),
        };
        let mut tooltip = clean(&row.label);
        for (i, s) in series.iter().enumerate() {
            let v = value(i);
            let _ = write!(
                tooltip,
                "\n{}: {}/{} ({})",
                clean(&s.name),
                thousands(v),
                thousands(row.total),
                percent(v, row.total)
            );
        }
        let bars: Vec<(&str, u64)> = series.iter().enumerate().map(|(i, s)| (s.colour, value(i))).collect();
        svg.bar_row(&row.label, &numbers, &tooltip, row.total, &bars);
    }
    svg.finish()
}

/// A survey question's results: one row per option with its count and its
/// share of all answers counted, drawn against a grey track for 100%.
pub fn choice_bars(question: &str, options: &[(String, u64)]) -> String {
    let mut svg = Doc::new(question);
    if options.is_empty() {
        return svg.no_data();
    }
    let total: u64 = options.iter().map(|(_, n)| n).fold(0, |a, n| a.saturating_add(*n));
    for (label, count) in options {
        let numbers = format!("{} ({})", thousands(*count), percent(*count, total));
        let tooltip = format!("{}\n{}", clean(label), numbers);
        svg.bar_row(label, &numbers, &tooltip, total, &[(PALETTE[0], *count)]);
    }
    svg.finish()
}

/// Daily activity as columns (one per entry of `days`, e.g. the last 30,
/// labelled "11-28"), with the sum under the title and a y axis with round
/// steps. Each column's exact count is in its tooltip.
pub fn daily_columns(title: &str, days: &[(String, u64)]) -> String {
    let mut svg = Doc::new(title);
    if days.is_empty() {
        return svg.no_data();
    }
    let sum = days.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n));
    svg.y += SMALL_PX;
    svg.text(PAD, svg.y, &format!("合计 total {}", thousands(sum)), &format!(r#" font-size="12" fill="{MUTED}""#));
    svg.y += 12.0;

    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let (step, top) = axis(max);
    let tick_width = text_width(&thousands(top), 11.0);
    let left = PAD + tick_width + 6.0;
    let right = WIDTH - PAD;
    let plot_top = svg.y + 6.0;
    let plot_h = 160.0;
    let bottom = plot_top + plot_h;
    let y_of = |v: u64| bottom - plot_h * ratio(v, top);

    let _ = write!(svg.body, r#"<g font-size="11" fill="{MUTED}" text-anchor="end">"#);
    let mut tick = 0;
    loop {
        let y = y_of(tick);
        let _ = write!(svg.body, r#"<path d="M{} {}H{}" stroke="{TRACK}"/>"#, num(left), num(y), num(right));
        svg.text(left - 6.0, y + 4.0, &thousands(tick), "");
        if tick >= top {
            break;
        }
        tick = tick.saturating_add(step).min(top);
    }
    svg.body.push_str("</g>");

    let slot = (right - left) / days.len() as f64;
    let _ = write!(svg.body, r#"<g fill="{}">"#, PALETTE[0]);
    for (i, (day, n)) in days.iter().enumerate() {
        let y = y_of(*n);
        let _ = write!(
            svg.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>"#,
            num(left + slot * (i as f64 + 0.15)),
            num(y),
            num(slot * 0.7),
            num(bottom - y),
            escape(day),
            thousands(*n),
        );
    }
    svg.body.push_str("</g>");

    // Day labels: as many as fit, the last (today) always one of them.
    let label_w = days.iter().map(|(d, _)| text_width(d, 11.0)).fold(0.0, f64::max) + 6.0;
    let every = ((label_w / slot).ceil() as usize).max(1);
    let _ = write!(svg.body, r#"<g font-size="11" fill="{MUTED}" text-anchor="middle">"#);
    for (i, (day, _)) in days.iter().enumerate() {
        if (days.len() - 1 - i).is_multiple_of(every) {
            let x = left + slot * (i as f64 + 0.5);
            svg.text(x.min(WIDTH - 4.0 - text_width(day, 11.0) / 2.0), bottom + 15.0, day, "");
        }
    }
    svg.body.push_str("</g>");
    svg.y = bottom + 15.0;
    svg.finish()
}

/// A chart being written: the body so far and the y where the next thing goes.
struct Doc {
    title: String,
    body: String,
    y: f64,
}

impl Doc {
    /// Starts with the title, wrapped onto at most two lines.
    fn new(title: &str) -> Doc {
        let mut doc = Doc { title: clean(title), body: String::new(), y: PAD };
        let _ = write!(doc.body, r#"<g font-size="16" font-weight="bold">"#);
        for line in wrap(title, WIDTH - 2.0 * PAD, TITLE_PX * 1.05, 2) {
            doc.y += TITLE_PX + 4.0;
            doc.text(PAD, doc.y, &line, "");
        }
        doc.body.push_str("</g>");
        doc.y += 4.0;
        doc
    }

    /// Colour swatches with their names, wrapping onto more lines as needed.
    fn legend<'a>(&mut self, items: impl Iterator<Item = (&'a str, &'a str)>) {
        let _ = write!(self.body, r#"<g font-size="12" fill="{MUTED}">"#);
        self.y += SMALL_PX + 4.0;
        let mut x = PAD;
        for (colour, name) in items {
            let name = truncate(name, WIDTH - 2.0 * PAD - 14.0, SMALL_PX);
            let w = 14.0 + text_width(&name, SMALL_PX);
            if x > PAD && x + w > WIDTH - PAD {
                x = PAD;
                self.y += SMALL_PX + 6.0;
            }
            let _ = write!(
                self.body,
                r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/>"#,
                num(x),
                num(self.y - 9.0),
                escape(colour)
            );
            self.text(x + 14.0, self.y, &name, "");
            x += w + 16.0;
        }
        self.body.push_str("</g>");
        self.y += 6.0;
    }

    /// A label line (label left, numbers right) over a track with one thin
    /// bar per `(colour, value)`, each value/total of the track's width.
    fn bar_row(&mut self, label: &str, numbers: &str, tooltip: &str, total: u64, bars: &[(&str, u64)]) {
        let track_w = WIDTH - 2.0 * PAD;
        let bar_h = match bars.len() {
            0 | 1 => 12.0,
            n => (20.0 / n as f64).min(5.0),
        };
        let track_h = bar_h * bars.len().max(1) as f64;
        let numbers_w = text_width(numbers, SMALL_PX);
        let label = truncate(label, track_w - numbers_w - 10.0, LABEL_PX);

        self.y += 8.0 + LABEL_PX;
        let _ = write!(self.body, "<g><title>{}</title>", escape(tooltip));
        self.text(PAD, self.y, &label, "");
        self.text(WIDTH - PAD, self.y, numbers, &format!(r#" font-size="12" fill="{MUTED}" text-anchor="end""#));
        let top = self.y + 6.0;
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{TRACK}"/>"#,
            num(PAD),
            num(top),
            num(track_w),
            num(track_h)
        );
        for (i, (colour, value)) in bars.iter().enumerate() {
            let w = track_w * ratio((*value).min(total), total);
            if w > 0.0 {
                let _ = write!(
                    self.body,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    num(PAD),
                    num(top + bar_h * i as f64),
                    num(w),
                    num(bar_h),
                    escape(colour)
                );
            }
        }
        self.body.push_str("</g>");
        self.y = top + track_h;
    }

    /// `<text>` at (x, y) (y is the baseline) with extra attributes, escaped.
    fn text(&mut self, x: f64, y: f64, content: &str, attrs: &str) {
        let _ = write!(self.body, r#"<text x="{}" y="{}"{attrs}>{}</text>"#, num(x), num(y), escape(content));
    }

    fn no_data(mut self) -> String {
        self.title = format!("{} ({NO_DATA})", self.title);
        self.y += 40.0;
        let attrs = format!(r#" font-size="14" fill="{MUTED}" text-anchor="middle""#);
        self.text(WIDTH / 2.0, self.y, NO_DATA, &attrs);
        self.y += 12.0;
        self.finish()
    }

    /// The whole document: fixed size for an `<img>`, viewBox and
    /// `max-width:100%` so it shrinks to a phone's width inline.
    fn finish(self) -> String {
        let height = (self.y + PAD).ceil();
        let title = escape(match self.title.trim() {
            "" => "图表 chart",
            t => t,
        });
        let mut out = String::with_capacity(self.body.len() + 512);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="max-width:100%;height:auto" role="img" aria-label="{title}" font-family="{FONTS}" font-size="14" fill="{INK}"><title>{title}</title><rect width="100%" height="100%" fill="#fff"/>{body}</svg>"##,
            w = num(WIDTH),
            h = num(height),
            body = self.body,
        );
        out
    }
}

/// The y axis for values up to `max`: a round step (1, 2 or 5 times a power of
/// ten, a fifth of `max` or a little more) and the top, the first multiple of
/// it at or above `max`: at most 5 steps.
fn axis(max: u64) -> (u64, u64) {
    let rough = max.div_ceil(5).max(1);
    let mut power = 1u64;
    let step = loop {
        if let Some(s) = [1, 2, 5].iter().map(|m| m * power).find(|s| *s >= rough) {
            break s;
        }
        power = power.saturating_mul(10);
    };
    (step, max.div_ceil(step).max(1).saturating_mul(step))
}

/// value/total as a fraction; 0 for an empty total.
fn ratio(value: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        value as f64 / total as f64
    }
}

/// `275600` -> `275,600`, grouped in thousands as zh-CN writes numbers.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// value/total to one decimal, `50%` when whole; never `100%` unless all, nor
/// `0%` unless none (`99.9%`, `<0.1%`); `—` for an empty total.
fn percent(value: u64, total: u64) -> String {
    if total == 0 {
        return "—".into();
    }
    let tenths = (u128::from(value) * 1000 + u128::from(total) / 2) / u128::from(total);
    let tenths = match tenths {
        0 if value > 0 => return "<0.1%".into(),
        1000.. if value < total => 999,
        t => t,
    };
    match tenths % 10 {
        0 => format!("{}%", tenths / 10),
        d => format!("{}.{d}%", tenths / 10),
    }
}

/// Estimated width in px at `px` font size: 1 em for a wide (CJK) or an
/// East-Asian-ambiguous character (as CJK fonts draw …, “ or ·), 0.6 em for
/// others: a little over Noto Sans's digits and Latin letters.
fn text_width(text: &str, px: f64) -> f64 {
    text.chars().map(|c| char_width(c) * px).sum()
}

fn char_width(c: char) -> f64 {
    match c.width_cjk() {
        Some(2) => 1.0,
        Some(1) => 0.6,
        _ => 0.0,
    }
}

/// `text` cut to fit `max` px, ending in `…` when cut.
fn truncate(text: &str, max: f64, px: f64) -> String {
    let text = clean(text);
    if text_width(&text, px) <= max {
        return text;
    }
    let room = max - px; // the ellipsis, 1 em in CJK fonts
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        used += char_width(c) * px;
        if used > room {
            break;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `text` on up to `lines` lines of at most `max` px, broken at any character
/// (Chinese has no spaces); the last line ends in `…` when text is left over.
fn wrap(text: &str, max: f64, px: f64, lines: usize) -> Vec<String> {
    let text = clean(text);
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() && out.len() + 1 < lines {
        let mut used = 0.0;
        let cut = rest
            .char_indices()
            .find(|(_, c)| {
                used += char_width(*c) * px;
                used > max
            })
            .map_or(rest.len(), |(i, _)| i);
        out.push(rest[..cut].trim().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(truncate(rest, max, px));
    }
    out
}

/// Caller text as one line: control characters (not allowed in XML) dropped,
/// line breaks and tabs made spaces.
fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect()
}

/// Escaped for XML text and attribute values alike. Five characters: a
/// crate would not be shorter than this.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: one decimal at most, none when whole.
fn num(x: f64) -> String {
    let s = format!("{:.1}", x + 0.0);
    match s.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}
