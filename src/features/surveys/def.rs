//! Survey definitions: a TOML file read into a checked `Definition`. Every
//! problem is reported as `FILE:LINE: what is wrong`, the line being that of
//! the offending key.

mod question;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::value::Datetime;
use toml::Spanned;

use super::clock;
pub use crate::conversation::question::{anchored, Kind, Next, Question, MAX_CHOICES};

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
    let opens = time(r, &raw.opens, false, "opens");
    let closes = closes(&raw, opens, r);
    let remind_before_hours = match &raw.remind_before_hours {
        Some(h) if !(0..=24 * 30).contains(h.get_ref()) => {
            r.at(h.span().start, "`remind_before_hours` must be between 0 and 720");
            0
        }
        Some(h) => *h.get_ref() as u32,
        None => 24,
    };
    let questions = questions(&raw.questions, r);
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

/// A date key as unix seconds (the end of the day when `end` and only a
/// date is given); None when absent or not a date (then reported).
fn time(r: &mut Report, v: &Option<Spanned<Datetime>>, end: bool, key: &str) -> Option<u64> {
    let v = v.as_ref()?;
    match clock::unix_of(v.get_ref(), end) {
        Some(t) if t > 0 => Some(t as u64),
        _ => {
            r.at(v.span().start, format!("`{key}` needs a date, e.g. 2025-03-08T20:00:00+08:00 or 2025-03-08"));
            None
        }
    }
}

/// When the survey closes: `closes` (after `opens`) or `days`, exactly one.
fn closes(raw: &RawDef, opens: Option<u64>, r: &mut Report) -> Closes {
    match (&raw.closes, &raw.days) {
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
    }
}

/// Every question, checked; ids default to `q1`, `q2`… and must differ.
fn questions(raw: &[Spanned<RawQuestion>], r: &mut Report) -> Vec<Question> {
    if raw.is_empty() {
        r.at(src_end(r), "the survey has no questions: add [[questions]] tables");
    }
    if raw.len() > MAX_QUESTIONS {
        r.at(raw[MAX_QUESTIONS].span().start, format!("at most {MAX_QUESTIONS} questions"));
    }
    let ids: Vec<String> = raw
        .iter()
        .enumerate()
        .map(|(i, q)| q.get_ref().id.as_ref().map(|s| s.get_ref().trim().to_owned()).unwrap_or(format!("q{}", i + 1)))
        .collect();
    let mut questions = Vec::with_capacity(raw.len());
    for (i, q) in raw.iter().enumerate() {
        if let Some(id) = &q.get_ref().id {
            if ids[..i].contains(&ids[i]) || ids[i].is_empty() {
                r.at(id.span().start, format!("question id `{}` is empty or used twice", ids[i]));
            }
        }
        questions.push(question::read(q, i, &ids, r));
    }
    questions
}

fn src_end(r: &Report) -> usize {
    r.src.len()
}
