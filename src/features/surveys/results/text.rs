//! The chat-sized summary of survey results (`/survey results`).

use super::super::answer::{letter, number};
use super::super::def::Kind;
use super::super::{clock, Question};
use super::{OrgResult, Results, Tally};
use crate::catalogue::{msg, Msg};

impl Results {
    /// A chat-sized summary: participation overall and per child org (up to
    /// `limit`), then each question's tallies over the scope.
    pub fn to_text(&self, limit: usize) -> String {
        let t = self.total();
        let mut out = self.heading();
        self.push_units(&mut out, limit);
        if !self.answers_shown() {
            out.push_str("\n\n");
            out.push_str(&msg(Msg::ResultsHidden, &[("n", &super::MIN_ANONYMOUS_GROUP)]));
            return out;
        }
        for (i, (q, tally)) in self.survey.def.questions.iter().zip(&t.tallies).enumerate() {
            out.push_str(&format!("\n\nQ{} ({}) {}", i + 1, q.kind.label(), q.text));
            push_tally(&mut out, q, tally, t.responses);
        }
        out
    }

    /// The survey, the scope, whether it is open, and participation over the scope.
    fn heading(&self) -> String {
        let s = &self.survey;
        let t = self.total();
        let state = if self.now >= s.closes { Msg::ResultsClosed } else { Msg::ResultsOpen };
        msg(
            Msg::ResultsHeading,
            &[
                ("id", &s.id),
                ("title", &s.def.title),
                ("scope", &self.scope.name),
                ("state", &state.text()),
                ("closes", &clock::show(s.closes)),
                ("responses", &t.responses),
                ("members", &t.members),
                ("share", &pct(t.responses, t.members)),
            ],
        )
    }

    /// Participation per child org of the scope, the first `limit` of them.
    fn push_units(&self, out: &mut String, limit: usize) {
        let kids: Vec<&OrgResult> = self.orgs.iter().filter(|r| r.org.parent == Some(self.scope.id)).collect();
        if kids.is_empty() {
            return;
        }
        out.push('\n');
        out.push_str(Msg::ResultsByUnit.text());
        for r in kids.iter().take(limit) {
            out.push_str(&format!(
                "\n  {} {} {}/{} ({})",
                r.org.code,
                r.org.name,
                r.responses,
                r.members,
                pct(r.responses, r.members)
            ));
        }
        if kids.len() > limit {
            out.push_str(&format!("\n  {}", msg(Msg::AndMore, &[("n", &(kids.len() - limit))])));
        }
    }
}

/// One question's tally over the scope; `responses` is the scope's count.
fn push_tally(out: &mut String, q: &Question, tally: &Tally, responses: u64) {
    match tally {
        Tally::Counts(v) => push_counts(out, q, v, responses),
        Tally::Numbers { count, sum, min, max } => {
            let line = if *count == 0 {
                Msg::ResultsNoNumbers.text().to_owned()
            } else {
                let mean = format!("{:.2}", sum / *count as f64);
                let (min, max) = (number(*min), number(*max));
                msg(Msg::ResultsNumbers, &[("count", count), ("mean", &mean), ("min", &min), ("max", &max)])
            };
            out.push_str(&format!("\n  {line}"));
        }
        Tally::Texts(n) => out.push_str(&format!("\n  {}", msg(Msg::ResultsTexts, &[("n", n)]))),
    }
}

/// Counts per choice or per star, as shares of those who answered (of every
/// response for a multiple choice), and a rating's mean.
fn push_counts(out: &mut String, q: &Question, v: &[u64], responses: u64) {
    let answered: u64 = if matches!(q.kind, Kind::Multi { .. }) { responses } else { v.iter().sum() };
    for (k, n) in v.iter().enumerate() {
        let label = match &q.kind {
            Kind::Rating { .. } => format!("{} ★", k + 1),
            _ => format!("{}. {}", letter(k as u8), q.kind.choices()[k]),
        };
        out.push_str(&format!("\n  {label} — {n} ({})", pct(*n, answered)));
    }
    if let Kind::Rating { .. } = q.kind {
        let sum: u64 = v.iter().enumerate().map(|(k, n)| (k as u64 + 1) * n).sum();
        let count: u64 = v.iter().sum();
        if count > 0 {
            let mean = format!("{:.2}", sum as f64 / count as f64);
            out.push_str(&format!("\n  {}", msg(Msg::ResultsMean, &[("mean", &mean)])));
        }
    }
}

/// `a` as a percentage of `b`, or `-` when `b` is zero.
fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        return "-".into();
    }
    format!("{:.1}%", a as f64 * 100.0 / b as f64)
}
