//! Questions as definition files write them (`[[questions]]` tables of a
//! survey, `[[steps.fields]]` of a campaign form), read into checked
//! `Question`s. Every problem is reported as `FILE:LINE: what is wrong`,
//! the line being that of the offending key.

mod question;

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::question::Question;

/// One question table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
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

/// The problems of one file as they are found.
pub struct Report<'a> {
    pub file: &'a str,
    pub src: &'a str,
    pub problems: Vec<String>,
}

impl<'a> Report<'a> {
    pub fn new(file: &'a str, src: &'a str) -> Report<'a> {
        Report { file, src, problems: Vec::new() }
    }

    /// A problem at byte `offset` of the file.
    pub fn at(&mut self, offset: usize, msg: impl std::fmt::Display) {
        let line = self.src[..offset.min(self.src.len())].matches('\n').count() + 1;
        self.problems.push(format!("{}:{line}: {msg}", self.file));
    }

    /// A problem at the end of the file (something missing).
    pub fn at_end(&mut self, msg: impl std::fmt::Display) {
        self.at(self.src.len(), msg)
    }

    /// `value` if nothing was wrong, else every problem.
    pub fn finish<T>(self, value: T) -> Result<T, DefError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(DefError(self.problems))
        }
    }

    /// A file TOML itself could not read: its one error, at its line.
    pub fn toml_error(file: &str, src: &str, e: toml::de::Error) -> DefError {
        let mut r = Report::new(file, src);
        r.at(e.span().map(|s| s.start).unwrap_or(0), e.message().trim());
        DefError(r.problems)
    }
}

/// Every question, checked; ids default to `q1`, `q2`… and must differ.
/// At most `max` questions.
pub fn questions(raw: &[Spanned<RawQuestion>], max: usize, r: &mut Report) -> Vec<Question> {
    if raw.len() > max {
        r.at(raw[max].span().start, format!("at most {max} questions"));
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
