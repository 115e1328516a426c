//! Typed form fields (name, mobile, landline, email, QQ, date): input normalized, or refused in one bilingual sentence.

use crate::catalogue::Msg;
use serde::{Deserialize, Serialize};

use super::answer::normalize;

/// A typed field. Stored with bincode: variants may be added at the end only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    /// A person's name: 2-25 Chinese characters (· allowed, as in 阿依古丽·买买提) or a Latin-script name.
    Name,
    /// A mainland mobile number, stored as 11 digits.
    Mobile,
    /// A landline with its area code, stored as `0731-88888888` or `0731-88888888-123` with an extension.
    Landline,
    /// An email address, stored with its domain in lower case.
    Email,
    /// A QQ number: 5-11 digits, not starting with 0.
    Qq,
    /// A calendar date, stored as `YYYY-MM-DD`.
    Date,
    /// A job title (职务), e.g. 团委副书记: 2-30 characters with at least one
    /// letter or Chinese character, spaces collapsed.
    JobTitle,
}

const NAME_ERR: &str = Msg::FieldNameErr.text();
const MOBILE_ERR: &str = Msg::FieldMobileErr.text();
const LANDLINE_ERR: &str = Msg::FieldLandlineErr.text();
const EMAIL_ERR: &str = Msg::FieldEmailErr.text();
const QQ_ERR: &str = Msg::FieldQqErr.text();
const DATE_ERR: &str = Msg::FieldDateErr.text();
const NO_SUCH_DAY: &str = Msg::FieldNoSuchDay.text();
const JOB_TITLE_ERR: &str = Msg::FieldJobTitleErr.text();

impl Field {
    /// The word a definition names the field by (`type = "mobile"` or `type = "手机"`).
    pub fn from_word(w: &str) -> Option<Field> {
        Some(match w {
            "name" | "姓名" => Field::Name,
            "mobile" | "手机" => Field::Mobile,
            "landline" | "座机" => Field::Landline,
            "email" | "邮箱" => Field::Email,
            "qq" | "QQ" => Field::Qq,
            "date" | "日期" => Field::Date,
            "job_title" | "title" | "职务" => Field::JobTitle,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "姓名 name",
            Field::Mobile => "手机号码 mobile number",
            Field::Landline => "座机号码 landline",
            Field::Email => "电子邮箱 email",
            Field::Qq => "QQ 号 QQ number",
            Field::Date => "日期 date",
            Field::JobTitle => "职务 job title",
        }
    }

    /// The line under the question.
    pub fn hint(self) -> &'static str {
        match self {
            Field::Name => "请填写真实姓名。 Your full name.",
            Field::Mobile => "11 位手机号码，如 138 0013 8000。 An 11-digit mobile number.",
            Field::Landline => {
                "含区号，如 0731-88888888，分机可写 转123。 With the area code; add an extension as 转123."
            }
            Field::Email => "如 name@example.com。 E.g. name@example.com.",
            Field::Qq => "5 到 11 位数字。 5 to 11 digits.",
            Field::Date => "如 2026-11-25 或 2026年11月25日。 E.g. 2026-11-25.",
            Field::JobTitle => "如 团委副书记。 E.g. 团委副书记 (deputy secretary).",
        }
    }

    /// Reads typed input into the field's normalized form.
    pub fn read(self, input: &str) -> Result<String, String> {
        match self {
            Field::Name => name(input),
            Field::Mobile => mobile(input),
            Field::Landline => landline(input),
            Field::Email => email(input),
            Field::Qq => qq(input),
            Field::Date => date(input),
            Field::JobTitle => job_title(input),
        }
        .map_err(str::to_owned)
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{3134F}' | '\u{F900}'..='\u{FAFF}')
}

/// Middle dots people type between the parts of a transcribed name.
fn is_dot(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | '･' | '‧' | '.')
}

/// A name: Chinese (spaces dropped, middle dots unified as ·) or Latin script (spaces collapsed).
pub fn name(input: &str) -> Result<String, &'static str> {
    let s = normalize(input);
    if s.chars().any(is_han) {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).map(|c| if is_dot(c) { '·' } else { c }).collect();
        let han = s.chars().filter(|c| is_han(*c)).count();
        let ok = s.chars().all(|c| is_han(c) || c == '·')
            && (2..=25).contains(&han)
            && !s.starts_with('·')
            && !s.ends_with('·')
            && !s.contains("··");
        return if ok { Ok(s) } else { Err(NAME_ERR) };
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '·'))
        && (2..=50).contains(&s.chars().count());
    if ok {
        Ok(s)
    } else {
        Err(NAME_ERR)
    }
}

/// A job title: 2-30 characters, at least one of them a letter or Chinese
/// character (a number alone is no title), inner spaces collapsed.
pub fn job_title(input: &str) -> Result<String, &'static str> {
    let s = normalize(input).split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    if (2..=30).contains(&n) && s.chars().any(|c| c.is_alphabetic()) && !s.chars().any(char::is_control) {
        Ok(s)
    } else {
        Err(JOB_TITLE_ERR)
    }
}

/// Digits with the separators people put in phone numbers taken out.
fn phone_chars(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')' | '—' | '–' | '.')).collect()
}

