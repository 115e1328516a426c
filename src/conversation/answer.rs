//! Answer values and the forms people type them in: 是/否/yes/no, A/a, 1 and １, "A,C", "A、C", "AC", stars.

use serde::{Deserialize, Serialize};

/// One answer. Stored with bincode: variants may be added at the end only.
/// Typed fields (mobile, email, date…) are `Text` in their normalized form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    Choice(u8),
    Choices(Vec<u8>),
    Text(String),
    Number(f64),
    Rating(u8),
}

impl Answer {
    /// The value skip logic keys on: a choice index or a rating.
    pub fn key(&self) -> Option<u8> {
        match self {
            Answer::Choice(i) | Answer::Rating(i) => Some(*i),
            _ => None,
        }
    }

    /// How the answer reads back to people and in exports, given its
    /// question's choices (empty for other kinds).
    pub fn show(&self, choices: &[String]) -> String {
        let choice = |i: &u8| choices.get(*i as usize).cloned().unwrap_or_default();
        match self {
            Answer::Choice(i) => format!("{}. {}", letter(*i), choice(i)),
            Answer::Choices(v) => {
                v.iter().map(|i| format!("{}. {}", letter(*i), choice(i))).collect::<Vec<_>>().join("；")
            }
            Answer::Text(t) => t.clone(),
            Answer::Number(n) => number(*n),
            Answer::Rating(r) => format!("{r}"),
        }
    }
}

pub fn letter(i: u8) -> char {
    (b'A' + i) as char
}

pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Full-width forms to ASCII, the ideographic space to a space, trimmed.
pub fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

const YES: &[&str] = &["是", "是的", "对", "有", "yes", "y", "ok", "好"];
const NO: &[&str] = &["否", "不是", "不", "没有", "无", "no", "n"];

/// The index of the choice `s` names: its text, its letter, its number, or
/// yes/no for 是/否 choices. `s` need not be normalized.
pub fn choice_index(choices: &[String], s: &str) -> Option<u8> {
    let s = normalize(s);
    let s = s.trim_matches(|c: char| matches!(c, '.' | '、' | '。' | '(' | ')' | '（' | '）' | '"' | '“' | '”' | ' '));
    if s.is_empty() {
        return None;
    }
    let lower = s.to_lowercase();
    if let Some(i) = choices.iter().position(|c| c.to_lowercase() == lower) {
        return Some(i as u8);
    }
    let mut cs = s.chars();
    if let (Some(c), None) = (cs.next(), cs.next()) {
        if c.is_ascii_alphabetic() {
            let i = c.to_ascii_uppercase() as u8 - b'A';
            if (i as usize) < choices.len() {
                return Some(i);
            }
        }
    }
    if let Ok(n) = s.parse::<usize>() {
        return (1..=choices.len()).contains(&n).then(|| n as u8 - 1);
    }
    let yes_no = |words: &[&str], first: &[&str]| -> Option<u8> {
        if !words.contains(&lower.as_str()) {
            return None;
        }
        choices.iter().position(|c| first.iter().any(|f| c.to_lowercase().starts_with(f))).map(|i| i as u8)
    };
    yes_no(YES, &["是", "yes", "有", "对"]).or_else(|| yes_no(NO, &["否", "no", "不", "没有", "无"]))
}

/// A rating from 1 to 5: a digit, a Chinese numeral, or stars.
pub fn rating(s: &str) -> Option<u8> {
    let s = normalize(s);
    let s = s.trim_end_matches(['分', '星', '.', '。']).trim();
    let stars = s.chars().filter(|c| matches!(c, '★' | '⭐' | '*')).count();
    if stars > 0 && stars == s.chars().count() {
        return (stars <= 5).then_some(stars as u8);
    }
    let v = match s {
        "一" => 1,
        "二" | "两" => 2,
        "三" => 3,
        "四" => 4,
        "五" => 5,
        _ => s.parse::<u8>().ok()?,
    };
    (1..=5).contains(&v).then_some(v)
}

/// Several choices: separated by commas, 、, spaces, semicolons or 和, or
/// run together as letters ("AC") or single digits ("13").
pub fn choice_list(choices: &[String], s: &str) -> Option<Vec<u8>> {
    let s = normalize(s);
    let parts: Vec<&str> = s
        .split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；' | '/' | '和' | '+' | '&') || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = Vec::new();
    for p in &parts {
        if let Some(i) = choice_index(choices, p) {
            out.push(i);
            continue;
        }
        // Run together: "AC", "ac" or "13".
        let run: Option<Vec<u8>> =
            if p.chars().all(|c| c.is_ascii_alphabetic()) || p.chars().all(|c| c.is_ascii_digit()) {
                p.chars().map(|c| choice_index(choices, &c.to_string())).collect()
            } else {
                None
            };
        out.extend(run?);
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}
