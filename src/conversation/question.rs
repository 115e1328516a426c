//! Typed questions: their kinds, reading an answer into a value or a bilingual hint, the hint line, branching.

use crate::catalogue::{msg, Msg};

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::answer::{choice_index, choice_list, normalize, number, rating, Answer};
use super::fields::Field;

/// One question. Stored with bincode inside survey definitions: fields keep their order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub required: bool,
    pub kind: Kind,
    /// Branching: (choice index, or rating value) -> where to go next.
    pub goto: Vec<(u8, Next)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Next {
    Question(u16),
    End,
}

/// What a question asks for. Stored with bincode: variants may be added at the end only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    Single {
        choices: Vec<String>,
    },
    Multi {
        choices: Vec<String>,
        min: u8,
        max: u8,
    },
    Text {
        max_len: u32,
        pattern: Option<String>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
    },
    /// 1 to 5; the labels name the two ends.
    Rating {
        low: String,
        high: String,
    },
    /// A typed form field (name, mobile, email…), answered as normalized text.
    Field(Field),
}

/// The most choices one question may have (lettered A to Z).
pub const MAX_CHOICES: usize = 26;

impl Kind {
    pub fn label(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "单选 single choice",
            Kind::Multi { .. } => "多选 multiple choice",
            Kind::Text { .. } => "填空 free text",
            Kind::Number { .. } => "数字 number",
            Kind::Rating { .. } => "评分 rating 1-5",
            Kind::Field(f) => f.label(),
        }
    }

    pub fn choices(&self) -> &[String] {
        match self {
            Kind::Single { choices } | Kind::Multi { choices, .. } => choices,
            _ => &[],
        }
    }

    /// The line under the question saying how to answer, if any.
    pub fn hint(&self) -> Option<String> {
        let mut s = String::new();
        self.write_hint(&mut s).then_some(s)
    }

    /// Appends the hint line to `out`; false (and nothing written) if there is none.
    pub fn write_hint(&self, out: &mut String) -> bool {
        use std::fmt::Write;
        let _ = match self {
            Kind::Single { .. } => out.write_str("回复字母或序号。 Reply with a letter or number."),
            Kind::Multi { min, max, .. } => {
                write!(out, "可选 {min}-{max} 项，如 A,C 或 AC。 Pick {min} to {max}, e.g. A,C or AC.")
            }
            Kind::Rating { low, high } => write!(out, "1 = {low} … 5 = {high}。 Reply 1 to 5."),
            Kind::Number { min: Some(a), max: Some(b), .. } => {
                let (a, b) = (number(*a), number(*b));
                write!(out, "请回复 {a} 到 {b} 之间的数字。 A number from {a} to {b}.")
            }
            Kind::Number { .. } => return false,
            Kind::Text { max_len, .. } => write!(out, "不超过 {max_len} 字。 Up to {max_len} characters."),
            Kind::Field(f) => out.write_str(f.hint()),
        };
        true
    }
}

impl Question {
    /// Where to go after this question (index `at`) given its answer's key.
    pub fn next(&self, at: usize, key: Option<u8>) -> Next {
        key.and_then(|k| self.goto.iter().find(|(v, _)| *v == k).map(|(_, n)| *n))
            .unwrap_or(Next::Question(at as u16 + 1))
    }

    /// Reads a typed answer; `pattern` is the question's compiled text pattern. A refusal is one short
    /// bilingual hint saying what is expected.
    pub fn read(&self, pattern: Option<&Regex>, input: &str) -> Result<Answer, String> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(Msg::AnswerEmpty.text().into());
        }
        match &self.kind {
            Kind::Single { choices } => choice_index(choices, &s)
                .map(Answer::Choice)
                .ok_or_else(|| msg(Msg::PickOne, &[("count", &choices.len())])),
            Kind::Multi { choices, min, max } => {
                let picked = choice_list(choices, &s).ok_or_else(|| Msg::PickLetters.text().to_owned())?;
                check_count(&picked, *min, *max)?;
                Ok(Answer::Choices(picked))
            }
            Kind::Text { max_len, .. } => read_text(s, *max_len, pattern),
            Kind::Number { min, max, integer } => read_number(&s, *min, *max, *integer),
            Kind::Rating { .. } => rating(&s).map(Answer::Rating).ok_or_else(|| Msg::RatingRange.text().to_owned()),
            Kind::Field(f) => f.read(&s).map(Answer::Text),
        }
    }
}

fn read_text(s: String, max_len: u32, pattern: Option<&Regex>) -> Result<Answer, String> {
    let n = s.chars().count();
    if n > max_len as usize {
        return Err(msg(Msg::TextTooLong, &[("n", &n), ("max", &max_len)]));
    }
    if let Some(re) = pattern {
        if !re.is_match(&s) {
            return Err(Msg::TextWrongForm.text().into());
        }
    }
    Ok(Answer::Text(s))
}

fn read_number(s: &str, min: Option<f64>, max: Option<f64>, integer: bool) -> Result<Answer, String> {
    let n: f64 = s
        .replace([',', '，'], "")
        .trim_end_matches(['。', '.'])
        .parse()
        .map_err(|_| Msg::NotANumber.text().to_owned())?;
    if !n.is_finite() || (integer && n.fract() != 0.0) {
        return Err(Msg::NotWhole.text().into());
    }
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let lo = min.map(number).unwrap_or_else(|| "…".into());
        let hi = max.map(number).unwrap_or_else(|| "…".into());
        return Err(msg(Msg::NumberRange, &[("lo", &lo), ("hi", &hi)]));
    }
    Ok(Answer::Number(n))
}

/// Checks how many choices were picked for a multiple-choice question.
pub fn check_count(picked: &[u8], min: u8, max: u8) -> Result<(), String> {
    let n = picked.len();
    if n < min as usize {
        return Err(msg(Msg::PickAtLeast, &[("min", &min)]));
    }
    if n > max as usize {
        return Err(msg(Msg::PickAtMost, &[("max", &max)]));
    }
    Ok(())
}

/// A text pattern must match the whole answer.
pub fn anchored(p: &str) -> String {
    format!("^(?:{p})$")
}

/// The compiled patterns of text questions, by index (owners compile them once and keep them).
pub fn compile_patterns(questions: &[Question]) -> Vec<Option<Regex>> {
    questions
        .iter()
        .map(|q| match &q.kind {
            Kind::Text { pattern: Some(p), .. } => Regex::new(&anchored(p)).ok(),
            _ => None,
        })
        .collect()
}

/// Question indexes visited when following `answers` from the first question.
pub fn path_taken(questions: &[Question], answers: &[Option<Answer>]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < questions.len() && !out.contains(&i) {
        out.push(i);
        match questions[i].next(i, answers[i].as_ref().and_then(Answer::key)) {
            Next::Question(n) => i = n as usize,
            Next::End => break,
        }
    }
    out
}
