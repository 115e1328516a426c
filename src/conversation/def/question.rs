//! Reading one `[[questions]]` table of a survey definition into a checked `Question`.

use std::collections::BTreeMap;

use regex::Regex;
use toml::Spanned;

use super::{RawQuestion, Report};
use crate::conversation::question::{anchored, Kind, Next, Question, MAX_CHOICES};
use crate::conversation::Field;

/// Question `at` of the file; `ids` are every question's id, for `goto`.
pub(super) fn read(sq: &Spanned<RawQuestion>, at: usize, ids: &[String], r: &mut Report) -> Question {
    let q = sq.get_ref();
    let text = q.text.get_ref().trim().to_owned();
    if text.is_empty() {
        r.at(q.text.span().start, "`text` is empty");
    }
    let kind_word = q.kind.get_ref().trim();
    let kind = match kind_word {
        "single" | "单选" | "multi" | "多选" => choice(sq, kind_word, r),
        "text" | "填空" => text_kind(q, kind_word, r),
        "number" | "数字" => number(q, r),
        "rating" | "评分" => {
            not_choice(q, r);
            no_keys(r, &[("min", &q.min), ("max", &q.max)], kind_word);
            Kind::Rating {
                low: q.low.clone().unwrap_or_else(|| "很不满意".into()),
                high: q.high.clone().unwrap_or_else(|| "非常满意".into()),
            }
        }
        other => match Field::from_word(other) {
            Some(f) => field(q, f, r),
            None => {
                r.at(q.kind.span().start, format!("unknown question type `{other}`: use single, multi, text, number, rating, name, mobile, landline, email, qq, date or job_title (单选, 多选, 填空, 数字, 评分, 姓名, 手机, 座机, 邮箱, QQ, 日期, 职务)"));
                Kind::Text { max_len: 500, pattern: None }
            }
        },
    };
    if let (Some(m), false) = (&q.max_len, matches!(kind, Kind::Text { .. })) {
        r.at(m.span().start, "`max_len` applies to text questions only");
    }
    let goto = q.goto.as_ref().map(|g| skip_logic(g, &kind, at, ids, r)).unwrap_or_default();
    Question { id: ids[at].clone(), text, required: q.required, kind, goto }
}

/// A single or multiple choice question (`kind_word` says which): its
/// choices, and for a multiple choice how many may be picked.
fn choice(sq: &Spanned<RawQuestion>, kind_word: &str, r: &mut Report) -> Kind {
    let q = sq.get_ref();
    let list: Vec<String> =
        q.choices.as_ref().map(|c| c.get_ref().iter().map(|s| s.trim().to_owned()).collect()).unwrap_or_default();
    check_choices(q, &list, r);
    if kind_word == "single" || kind_word == "单选" {
        no_keys(r, &[("min", &q.min), ("max", &q.max)], kind_word);
        return Kind::Single { choices: list };
    }
    let n = list.len() as f64;
    let min = count(r, &q.min, "min", if q.required { 1.0 } else { 0.0 });
    let max = count(r, &q.max, "max", n);
    if let (Some(m), true) = (&q.max, max > n) {
        r.at(m.span().start, format!("`max` is {max} but there are only {n} choices"));
    }
    if min > max {
        r.at(
            q.min.as_ref().map(|m| m.span().start).unwrap_or(sq.span().start),
            format!("`min` ({min}) is more than `max` ({max})"),
        );
    }
    Kind::Multi { choices: list, min: min as u8, max: max.min(n) as u8 }
}

/// A free-text question: its length limit and pattern.
fn text_kind(q: &RawQuestion, kind_word: &str, r: &mut Report) -> Kind {
    not_choice(q, r);
    no_keys(r, &[("min", &q.min), ("max", &q.max)], kind_word);
    let max_len = match &q.max_len {
        Some(m) if !(1..=10_000).contains(m.get_ref()) => {
            r.at(m.span().start, "`max_len` must be between 1 and 10000 characters");
            500
        }
        Some(m) => *m.get_ref() as u32,
        None => 500,
    };
    if let Some(p) = &q.pattern {
        if let Err(e) = Regex::new(&anchored(p.get_ref())) {
            let first = e.to_string().lines().last().unwrap_or("").trim().to_owned();
            r.at(p.span().start, format!("`pattern` is not a valid regular expression ({first})"));
        }
    }
    Kind::Text { max_len, pattern: q.pattern.as_ref().map(|p| p.get_ref().clone()) }
}

