//! Results: participation (responses / members) and answer tallies for every
//! org of the audience, rolled up branch -> school -> province, and exports
//! with one row per response (identity columns only for named surveys).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::answer::{letter, number, Answer};
use super::def::Kind;
use super::{clock, Response, Survey, Surveys};
use crate::error::{Error, Result};
use crate::store::decode;
use crate::store::survey_keys as keys;
use crate::tree::auth::Action;
use crate::tree::people::Role;
use crate::tree::{Org, Tree};

/// Counts for one question in one org's subtree.
#[derive(Debug, Clone, PartialEq)]
pub enum Tally {
    /// Per choice (single, multi) or per rating value 1..=5 (index 0..5).
    Counts(Vec<u64>),
    Numbers {
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
    },
    Texts(u64),
}

impl Tally {
    fn new(kind: &Kind) -> Tally {
        match kind {
            Kind::Single { choices } | Kind::Multi { choices, .. } => Tally::Counts(vec![0; choices.len()]),
            Kind::Rating { .. } => Tally::Counts(vec![0; 5]),
            Kind::Number { .. } => Tally::Numbers { count: 0, sum: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY },
            Kind::Text { .. } | Kind::Field(_) => Tally::Texts(0),
        }
    }

    fn add(&mut self, a: &Answer) {
        match (self, a) {
            (Tally::Counts(v), Answer::Choice(i)) => bump(v, *i as usize),
            (Tally::Counts(v), Answer::Rating(r)) => bump(v, *r as usize - 1),
            (Tally::Counts(v), Answer::Choices(is)) => is.iter().for_each(|i| bump(v, *i as usize)),
            (Tally::Numbers { count, sum, min, max }, Answer::Number(n)) => {
                *count += 1;
                *sum += n;
                *min = min.min(*n);
                *max = max.max(*n);
            }
            (Tally::Texts(n), Answer::Text(_)) => *n += 1,
            _ => {}
        }
    }
}

fn bump(v: &mut [u64], i: usize) {
    if let Some(x) = v.get_mut(i) {
        *x += 1;
    }
}

/// One org's participation and tallies over its subtree.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgResult {
    pub org: Org,
    /// People with the Member role in branches of this subtree.
    pub members: u64,
    pub responses: u64,
    pub tallies: Vec<Tally>,
}

/// Everything `/survey results` and the exports show.
#[derive(Debug, Clone)]
pub struct Results {
    pub survey: Survey,
    /// The org whose subtree these results cover (the audience or a part of it).
    pub scope: Org,
    /// Every org of the scope with members or responses, in path order.
    pub orgs: Vec<OrgResult>,
    /// Finished responses in the scope (anonymous ones in random order).
    pub responses: Vec<Response>,
    /// Names of the people who answered (named surveys only).
    names: HashMap<u64, String>,
    /// Orgs by id, for the exports' org columns.
    by_id: HashMap<u32, Org>,
    level_keys: Vec<String>,
    now: u64,
}

impl Surveys {
    /// Results of survey `id` for `by` (None: the local operator, e.g. the
    /// CLI `treecast survey results ID`). `by` needs `RunSurvey` on the
    /// audience, or names an org inside it where they hold that right.
    pub fn results(&self, by: Option<u64>, id: u64) -> Result<Results> {
        self.results_in(by, id, None)
    }

    /// Results for the part of the audience below `org_code`.
    pub fn results_in(&self, by: Option<u64>, id: u64, org_code: Option<&str>) -> Result<Results> {
        let s = self.survey(id)?;
        let audience = self.tree.require_id(s.org)?;
        let mut scope = match org_code {
            Some(c) => {
                let o = self.tree.require(c)?;
                if !o.is_within(&audience) {
                    return Err(Error::invalid(format!(
                        "{} {} is outside the survey's audience {}",
                        o.code, o.name, audience.name
                    )));
                }
                o
            }
            None => audience.clone(),
        };
        if let Some(by) = by {
            if org_code.is_none() && !self.tree.allowed(by, Action::RunSurvey, &scope)? {
                // A school's official reads their own school's part.
                if let Some((o, _)) =
                    self.tree.roles_of(by)?.into_iter().find(|(o, r)| *r == Role::Official && o.is_within(&audience))
                {
                    scope = o;
                }
            }
            self.tree.check(by, Action::RunSurvey, &scope)?;
        }
        compute(&self.tree, s, scope, self.now())
    }
}

