//! Campaign definitions: a TOML file read into a checked `Definition`
//! (`treecast campaign check FILE` prints every problem as `FILE:LINE:
//! what is wrong`). A campaign names its target (an org's subtree at one
//! level) and ordered steps, each with a deadline and a kind.

use serde::{Deserialize, Serialize};
use toml::value::Datetime;
use toml::Spanned;
use treecast_wire::Platform;

pub use crate::conversation::def::DefError;
use crate::conversation::def::{questions, RawQuestion, Report};
use crate::conversation::Question;
use crate::features::surveys::clock::{unix_of, CHINA};

/// A checked campaign definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub title: String,
    pub intro: String,
    /// The default launching org's code (the launcher may name another).
    pub org: Option<String>,
    /// The level key of the orgs that must complete the steps (`school`).
    pub level: String,
    /// Orgs with a step open hear this long before its deadline (0: never).
    pub remind_before_hours: u32,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub due: Due,
    pub kind: StepKind,
}

/// A step's deadline: a fixed time, or days after the launch at a time of
/// day (China time), so a shipped sample never lies in the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Due {
    At(u64),
    After { days: u32, minute: u16 },
}

impl Due {
    /// Unix seconds, for a campaign launched at `launched`.
    pub fn resolve(self, launched: u64) -> u64 {
        match self {
            Due::At(t) => t,
            Due::After { days, minute } => {
                // The launch day's China midnight, then the days and the time.
                let local = launched as i64 + CHINA;
                let midnight = local - local.rem_euclid(86_400) - CHINA;
                (midnight + days as i64 * 86_400 + minute as i64 * 60) as u64
            }
        }
    }
}

/// One submission per org (by any of its officials, or those above), or
/// one per person of the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Per {
    Org,
    Person,
}

/// How an official shows they follow: a second account linked (`/link`),
/// or the daily digest turned on (`/digest on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowBy {
    Link,
    Digest,
}

/// What completes a step. Stored with bincode: variants go at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepKind {
    /// A form filled in through the conversation engine.
    Form { per: Per, fields: Vec<Question> },
    /// The org has a bound chat (on one of these platforms; empty: any).
    Bind { platforms: Vec<Platform> },
    /// One of the org's officials follows (either way named).
    Follow { by: Vec<FollowBy> },
    /// The org (or an org below it) acknowledged a notice: this one, or
    /// the campaign's own announcement.
    Ack { notice: Option<u64> },
    /// An official of the parent marks it done.
    Manual,
}

impl StepKind {
    pub fn word(&self) -> &'static str {
        match self {
            StepKind::Form { .. } => "form",
            StepKind::Bind { .. } => "bind",
            StepKind::Follow { .. } => "follow",
            StepKind::Ack { .. } => "ack",
            StepKind::Manual => "manual",
        }
    }

    pub fn fields(&self) -> &[Question] {
        match self {
            StepKind::Form { fields, .. } => fields,
            _ => &[],
        }
    }
}

/// The most steps and form fields a campaign may have.
pub const MAX_STEPS: usize = 20;
pub const MAX_FIELDS: usize = 60;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDef {
    title: Spanned<String>,
    #[serde(default)]
    intro: String,
    target: Option<Spanned<RawTarget>>,
    remind_before_hours: Option<Spanned<i64>>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    org: Option<String>,
    level: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Option<Spanned<String>>,
    title: Spanned<String>,
    kind: Spanned<String>,
    due: Option<Spanned<Datetime>>,
    days: Option<Spanned<i64>>,
    at: Option<Spanned<String>>,
    per: Option<Spanned<String>>,
    platforms: Option<Spanned<Vec<String>>>,
    by: Option<Spanned<Vec<String>>>,
    notice: Option<Spanned<i64>>,
    #[serde(default)]
    fields: Vec<Spanned<RawQuestion>>,
}

/// Reads a definition; `file` names it in error messages. `levels` are
/// the tree's level keys (the target level must be one of them).
pub fn parse(file: &str, src: &str, levels: &[String]) -> Result<Definition, DefError> {
    let raw: RawDef = toml::from_str(src).map_err(|e| Report::toml_error(file, src, e))?;
    let mut r = Report::new(file, src);
    let def = check(raw, levels, &mut r);
    r.finish(def)
}

