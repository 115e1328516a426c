//! Results: participation (responses / members) and answer tallies for every
//! org of the audience, rolled up branch -> school -> province, and exports
//! with one row per response (identity columns only for named surveys).

mod export;
mod text;

use std::collections::{BTreeMap, HashMap};

use super::answer::Answer;
use super::def::Kind;
use super::{Question, Response, Survey, Surveys};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::store::decode;
use crate::store::survey_keys as keys;
use crate::tree::people::Role;
use crate::tree::reads::{Read, Sight};
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
                    return Err(Error::invalid(msg(
                        Msg::OutsideAudience,
                        &[("code", &o.code), ("name", &o.name), ("audience", &audience.name)],
                    )));
                }
                o
            }
            None => audience.clone(),
        };
        if let Some(by) = by {
            if org_code.is_none() && self.tree.sight(Some(by), Read::SurveyResults, &scope)? != Sight::All {
                // A school's official reads their own school's part.
                if let Some((o, _)) =
                    self.tree.roles_of(by)?.into_iter().find(|(o, r)| *r == Role::Official && o.is_within(&audience))
                {
                    scope = o;
                }
            }
            self.tree.check_read(Some(by), Read::SurveyResults, &scope)?;
        }
        compute(&self.tree, s, scope, self.now())
    }
}

fn compute(tree: &Tree, survey: Survey, scope: Org, now: u64) -> Result<Results> {
    let (by_id, members) = scope_orgs(tree, &scope)?;
    let mut rollup =
        Rollup { rows: BTreeMap::new(), depth: scope.path.len() - 1, by_id: &by_id, questions: &survey.def.questions };
    for (id, n) in &members {
        rollup.each_row(&by_id[id], |row| row.members += n);
    }
    let (responses, names) = tally_responses(tree, &survey, &mut rollup)?;
    let mut rows = rollup.rows;
    if !rows.contains_key(&scope.path) {
        rows.insert(scope.path.clone(), fresh(&scope, &survey.def.questions));
    }
    let level_keys = (0..tree.levels.len() as u8).map(|l| tree.levels.key(l).to_owned()).collect();
    Ok(Results { survey, scope, orgs: rows.into_values().collect(), responses, names, by_id, level_keys, now })
}

/// Every org of the scope and above it by id, and the member count of each
/// branch of the scope that has members.
fn scope_orgs(tree: &Tree, scope: &Org) -> Result<(HashMap<u32, Org>, HashMap<u32, u64>)> {
    let branch_level = (tree.levels.len() - 1) as u8;
    let mut by_id = HashMap::new();
    let mut members = HashMap::new();
    for a in tree.ancestors(scope)? {
        by_id.insert(a.id, a);
    }
    for o in tree.subtree(scope) {
        let o = o?;
        if o.level == branch_level {
            let n = tree.holders(o.id, Role::Member)?.len() as u64;
            if n > 0 {
                members.insert(o.id, n);
            }
        }
        by_id.insert(o.id, o);
    }
    Ok((by_id, members))
}

/// Adds every finished response of the survey to the rows of its branch's
/// path; returns the responses and the names of the people who gave them.
fn tally_responses(tree: &Tree, survey: &Survey, rollup: &mut Rollup) -> Result<(Vec<Response>, HashMap<u64, String>)> {
    let mut responses = Vec::new();
    let mut names = HashMap::new();
    let tag = if survey.def.anonymous { keys::ANONYMOUS } else { keys::RESPONSE };
    for kv in tree.store.surveys.scan_prefix(keys::prefix(tag, survey.id)) {
        let r: Response = decode(&kv?.1)?;
        let Some(b) = rollup.by_id.get(&r.branch) else { continue };
        rollup.each_row(b, |row| {
            row.responses += 1;
            for (t, a) in row.tallies.iter_mut().zip(&r.answers) {
                if let Some(a) = a {
                    t.add(a);
                }
            }
        });
        if let Some(p) = r.person {
            if let Some(person) = tree.person(p)? {
                names.insert(p, person.name);
            }
        }
        responses.push(r);
    }
    Ok((responses, names))
}

/// The rows being rolled up: one per org from the scope down to each
/// branch with members or responses, keyed by path (so in path order).
struct Rollup<'a> {
    rows: BTreeMap<Vec<u32>, OrgResult>,
    /// The scope's depth: rows start there, not at the root.
    depth: usize,
    by_id: &'a HashMap<u32, Org>,
    questions: &'a [Question],
}

impl Rollup<'_> {
    /// Applies `f` to the row of every org from the scope down to `branch`,
    /// making the rows that are missing.
    fn each_row(&mut self, branch: &Org, mut f: impl FnMut(&mut OrgResult)) {
        for i in self.depth..branch.path.len() {
            let path = branch.path[..=i].to_vec();
            f(self.rows.entry(path).or_insert_with(|| fresh(&self.by_id[&branch.path[i]], self.questions)));
        }
    }
}

/// An org's row before anything is counted.
fn fresh(o: &Org, questions: &[Question]) -> OrgResult {
    OrgResult {
        org: o.clone(),
        members: 0,
        responses: 0,
        tallies: questions.iter().map(|q| Tally::new(&q.kind)).collect(),
    }
}

/// The fewest respondents an anonymous survey's results or exports show
/// for one org: fewer would let the answers be traced to people.
pub const MIN_ANONYMOUS_GROUP: u64 = 5;

impl Results {
    /// Finished responses in `org`'s subtree.
    pub fn responses_in(&self, org: u32) -> u64 {
        self.orgs.iter().find(|r| r.org.id == org).map_or(0, |r| r.responses)
    }

    /// Whether the answers over the scope may be shown: always for named
    /// surveys, for anonymous ones only from MIN_ANONYMOUS_GROUP responses.
    pub fn answers_shown(&self) -> bool {
        !self.survey.def.anonymous || self.total().responses >= MIN_ANONYMOUS_GROUP
    }

    /// The row of one org (by code) in the scope.
    pub fn org(&self, code: &str) -> Option<&OrgResult> {
        self.orgs.iter().find(|r| r.org.code == code)
    }

    /// The scope's own row: totals over the whole scope.
    pub fn total(&self) -> &OrgResult {
        self.orgs.iter().find(|r| r.org.id == self.scope.id).expect("the scope has a row")
    }
}
