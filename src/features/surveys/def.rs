//! Survey definitions: a TOML file read into a checked `Definition`. Every
//! problem is reported as `FILE:LINE: what is wrong`, the line being that of
//! the offending key.

use serde::{Deserialize, Serialize};
use toml::value::Datetime;
use toml::Spanned;

use super::clock;
pub use crate::conversation::def::DefError;
use crate::conversation::def::{RawQuestion, Report};
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

/// Reads a definition; `file` names it in error messages.
pub fn parse(file: &str, src: &str) -> Result<Definition, DefError> {
    let raw: RawDef = toml::from_str(src).map_err(|e| Report::toml_error(file, src, e))?;
    let mut r = Report::new(file, src);
    let def = check(raw, &mut r);
    r.finish(def)
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
    if raw.questions.is_empty() {
        r.at_end("the survey has no questions: add [[questions]] tables");
    }
    let questions = crate::conversation::def::questions(&raw.questions, MAX_QUESTIONS, r);
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