fn check(raw: RawDef, levels: &[String], r: &mut Report) -> Definition {
    if raw.title.get_ref().trim().is_empty() {
        r.at(raw.title.span().start, "`title` is empty");
    }
    let remind_before_hours = match &raw.remind_before_hours {
        Some(h) if !(0..=24 * 30).contains(h.get_ref()) => {
            r.at(h.span().start, "`remind_before_hours` must be between 0 and 720");
            0
        }
        Some(h) => *h.get_ref() as u32,
        None => 24,
    };
    let (org, level) = match &raw.target {
        None => {
            r.at(raw.title.span().start, "the campaign needs a [target] table with `level = \"school\"` (and `org`)");
            (None, String::new())
        }
        Some(t) => {
            let level = match &t.get_ref().level {
                Some(l) if levels.iter().any(|k| k == l.get_ref().trim()) => l.get_ref().trim().to_owned(),
                Some(l) => {
                    let known = levels.join(", ");
                    r.at(l.span().start, format!("no level `{}` in the tree: use one of {known}", l.get_ref()));
                    String::new()
                }
                None => {
                    r.at(t.span().start, "[target] needs `level`: the level of the orgs that must do the steps");
                    String::new()
                }
            };
            (t.get_ref().org.clone(), level)
        }
    };
    if raw.steps.is_empty() {
        r.at_end("the campaign has no steps: add [[steps]] tables");
    }
    if raw.steps.len() > MAX_STEPS {
        r.at(raw.steps[MAX_STEPS].span().start, format!("at most {MAX_STEPS} steps"));
    }
    let mut steps: Vec<Step> = Vec::new();
    for (i, s) in raw.steps.iter().enumerate() {
        let step = self::step(s, i, r);
        if let Some(id) = &s.get_ref().id {
            if steps.iter().any(|x| x.id == step.id) || step.id.is_empty() {
                r.at(id.span().start, format!("step id `{}` is empty or used twice", step.id));
            }
        }
        steps.push(step);
    }
    Definition {
        title: raw.title.into_inner().trim().to_owned(),
        intro: raw.intro.trim().to_owned(),
        org,
        level,
        remind_before_hours,
        steps,
    }
}

fn step(s: &Spanned<RawStep>, i: usize, r: &mut Report) -> Step {
    let raw = s.get_ref();
    let id = raw.id.as_ref().map(|x| x.get_ref().trim().to_owned()).unwrap_or(format!("step{}", i + 1));
    if raw.title.get_ref().trim().is_empty() {
        r.at(raw.title.span().start, "`title` is empty");
    }
    let due = due(raw, s.span().start, r);
    let word = raw.kind.get_ref().trim();
    let kind = match word {
        "form" | "表单" => form(raw, r),
        "bind" | "绑定" => StepKind::Bind { platforms: platforms(raw, r) },
        "follow" | "subscribe" | "关注" => StepKind::Follow { by: follow_by(raw, r) },
        "ack" | "确认" => StepKind::Ack {
            notice: match &raw.notice {
                Some(n) if *n.get_ref() <= 0 => {
                    r.at(n.span().start, "`notice` must be a notice number");
                    None
                }
                n => n.as_ref().map(|n| *n.get_ref() as u64),
            },
        },
        "manual" | "人工" => StepKind::Manual,
        other => {
            r.at(raw.kind.span().start, format!("unknown step kind `{other}`: use form, bind, follow, ack or manual"));
            StepKind::Manual
        }
    };
    let misplaced: [(&str, Option<usize>, bool); 5] = [
        ("fields", raw.fields.first().map(|f| f.span().start), matches!(kind, StepKind::Form { .. })),
        ("per", raw.per.as_ref().map(|x| x.span().start), matches!(kind, StepKind::Form { .. })),
        ("platforms", raw.platforms.as_ref().map(|x| x.span().start), matches!(kind, StepKind::Bind { .. })),
        ("by", raw.by.as_ref().map(|x| x.span().start), matches!(kind, StepKind::Follow { .. })),
        ("notice", raw.notice.as_ref().map(|x| x.span().start), matches!(kind, StepKind::Ack { .. })),
    ];
    for (key, at, fits) in misplaced {
        if let (Some(at), false) = (at, fits) {
            r.at(at, format!("`{key}` does not apply to a {} step", kind.word()));
        }
    }
    Step { id, title: raw.title.get_ref().trim().to_owned(), due, kind }
}

