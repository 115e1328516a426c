//! The compliance table: per step, how many target orgs within a scope are
//! done, late or still open, for the scope and for each of its children
//! (national -> province -> school), with the late ones named; exports of
//! the table and of the form submissions as CSV and .xlsx.

use std::collections::HashMap;
use std::path::Path;

use super::def::{Per, StepKind};
use super::store::{self, Campaign, Done, Submission};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::conversation::answer::number;
use crate::conversation::{Answer, Kind};
use crate::error::{Error, Result};
use crate::tree::Org;

/// Where one target stands on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Done {
        at: u64,
        late: bool,
    },
    /// Past the deadline and not done.
    Late,
    /// Not done, the deadline still to come.
    Open,
}

/// Counts of one step over a set of targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub done: usize,
    /// Of `done`, how many after the deadline.
    pub done_late: usize,
    pub late: usize,
    pub open: usize,
}

impl Counts {
    fn add(&mut self, s: State) {
        match s {
            State::Done { late, .. } => {
                self.done += 1;
                self.done_late += usize::from(late);
            }
            State::Late => self.late += 1,
            State::Open => self.open += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.done + self.late + self.open
    }
}

/// One row of the breakdown: a child of the scope and its counts per step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub org: Org,
    pub steps: Vec<Counts>,
}

/// A campaign's compliance within a scope, as of `now`.
#[derive(Debug, Clone)]
pub struct Status {
    pub campaign: Campaign,
    pub scope: Org,
    pub now: u64,
    /// Per step, over every target within the scope.
    pub steps: Vec<Counts>,
    /// Per child of the scope (or per target when the scope's children are
    /// the targets).
    pub rows: Vec<Row>,
    /// Every target within the scope with its state per step, in tree order.
    pub targets: Vec<(Org, Vec<State>)>,
}

/// How many late orgs the text names per step, and how many orgs below
/// it lists (all are in the exports).
const LATE_NAMED: usize = 30;
const ROWS_SHOWN: usize = 40;

/// Computes the table: one read of the completed rows, one of each target.
pub fn compute(cx: &Ctx, c: &Campaign, scope: &Org) -> Result<Status> {
    let now = cx.now();
    let done: HashMap<(u8, u32), Done> =
        store::done(cx.store(), c.id)?.into_iter().map(|(s, o, d)| ((s, o), d)).collect();
    let n = c.def.steps.len();
    let mut steps = vec![Counts::default(); n];
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of: HashMap<u32, usize> = HashMap::new();
    let mut targets = Vec::new();
    let child_level = scope.path.len();
    for &id in &c.targets {
        let Some(org) = cx.tree.get(id)? else { continue };
        if !org.path.starts_with(&scope.path) {
            continue;
        }
        let states: Vec<State> = (0..n)
            .map(|i| match done.get(&(i as u8, id)) {
                Some(d) => State::Done { at: d.at, late: d.at > c.dues[i] },
                None if now > c.dues[i] => State::Late,
                None => State::Open,
            })
            .collect();
        for (i, s) in states.iter().enumerate() {
            steps[i].add(*s);
        }
        if let Some(&child) = org.path.get(child_level) {
            let r = match row_of.get(&child) {
                Some(r) => *r,
                None => {
                    let Some(o) = cx.tree.get(child)? else { continue };
                    rows.push(Row { org: o, steps: vec![Counts::default(); n] });
                    row_of.insert(child, rows.len() - 1);
                    rows.len() - 1
                }
            };
            for (i, s) in states.iter().enumerate() {
                rows[r].steps[i].add(*s);
            }
        }
        targets.push((org, states));
    }
    // Shown in tree order (the provinces and schools as the tree lists them).
    targets.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    rows.sort_by(|a, b| a.org.path.cmp(&b.org.path));
    Ok(Status { campaign: c.clone(), scope: scope.clone(), now, steps, rows, targets })
}

fn mark(s: State) -> &'static str {
    match s {
        State::Done { late: false, .. } => "✓",
        State::Done { late: true, .. } => "✓(逾期)",
        State::Late => "✗ 逾期",
        State::Open => "…",
    }
}