/// A mainland mobile number: `+86`, `0086` or `86` prefixes, spaces and dashes accepted; 11 digits kept.
pub fn mobile(input: &str) -> Result<String, &'static str> {
    let s = phone_chars(&normalize(input));
    let s = s.strip_prefix('+').map(|r| r.strip_prefix("86").unwrap_or("")).unwrap_or(&s);
    let s = s.strip_prefix("0086").unwrap_or(s);
    let s = if s.len() == 13 { s.strip_prefix("86").unwrap_or(s) } else { s };
    let b = s.as_bytes();
    if b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        Ok(s.to_owned())
    } else {
        Err(MOBILE_ERR)
    }
}

/// Area code length by its second digit: 010 and 02X have three digits, the others four.
fn area_len(digits: &str) -> usize {
    if matches!(digits.as_bytes().get(1), Some(b'1' | b'2')) {
        3
    } else {
        4
    }
}

/// A landline: area code and a 7- or 8-digit number, then an optional extension after 转, 分机, ext, x, #
/// or in a third dash-separated group (`0731-88888888-123`). `+86 731 …` gets its leading 0 back.
pub fn landline(input: &str) -> Result<String, &'static str> {
    let s = normalize(input).to_lowercase();
    let with_ext = |(area, number): (String, String), ext: &str| {
        let ext = phone_chars(ext);
        if ext.is_empty() || ext.len() > 6 || !ext.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LANDLINE_ERR);
        }
        Ok(format!("{area}-{number}-{ext}"))
    };
    if let Some((main, ext)) = ["分机", "转", "ext.", "ext", "x", "#"].iter().find_map(|m| s.split_once(m)) {
        return with_ext(local_number(main)?, ext);
    }
    // A third dash group is an extension only if what comes before it is a whole number:
    // 0731-8888-8888 is one number written in three parts.
    let groups: Vec<&str> = s.split(['-', '—', '–']).map(str::trim).filter(|g| !g.is_empty()).collect();
    if let Some((last, rest)) = groups.split_last().filter(|(_, rest)| rest.len() >= 2) {
        if let Ok(n) = local_number(&rest.join("-")) {
            return with_ext(n, last);
        }
    }
    local_number(&s).map(|(area, number)| format!("{area}-{number}"))
}

/// Area code and number of a landline without extension.
fn local_number(s: &str) -> Result<(String, String), &'static str> {
    // An area code typed as its own group must have its full length (073-88888888 is not 0738-8888888).
    let groups: Vec<&str> = s.split(|c: char| !c.is_ascii_digit() && c != '+').filter(|g| !g.is_empty()).collect();
    if let [first, _, ..] = groups[..] {
        if first.starts_with('0') && !first.starts_with("00") && first.len() != area_len(first) {
            return Err(LANDLINE_ERR);
        }
    }
    let main = phone_chars(s);
    let digits = match main.strip_prefix("+86").or_else(|| main.strip_prefix("0086")) {
        Some(rest) if !rest.starts_with('0') => format!("0{rest}"),
        Some(rest) => rest.to_owned(),
        None => main,
    };
    if !digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LANDLINE_ERR);
    }
    let (area, number) = digits.split_at(area_len(&digits).min(digits.len()));
    if !(7..=8).contains(&number.len()) || number.starts_with(['0', '1']) {
        return Err(LANDLINE_ERR);
    }
    Ok((area.to_owned(), number.to_owned()))
}

/// An email address: one @, a plain local part, a domain of at least two labels ending in letters. The
/// Chinese full stop 。 is read as a dot; the domain is lower-cased.
pub fn email(input: &str) -> Result<String, &'static str> {
    let s = normalize(input).replace(['。', '．'], ".");
    let (local, domain) = s.split_once('@').ok_or(EMAIL_ERR)?;
    let domain = domain.to_lowercase();
    let local_ok = (1..=64).contains(&local.len())
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(format!("{local}@{domain}"))
    } else {
        Err(EMAIL_ERR)
    }
}

/// A QQ number: 5-11 digits, not starting with 0 (spaces ignored).
pub fn qq(input: &str) -> Result<String, &'static str> {
    let s: String = normalize(input).chars().filter(|c| !c.is_whitespace()).collect();
    if (5..=11).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0') {
        Ok(s)
    } else {
        Err(QQ_ERR)
    }
}

/// A date: `2026-11-25`, `2026/11/25`, `2026.11.25`, `20261125` or `2026年11月25日` (号 too), one-digit
/// months and days allowed; years 1900-2100; checked against the calendar.
pub fn date(input: &str) -> Result<String, &'static str> {
    let s: String = normalize(input).chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.trim_end_matches(['日', '号', '.', '。']).replace(['年', '月', '/', '.'], "-");
    let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[..4], &s[4..6], &s[6..]]
    } else {
        s.split('-').collect()
    };
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
    };
    let &[y, m, d] = &parts[..] else { return Err(DATE_ERR) };
    let (Some(y), Some(m), Some(d)) = (num(y, 4..=4), num(m, 1..=2), num(d, 1..=2)) else { return Err(DATE_ERR) };
    if !(1900..=2100).contains(&y) {
        return Err(DATE_ERR);
    }
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(NO_SUCH_DAY);
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

// `u32::is_multiple_of` needs rustc 1.87; the workspace builds on 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