/// A number question: its range, and whether it takes whole numbers only.
fn number(q: &RawQuestion, r: &mut Report) -> Kind {
    not_choice(q, r);
    let (min, max) = (q.min.as_ref().map(|m| *m.get_ref()), q.max.as_ref().map(|m| *m.get_ref()));
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            r.at(q.min.as_ref().map(|m| m.span().start).unwrap_or(0), format!("`min` ({a}) is more than `max` ({b})"));
        }
    }
    Kind::Number { min, max, integer: q.integer.unwrap_or(false) }
}

/// A typed field (name, mobile…): no choices, range or pattern.
fn field(q: &RawQuestion, f: Field, r: &mut Report) -> Kind {
    not_choice(q, r);
    no_keys(r, &[("min", &q.min), ("max", &q.max)], q.kind.get_ref().trim());
    if let Some(p) = &q.pattern {
        r.at(p.span().start, "`pattern` applies to text questions only");
    }
    Kind::Field(f)
}

fn check_choices(q: &RawQuestion, list: &[String], r: &mut Report) {
    let at = q.choices.as_ref().map(|c| c.span().start).unwrap_or(q.kind.span().start);
    if list.is_empty() {
        r.at(at, "a choice question needs a non-empty `choices` list");
    } else if list.len() > MAX_CHOICES {
        r.at(at, format!("at most {MAX_CHOICES} choices (A to Z)"));
    } else if list.iter().any(|c| c.is_empty()) {
        r.at(at, "a choice is empty");
    } else if let Some(d) = list.iter().enumerate().find(|(i, c)| list[..*i].contains(c)) {
        r.at(at, format!("the choice `{}` appears twice", d.1));
    }
}

fn not_choice(q: &RawQuestion, r: &mut Report) {
    if let Some(c) = &q.choices {
        r.at(c.span().start, format!("`choices` belong to single and multi questions, not {}", q.kind.get_ref()));
    }
}

fn no_keys(r: &mut Report, keys: &[(&str, &Option<Spanned<f64>>)], kind: &str) {
    for (name, v) in keys {
        if let Some(v) = v {
            r.at(v.span().start, format!("`{name}` does not apply to {kind} questions"));
        }
    }
}

fn count(r: &mut Report, v: &Option<Spanned<f64>>, name: &str, default: f64) -> f64 {
    match v {
        Some(v) if v.get_ref().fract() != 0.0 || *v.get_ref() < 0.0 => {
            r.at(v.span().start, format!("`{name}` must be a whole number of choices"));
            default
        }
        Some(v) => *v.get_ref(),
        None => default,
    }
}

fn skip_logic(
    g: &Spanned<BTreeMap<String, Spanned<toml::Value>>>,
    kind: &Kind,
    at: usize,
    ids: &[String],
    r: &mut Report,
) -> Vec<(u8, Next)> {
    let mut out = Vec::new();
    if !matches!(kind, Kind::Single { .. } | Kind::Rating { .. }) {
        r.at(g.span().start, "`goto` (skip logic) works on single choice and rating questions only");
        return out;
    }
    for (answer, target) in g.get_ref() {
        let key = match kind {
            Kind::Single { choices } => crate::conversation::answer::choice_index(choices, answer),
            _ => crate::conversation::answer::rating(answer),
        };
        let Some(key) = key else {
            r.at(target.span().start, format!("`{answer}` in `goto` is not one of this question's answers"));
            continue;
        };
        let next = match target.get_ref() {
            toml::Value::String(s) if matches!(s.trim(), "end" | "结束") => Some(Next::End),
            toml::Value::String(s) => ids.iter().position(|id| id == s.trim()).map(|i| Next::Question(i as u16)),
            toml::Value::Integer(n) if *n >= 1 && (*n as usize) <= ids.len() => Some(Next::Question(*n as u16 - 1)),
            _ => None,
        };
        match next {
            None => r.at(
                target.span().start,
                format!("`goto` target {} is not a question id, a question number or \"end\"", target.get_ref()),
            ),
            Some(Next::Question(i)) if (i as usize) <= at => r.at(
                target.span().start,
                format!("`goto` from {} may only jump forward, not to {}", ids[at], ids[i as usize]),
            ),
            Some(n) => out.push((key, n)),
        }
    }
    out
}