impl Status {
    /// The table as chat text: the steps, the breakdown, the late orgs.
    pub fn to_text(&self) -> String {
        let c = &self.campaign;
        let mut t = msg(
            Msg::CampaignStatusHead,
            &[
                ("id", &c.id),
                ("title", &c.def.title),
                ("scope", &self.scope.name),
                ("n", &self.targets.len()),
                ("now", &show(self.now)),
            ],
        );
        for (i, (s, k)) in c.def.steps.iter().zip(&self.steps).enumerate() {
            t.push_str(&format!(
                "\n{}. {}（截止 due {}）：完成 done {}{}，逾期 late {}，未到期 open {}",
                i + 1,
                s.title,
                show(c.dues[i]),
                k.done,
                if k.done_late > 0 {
                    format!("（其中逾期完成 {} of them late）", k.done_late)
                } else {
                    String::new()
                },
                k.late,
                k.open
            ));
        }
        self.breakdown(&mut t);
        self.late_lists(&mut t);
        t
    }

    /// Per child org: a target's marks, or the counts of those below it.
    fn breakdown(&self, t: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        t.push_str(&format!("\n\n{}", Msg::CampaignStatusBreakdown.text()));
        for r in self.rows.iter().take(ROWS_SHOWN) {
            // A child that is itself a target shows its marks; one above the targets, its counts.
            let own = self.targets.iter().find(|(o, _)| o.id == r.org.id);
            let cells: Vec<String> = if let Some((_, states)) = own {
                states.iter().map(|s| mark(*s).to_owned()).collect()
            } else {
                r.steps
                    .iter()
                    .map(|k| {
                        let late = if k.late > 0 { format!("（逾期 late {}）", k.late) } else { String::new() };
                        format!("{}/{}{late}", k.done, k.total())
                    })
                    .collect()
            };
            t.push_str(&format!("\n· {} {}：{}", r.org.code, r.org.name, cells.join(" | ")));
        }
        if self.rows.len() > ROWS_SHOWN {
            t.push_str(&format!("\n{}", msg(Msg::CampaignMoreRows, &[("n", &(self.rows.len() - ROWS_SHOWN))])));
        }
    }

    /// Per step, the targets that are late (the first few named).
    fn late_lists(&self, t: &mut String) {
        let c = &self.campaign;
        for (i, s) in c.def.steps.iter().enumerate() {
            let late: Vec<&str> =
                self.targets.iter().filter(|(_, st)| st[i] == State::Late).map(|(o, _)| o.name.as_str()).collect();
            if late.is_empty() {
                continue;
            }
            let more = if late.len() > LATE_NAMED {
                format!(" 等 {} 个 and {} more", late.len(), late.len() - LATE_NAMED)
            } else {
                String::new()
            };
            let names: Vec<&str> = late.into_iter().take(LATE_NAMED).collect();
            t.push_str(&format!(
                "\n{}",
                msg(Msg::CampaignLateList, &[("step", &s.title), ("names", &format!("{}{more}", names.join("、")))])
            ));
        }
    }