/// `due = <date>` or `days = N` (with `at = "HH:MM"`, default 23:59): exactly one.
fn due(raw: &RawStep, step_at: usize, r: &mut Report) -> Due {
    let minute = match &raw.at {
        None => 23 * 60 + 59,
        Some(a) => match crate::clock::parse_minute(a.get_ref()) {
            Some(m) => m,
            None => {
                r.at(
                    a.span().start,
                    format!("`at` is not a time of day: write it as \"12:00\" (got {:?})", a.get_ref()),
                );
                0
            }
        },
    };
    match (&raw.due, &raw.days) {
        (Some(_), Some(d)) => {
            r.at(d.span().start, "give either `due` or `days`, not both");
            Due::After { days: 1, minute }
        }
        (Some(d), None) => {
            if let Some(a) = &raw.at {
                r.at(a.span().start, "`at` goes with `days`; write the time in `due` itself");
            }
            match unix_of(d.get_ref(), true) {
                Some(t) if t > 0 => Due::At(t as u64),
                _ => {
                    r.at(d.span().start, "`due` needs a date, e.g. 2026-11-25T12:00:00 or 2026-11-30");
                    Due::At(0)
                }
            }
        }
        (None, Some(d)) => {
            let n = *d.get_ref();
            if !(0..=366).contains(&n) {
                r.at(d.span().start, "`days` must be between 0 and 366");
            }
            Due::After { days: n.clamp(0, 366) as u32, minute }
        }
        (None, None) => {
            r.at(step_at, "the step needs a deadline: `due = <date>` or `days = N`");
            Due::After { days: 1, minute }
        }
    }
}

fn form(raw: &RawStep, r: &mut Report) -> StepKind {
    let per = match raw.per.as_ref().map(|p| (p, p.get_ref().trim())) {
        None | Some((_, "org" | "组织")) => Per::Org,
        Some((_, "person" | "个人")) => Per::Person,
        Some((p, other)) => {
            r.at(p.span().start, format!("`per` is \"org\" or \"person\", not {other:?}"));
            Per::Org
        }
    };
    if raw.fields.is_empty() {
        r.at(raw.kind.span().start, "a form step needs fields: add [[steps.fields]] tables");
    }
    let fields = questions(&raw.fields, MAX_FIELDS, r);
    for (f, q) in raw.fields.iter().zip(&fields) {
        if !q.goto.is_empty() {
            r.at(f.span().start, "form fields do not branch: `goto` belongs to surveys");
        }
    }
    StepKind::Form { per, fields }
}

fn platforms(raw: &RawStep, r: &mut Report) -> Vec<Platform> {
    let Some(list) = &raw.platforms else { return Vec::new() };
    let mut out = Vec::new();
    for p in list.get_ref() {
        match Platform::parse(p.trim()) {
            Some(p) if !out.contains(&p) => out.push(p),
            Some(_) => {}
            None => r.at(list.span().start, format!("unknown platform `{p}`: use telegram, matrix, email or console")),
        }
    }
    out
}

fn follow_by(raw: &RawStep, r: &mut Report) -> Vec<FollowBy> {
    let Some(list) = &raw.by else { return vec![FollowBy::Link, FollowBy::Digest] };
    let mut out = Vec::new();
    for w in list.get_ref() {
        match w.trim() {
            "link" | "绑定账号" => out.push(FollowBy::Link),
            "digest" | "摘要" => out.push(FollowBy::Digest),
            other => r.at(list.span().start, format!("`by` takes \"link\" and \"digest\", not {other:?}")),
        }
    }
    if out.is_empty() {
        r.at(list.span().start, "`by` is empty: name \"link\", \"digest\" or both");
    }
    out
}
