//! Survey definitions: a TOML file read into a checked `Definition`. Every
//! problem is reported as `FILE:LINE: what is wrong`, the line being that of
//! the offending key.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::value::Datetime;
use toml::Spanned;

use super::clock;
pub use crate::conversation::question::{anchored, Kind, Next, Question, MAX_CHOICES};
use crate::conversation::Field;

/// A checked survey definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub title: String,
    pub intro: String,
    /// Default audience org code (the launcher may name another).
    pub org: Option<String>,
    /// Level key whose group chats get the announcement (None: every level).
    pub level: Option<String>,
    pub opens: Option<u64>,
    pub closes: Closes,
    pub anonymous: bool,
    /// Members who have not answered are reminded this long before closing (0: never).
    pub remind_before_hours: u32,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Closes {
    At(u64),
    /// Days after the launch.
    After(u32),
}

/// The most questions one survey may have.
pub const MAX_QUESTIONS: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDef {
    title: Spanned<String>,
    #[serde(default)]
    intro: String,
    audience: Option<RawAudience>,
    opens: Option<Spanned<Datetime>>,
    closes: Option<Spanned<Datetime>>,
    days: Option<Spanned<i64>>,
    #[serde(default)]
    anonymous: bool,
    remind_before_hours: Option<Spanned<i64>>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudience {
    org: Option<String>,
    level: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: Spanned<String>,
    #[serde(default = "yes")]
    required: bool,
    choices: Option<Spanned<Vec<String>>>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    max_len: Option<Spanned<i64>>,
    pattern: Option<Spanned<String>>,
    integer: Option<bool>,
    low: Option<String>,
    high: Option<String>,
    goto: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
}

fn yes() -> bool {
    true
}

/// Problems found in one file, each `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError(pub Vec<String>);

impl std::fmt::Display for DefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl From<DefError> for crate::Error {
    fn from(e: DefError) -> Self {
        crate::Error::invalid(e.to_string())
    }
}

struct Report<'a> {
    file: &'a str,
    src: &'a str,
    problems: Vec<String>,
}

impl Report<'_> {
    fn at(&mut self, offset: usize, msg: impl std::fmt::Display) {
        let line = self.src[..offset.min(self.src.len())].matches('\n').count() + 1;
        self.problems.push(format!("{}:{line}: {msg}", self.file));
    }
}

/// Reads a definition; `file` names it in error messages.
pub fn parse(file: &str, src: &str) -> Result<Definition, DefError> {
    let raw: RawDef = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let mut r = Report { file, src, problems: vec![] };
            r.at(e.span().map(|s| s.start).unwrap_or(0), e.message().trim());
            return Err(DefError(r.problems));
        }
    };
    let mut r = Report { file, src, problems: vec![] };
    let def = check(raw, &mut r);
    if r.problems.is_empty() {
        Ok(def)
    } else {
        Err(DefError(r.problems))
    }
}