    /// The tree columns (code and name per level below the root) of `org`.
    fn tree_columns(&self, cx: &Ctx, org: &Org, cache: &mut HashMap<u32, Org>) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for id in org.path.iter().skip(1) {
            let o = match cache.get(id) {
                Some(o) => o.clone(),
                None => {
                    let o = cx.tree.require_id(*id)?;
                    cache.insert(*id, o.clone());
                    o
                }
            };
            out.push(o.code);
            out.push(o.name);
        }
        Ok(out)
    }

    /// The tree columns' heads, from below the root down to the targets' level.
    fn level_heads(&self, cx: &Ctx) -> Vec<String> {
        let upto = cx.tree.levels.find(&self.campaign.def.level).unwrap_or(u8::MAX);
        let mut h = Vec::new();
        for (i, _) in cx.tree.levels.iter().skip(1).filter(|(i, _)| *i <= upto) {
            let k = cx.tree.levels.key(i);
            h.push(format!("{k}_code"));
            h.push(format!("{k}_name"));
        }
        h
    }

    /// The compliance table, one row per target: the tree columns, then
    /// each step's state and when it was done.
    pub fn table(&self, cx: &Ctx) -> Result<Table> {
        let mut head = self.level_heads(cx);
        for (i, s) in self.campaign.def.steps.iter().enumerate() {
            head.push(format!("{} {}", i + 1, s.title));
            head.push(format!("{} done_at", i + 1));
        }
        let mut rows = Vec::new();
        let mut cache = HashMap::new();
        for (org, states) in &self.targets {
            let mut row = self.tree_columns(cx, org, &mut cache)?;
            for s in states {
                let (word, at) = match s {
                    State::Done { at, late: false } => ("done 完成", show(*at)),
                    State::Done { at, late: true } => ("done late 逾期完成", show(*at)),
                    State::Late => ("late 逾期", String::new()),
                    State::Open => ("open 未完成", String::new()),
                };
                row.push(word.to_owned());
                row.push(at);
            }
            rows.push(row);
        }
        Ok(Table { sheet: "完成情况 Compliance", head, rows, numeric: Vec::new() })
    }

    /// The submissions to form step `step`, one row per target (per
    /// person: per submission), the tree columns first.
    pub fn forms(&self, cx: &Ctx, step: usize) -> Result<Table> {
        let c = &self.campaign;
        let Some(StepKind::Form { per, fields }) = c.def.steps.get(step).map(|s| &s.kind) else {
            return Err(Error::invalid(msg(Msg::CampaignNotAForm, &[("step", &(step + 1))])));
        };
        let mut head = self.level_heads(cx);
        head.extend(["submitted_by".to_owned(), "first_submitted".into(), "last_changed".into()]);
        let mut numeric = vec![false; head.len()];
        head.extend(fields.iter().map(|q| q.text.clone()));
        numeric.extend(fields.iter().map(|q| matches!(q.kind, Kind::Number { .. })));
        let mut by_org: HashMap<u32, Vec<Submission>> = HashMap::new();
        for s in store::submissions(cx.store(), c.id, step as u8)? {
            by_org.entry(s.org).or_default().push(s);
        }
        let mut rows = Vec::new();
        let mut cache = HashMap::new();
        let mut names: HashMap<u64, String> = HashMap::new();
        for (org, _) in &self.targets {
            let cols = self.tree_columns(cx, org, &mut cache)?;
            let subs = by_org.remove(&org.id).unwrap_or_default();
            if subs.is_empty() && *per == Per::Org {
                let mut row = cols;
                row.resize(head.len(), String::new());
                rows.push(row);
                continue;
            }
            for s in subs {
                let mut row = cols.clone();
                let name = match names.get(&s.person) {
                    Some(n) => n.clone(),
                    None => {
                        let n = cx.tree.person(s.person)?.map(|p| p.name).unwrap_or_default();
                        names.insert(s.person, n.clone());
                        n
                    }
                };
                row.extend([name, show(s.first), show(s.at)]);
                for (q, a) in fields.iter().zip(&s.answers) {
                    row.push(a.as_ref().map(|a| value(a, &q.kind)).unwrap_or_default());
                }
                rows.push(row);
            }
        }
        Ok(Table { sheet: "表单 Forms", head, rows, numeric })
    }
}

/// An answer as an export cell.
fn value(a: &Answer, kind: &Kind) -> String {
    let choice = |i: &u8| kind.choices().get(*i as usize).cloned().unwrap_or_default();
    match a {
        Answer::Number(n) => number(*n),
        Answer::Choice(i) => choice(i),
        Answer::Choices(v) => v.iter().map(choice).collect::<Vec<_>>().join("、"),
        _ => a.show(kind.choices()),
    }
}

/// A sheet to export.
pub struct Table {
    pub sheet: &'static str,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns written as numbers (number fields; a mobile or QQ number
    /// stays text: its digits are no quantity).
    numeric: Vec<bool>,
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(msg(Msg::OutFileUnwritable, &[("path", &path.display()), ("error", &e)]))
}

impl Table {
    /// CSV with a byte-order mark, so Excel on a Chinese Windows reads UTF-8.
    pub fn csv(&self, path: &Path) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        w.write_record(&self.head).map_err(|e| io(path, e))?;
        for r in &self.rows {
            w.write_record(r).map_err(|e| io(path, e))?;
        }
        w.into_inner().map_err(|e| io(path, e))
    }

    pub fn xlsx(&self, path: &Path) -> Result<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        let x = |e: rust_xlsxwriter::XlsxError| io(path, e);
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = wb.add_worksheet().set_name(self.sheet).map_err(x)?;
        for (c, h) in self.head.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(x)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v.parse::<f64>() {
                    Ok(n) if self.numeric.get(c).copied().unwrap_or(false) => {
                        sheet.write_number(r as u32 + 1, c as u16, n).map_err(x)?
                    }
                    _ => sheet.write_string(r as u32 + 1, c as u16, v).map_err(x)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(x)?;
        wb.save_to_buffer().map_err(x)
    }
}