fn compute(tree: &Tree, survey: Survey, scope: Org, now: u64) -> Result<Results> {
    let branch_level = (tree.levels.len() - 1) as u8;
    let depth = scope.path.len() - 1;
    let mut by_id = HashMap::new();
    let mut rows: BTreeMap<Vec<u32>, OrgResult> = BTreeMap::new();
    let fresh = |o: &Org| OrgResult {
        org: o.clone(),
        members: 0,
        responses: 0,
        tallies: survey.def.questions.iter().map(|q| Tally::new(&q.kind)).collect(),
    };
    let mut members = HashMap::new();
    for a in tree.ancestors(&scope)? {
        by_id.insert(a.id, a);
    }
    for o in tree.subtree(&scope) {
        let o = o?;
        if o.level == branch_level {
            let n = tree.holders(o.id, Role::Member)?.len() as u64;
            if n > 0 {
                members.insert(o.id, n);
            }
        }
        by_id.insert(o.id, o);
    }
    let rows_of = |rows: &mut BTreeMap<Vec<u32>, OrgResult>, branch: &Org| {
        for i in depth..branch.path.len() {
            let path = branch.path[..=i].to_vec();
            rows.entry(path).or_insert_with(|| fresh(&by_id[&branch.path[i]]));
        }
    };
    for (id, n) in &members {
        let b = &by_id[id];
        rows_of(&mut rows, b);
        for i in depth..b.path.len() {
            rows.get_mut(&b.path[..=i]).expect("row").members += n;
        }
    }
    let mut responses = Vec::new();
    let mut names = HashMap::new();
    let tag = if survey.def.anonymous { keys::ANONYMOUS } else { keys::RESPONSE };
    for kv in tree.store.surveys.scan_prefix(keys::prefix(tag, survey.id)) {
        let r: Response = decode(&kv?.1)?;
        let Some(b) = by_id.get(&r.branch) else { continue };
        rows_of(&mut rows, b);
        for i in depth..b.path.len() {
            let row = rows.get_mut(&b.path[..=i]).expect("row");
            row.responses += 1;
            for (t, a) in row.tallies.iter_mut().zip(&r.answers) {
                if let Some(a) = a {
                    t.add(a);
                }
            }
        }
        if let Some(p) = r.person {
            if let Some(person) = tree.person(p)? {
                names.insert(p, person.name);
            }
        }
        responses.push(r);
    }
    if !rows.contains_key(&scope.path) {
        rows.insert(scope.path.clone(), fresh(&scope));
    }
    let level_keys = (0..tree.levels.len() as u8).map(|l| tree.levels.key(l).to_owned()).collect();
    Ok(Results { survey, scope, orgs: rows.into_values().collect(), responses, names, by_id, level_keys, now })
}

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        return "-".into();
    }
    format!("{:.1}%", a as f64 * 100.0 / b as f64)
}

impl Results {
    /// The row of one org (by code) in the scope.
    pub fn org(&self, code: &str) -> Option<&OrgResult> {
        self.orgs.iter().find(|r| r.org.code == code)
    }

    /// The scope's own row: totals over the whole scope.
    pub fn total(&self) -> &OrgResult {
        self.orgs.iter().find(|r| r.org.id == self.scope.id).expect("the scope has a row")
    }