fn check(raw: RawDef, r: &mut Report) -> Definition {
    if raw.title.get_ref().trim().is_empty() {
        r.at(raw.title.span().start, "`title` is empty");
    }
    let time = |r: &mut Report, v: &Option<Spanned<Datetime>>, end: bool, key: &str| {
        let v = v.as_ref()?;
        match clock::unix_of(v.get_ref(), end) {
            Some(t) if t > 0 => Some(t as u64),
            _ => {
                r.at(v.span().start, format!("`{key}` needs a date, e.g. 2025-03-08T20:00:00+08:00 or 2025-03-08"));
                None
            }
        }
    };
    let opens = time(r, &raw.opens, false, "opens");
    let closes = match (&raw.closes, &raw.days) {
        (Some(_), Some(d)) => {
            r.at(d.span().start, "give either `closes` or `days`, not both");
            Closes::After(1)
        }
        (Some(c), None) => {
            let at = time(r, &raw.closes, true, "closes").unwrap_or(0);
            if let (Some(o), true) = (opens, at > 0) {
                if at <= o {
                    r.at(c.span().start, "`closes` must be after `opens`");
                }
            }
            Closes::At(at)
        }
        (None, Some(d)) => {
            let n = *d.get_ref();
            if !(1..=366).contains(&n) {
                r.at(d.span().start, "`days` must be between 1 and 366");
            }
            Closes::After(n.clamp(1, 366) as u32)
        }
        (None, None) => {
            r.at(raw.title.span().start, "the survey needs `closes = <date>` or `days = N`");
            Closes::After(1)
        }
    };
    let remind_before_hours = match &raw.remind_before_hours {
        Some(h) if !(0..=24 * 30).contains(h.get_ref()) => {
            r.at(h.span().start, "`remind_before_hours` must be between 0 and 720");
            0
        }
        Some(h) => *h.get_ref() as u32,
        None => 24,
    };
    if raw.questions.is_empty() {
        r.at(src_end(r), "the survey has no questions: add [[questions]] tables");
    }
    if raw.questions.len() > MAX_QUESTIONS {
        r.at(raw.questions[MAX_QUESTIONS].span().start, format!("at most {MAX_QUESTIONS} questions"));
    }
    let ids: Vec<String> = raw
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| q.get_ref().id.as_ref().map(|s| s.get_ref().trim().to_owned()).unwrap_or(format!("q{}", i + 1)))
        .collect();
    let mut questions = Vec::with_capacity(raw.questions.len());
    for (i, q) in raw.questions.iter().enumerate() {
        if let Some(id) = &q.get_ref().id {
            if ids[..i].contains(&ids[i]) || ids[i].is_empty() {
                r.at(id.span().start, format!("question id `{}` is empty or used twice", ids[i]));
            }
        }
        questions.push(question(q, i, &ids, r));
    }
    let (org, level) = raw.audience.map(|a| (a.org, a.level)).unwrap_or_default();
    Definition {
        title: raw.title.into_inner().trim().to_owned(),
        intro: raw.intro.trim().to_owned(),
        org,
        level,
        opens,
        closes,
        anonymous: raw.anonymous,
        remind_before_hours,
        questions,
    }
}

fn src_end(r: &Report) -> usize {
    r.src.len()
}

fn question(sq: &Spanned<RawQuestion>, at: usize, ids: &[String], r: &mut Report) -> Question {
    let q = sq.get_ref();
    let text = q.text.get_ref().trim().to_owned();
    if text.is_empty() {
        r.at(q.text.span().start, "`text` is empty");
    }
    let kind_word = q.kind.get_ref().trim();
    let choices = || -> Vec<String> {
        q.choices.as_ref().map(|c| c.get_ref().iter().map(|s| s.trim().to_owned()).collect()).unwrap_or_default()
    };
    let kind = match kind_word {
        "single" | "单选" | "multi" | "多选" => {
            let list = choices();
            check_choices(q, &list, r);
            if kind_word == "single" || kind_word == "单选" {
                no_keys(r, &[("min", &q.min), ("max", &q.max)], kind_word);
                Kind::Single { choices: list }
            } else {
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
        }
        "text" | "填空" => {
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
        "number" | "数字" => {
            not_choice(q, r);
            let (min, max) = (q.min.as_ref().map(|m| *m.get_ref()), q.max.as_ref().map(|m| *m.get_ref()));
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    r.at(
                        q.min.as_ref().map(|m| m.span().start).unwrap_or(0),
                        format!("`min` ({a}) is more than `max` ({b})"),
                    );
                }
            }
            Kind::Number { min, max, integer: q.integer.unwrap_or(false) }
        }
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
                r.at(q.kind.span().start, format!("unknown question type `{other}`: use single, multi, text, number, rating, name, mobile, landline, email, qq or date (单选, 多选, 填空, 数字, 评分, 姓名, 手机, 座机, 邮箱, QQ, 日期)"));
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