    /// A chat-sized summary: participation overall and per child org (up to
    /// `limit`), then each question's tallies over the scope.
    pub fn to_text(&self, limit: usize) -> String {
        let s = &self.survey;
        let t = self.total();
        let state = if self.now >= s.closes { "已截止 closed" } else { "进行中 open" };
        let mut out = format!(
            "微调查 #{} 《{}》 · {} · {state}（截止 {}）\n参与 Participation: {}/{} ({})",
            s.id,
            s.def.title,
            self.scope.name,
            clock::show(s.closes),
            t.responses,
            t.members,
            pct(t.responses, t.members)
        );
        let kids: Vec<&OrgResult> = self.orgs.iter().filter(|r| r.org.parent == Some(self.scope.id)).collect();
        if !kids.is_empty() {
            out.push_str("\n按下级 By unit:");
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
                out.push_str(&format!("\n  … {} more / 另有 {} 个", kids.len() - limit, kids.len() - limit));
            }
        }
        for (i, (q, tally)) in s.def.questions.iter().zip(&t.tallies).enumerate() {
            out.push_str(&format!("\n\nQ{} ({}) {}", i + 1, q.kind.label(), q.text));
            match tally {
                Tally::Counts(v) => {
                    let answered: u64 = if matches!(q.kind, Kind::Multi { .. }) { t.responses } else { v.iter().sum() };
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
                            out.push_str(&format!("\n  平均 mean {:.2}", sum as f64 / count as f64));
                        }
                    }
                }
                Tally::Numbers { count, sum, min, max } => {
                    if *count == 0 {
                        out.push_str("\n  0 answers");
                    } else {
                        out.push_str(&format!(
                            "\n  n={count} 平均 mean {:.2} 最小 min {} 最大 max {}",
                            sum / *count as f64,
                            number(*min),
                            number(*max)
                        ));
                    }
                }
                Tally::Texts(n) => out.push_str(&format!("\n  {n} 条文字回答 text answers (see the export)")),
            }
        }
        out
    }

    /// Column headers of the exports.
    pub fn header(&self) -> Vec<String> {
        let mut h = vec!["#".to_owned()];
        if !self.survey.def.anonymous {
            h.extend(["person_id", "name", "submitted"].map(str::to_owned));
        }
        for k in self.level_keys.iter().skip(1) {
            h.push(format!("{k}_code"));
            h.push(format!("{k}_name"));
        }
        for (i, q) in self.survey.def.questions.iter().enumerate() {
            h.push(format!("Q{} {}", i + 1, q.text));
        }
        h
    }

    /// One export row per response, as strings.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.responses.iter().enumerate().map(|(n, r)| self.row(n, r)).collect()
    }

    fn row(&self, n: usize, r: &Response) -> Vec<String> {
        let mut row = vec![(n + 1).to_string()];
        if !self.survey.def.anonymous {
            let p = r.person.unwrap_or(0);
            row.push(p.to_string());
            row.push(self.names.get(&p).cloned().unwrap_or_default());
            row.push(r.at.map(clock::show).unwrap_or_default());
        }
        let mut cols = vec![None; self.level_keys.len()];
        if let Some(b) = self.by_id.get(&r.branch) {
            for o in b.path.iter().filter_map(|id| self.by_id.get(id)) {
                if let Some(c) = cols.get_mut(o.level as usize) {
                    *c = Some(o);
                }
            }
        }
        for o in cols.iter().skip(1) {
            row.push(o.map(|o| o.code.clone()).unwrap_or_default());
            row.push(o.map(|o| o.name.clone()).unwrap_or_default());
        }
        for (q, a) in self.survey.def.questions.iter().zip(&r.answers) {
            row.push(a.as_ref().map(|a| export_value(a, q)).unwrap_or_default());
        }
        row
    }

    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut w = csv::Writer::from_path(path).map_err(|e| io(path, e))?;
        w.write_record(self.header()).map_err(|e| io(path, e))?;
        for row in self.rows() {
            w.write_record(row).map_err(|e| io(path, e))?;
        }
        w.flush()?;
        Ok(())
    }

    /// An .xlsx workbook: sheet 答卷 (one row per response) and sheet 参与率
    /// (participation and tallies per org).
    pub fn write_xlsx(&self, path: &Path) -> Result<()> {
        use rust_xlsxwriter::{Format, Workbook};
        let x = |e: rust_xlsxwriter::XlsxError| io(path, e);
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = wb.add_worksheet().set_name("答卷 Responses").map_err(x)?;
        for (c, h) in self.header().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(x)?;
        }
        let first_answer = self.header().len() - self.survey.def.questions.len();
        for (r, row) in self.rows().iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let numeric = c >= first_answer
                    && matches!(
                        self.survey.def.questions[c - first_answer].kind,
                        Kind::Number { .. } | Kind::Rating { .. }
                    );
                match v.parse::<f64>() {
                    Ok(n) if numeric || c == 0 => sheet.write_number(r as u32 + 1, c as u16, n).map_err(x)?,
                    _ => sheet.write_string(r as u32 + 1, c as u16, v).map_err(x)?,
                };
            }
        }
        let sheet = wb.add_worksheet().set_name("参与率 Participation").map_err(x)?;
        let mut head =
            vec!["code".to_owned(), "name".into(), "level".into(), "members".into(), "responses".into(), "rate".into()];
        for (i, q) in self.survey.def.questions.iter().enumerate() {
            head.extend(tally_heads(i, &q.kind));
        }
        for (c, h) in head.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(x)?;
        }
        for (r, o) in self.orgs.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &o.org.code).map_err(x)?;
            sheet.write_string(r, 1, &o.org.name).map_err(x)?;
            sheet
                .write_string(r, 2, self.level_keys.get(o.org.level as usize).map(String::as_str).unwrap_or(""))
                .map_err(x)?;
            sheet.write_number(r, 3, o.members as f64).map_err(x)?;
            sheet.write_number(r, 4, o.responses as f64).map_err(x)?;
            if o.members > 0 {
                sheet.write_number(r, 5, o.responses as f64 / o.members as f64).map_err(x)?;
            }
            let mut c = 6u16;
            for t in &o.tallies {
                for v in tally_values(t) {
                    sheet.write_number(r, c, v).map_err(x)?;
                    c += 1;
                }
            }
        }
        wb.save(path).map_err(x)?;
        Ok(())
    }
}

fn tally_heads(i: usize, kind: &Kind) -> Vec<String> {
    match kind {
        Kind::Single { choices } | Kind::Multi { choices, .. } => {
            (0..choices.len()).map(|k| format!("Q{} {}", i + 1, letter(k as u8))).collect()
        }
        Kind::Rating { .. } => (1..=5).map(|k| format!("Q{} {k}★", i + 1)).collect(),
        Kind::Number { .. } => vec![format!("Q{} n", i + 1), format!("Q{} mean", i + 1)],
        Kind::Text { .. } | Kind::Field(_) => vec![format!("Q{} answers", i + 1)],
    }
}

fn tally_values(t: &Tally) -> Vec<f64> {
    match t {
        Tally::Counts(v) => v.iter().map(|n| *n as f64).collect(),
        Tally::Numbers { count, sum, .. } => vec![*count as f64, if *count > 0 { sum / *count as f64 } else { 0.0 }],
        Tally::Texts(n) => vec![*n as f64],
    }
}

/// An answer as an export cell: choice letters and texts, numbers plain.
fn export_value(a: &Answer, q: &super::Question) -> String {
    match a {
        Answer::Number(n) => number(*n),
        Answer::Rating(r) => r.to_string(),
        _ => a.show(q.kind.choices()),
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{}: could not write the export: {e}", path.display()))
}
