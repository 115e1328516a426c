//! Micro-surveys (微调查) as bot conversations: definitions from TOML files,
//! launch as a notice with an "answer privately" button, one question at a
//! time in a private chat, results rolled up branch -> school -> province.

mod admin;
mod answering;
mod chat;
pub mod clock;
mod commands;
pub mod def;
mod feature;
mod launch;
mod remind;
pub mod results;
mod web;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conversation;
#[cfg(test)]
mod tests_results;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde::{Deserialize, Serialize};
use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Caps;
pub use crate::conversation::answer;
use crate::conversation::Progress;
use crate::error::{Error, Result};
use crate::notice::NoticeRules;
use crate::registry::{reply_to, Handled};
use crate::store::survey_keys as keys;
use crate::store::Writes;
use crate::store::{decode, encode, Keyspace};
// The tests name `Person` through `use super::*`; the code here no longer does.
/// Moves answer `r` (at `key`) of survey `survey` to a random key without
/// its person: it still counts, and nothing leads back to who gave it.
fn unname(survey: u64, key: &[u8], mut r: Response, w: &mut Writes) {
    r.person = None;
    // The top bit set: never a person's id.
    let slot: u64 = rand::random::<u64>() | 1 << 63;
    w.remove(Keyspace::Surveys, key);
    w.put(Keyspace::Surveys, keys::survey_person(keys::RESPONSE, survey, slot), encode(&r));
}

#[cfg(test)]
use crate::tree::people::Person;
use crate::tree::Tree;
pub use answer::Answer;
pub use def::{Definition, Kind, Question};
pub use feature::SurveyFeature;
pub use launch::Launched;
pub use remind::{CLOSE_JOB, REMIND_JOB};
pub use results::Results;

/// A launched survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub id: u64,
    /// File stem of the definition (`/survey launch NAME`).
    pub name: String,
    pub def: Definition,
    /// The audience: members of branches in this org's subtree.
    pub org: u32,
    pub launched_by: u64,
    pub opens: u64,
    pub closes: u64,
    /// The announcement notice.
    pub notice: Option<u64>,
    /// The pre-close reminder has been handed out.
    pub reminded: bool,
    /// Salt of the anonymous "has answered" markers.
    salt: [u8; 16],
}

impl Survey {
    /// The deep-link payload that opens this survey in a private chat.
    pub fn payload(&self) -> String {
        format!("s{}", self.id)
    }
}

/// One person's way through one survey, kept until they finish or cancel:
/// the engine's progress between the survey's own fields. bincode writes
/// nested structs inline, so the row reads as it did when these fields were
/// flat; `answering::Row` writes the same layout from borrowed progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Conversation {
    branch: u32,
    progress: Progress,
    /// Anonymous surveys: the random key the response will be stored under,
    /// so a finish repeated after a crash writes the same row. Deleted with
    /// the conversation, after which nothing links the person to it.
    slot: Option<[u8; 16]>,
}

/// A finished response. Anonymous ones carry neither person nor time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub person: Option<u64>,
    pub branch: u32,
    pub answers: Vec<Option<Answer>>,
    pub at: Option<u64>,
}

/// A survey with its text patterns compiled, cached in memory.
pub(crate) struct Loaded {
    survey: Survey,
    patterns: Vec<Option<Regex>>,
}

impl Loaded {
    fn new(survey: Survey) -> Loaded {
        let patterns = crate::conversation::question::compile_patterns(&survey.def.questions);
        Loaded { survey, patterns }
    }

    fn def(&self) -> &Definition {
        &self.survey.def
    }
}

/// Settings and caches shared by every clone.
struct Inner {
    dir: RwLock<PathBuf>,
    rules: RwLock<NoticeRules>,
    cache: RwLock<HashMap<u64, Arc<Loaded>>>,
    /// Fixed "now" for tests; 0 means the system clock.
    clock: AtomicU64,
    /// What each connected platform can do (answer buttons where they work).
    caps: RwLock<Caps>,
    /// Finished responses and their events, committed with the batch.
    pending: std::sync::Mutex<Pending>,
}

/// What the batch being handled finished, committed together at its end.
#[derive(Default)]
struct Pending {
    /// Response rows and answered markers.
    writes: Writes,
    /// Per survey, the (branch, person) answers for its `SurveyAnswered` event.
    answered: std::collections::BTreeMap<u64, Vec<(u32, Option<u64>)>>,
    /// (survey, person) finished in this batch: read as answered before the
    /// commit lands.
    finished: std::collections::HashSet<(u64, u64)>,
    /// (survey, person) whose conversation ended with a response in this
    /// batch: read as gone, removed by the commit (unless begun again).
    ended: std::collections::HashSet<(u64, u64)>,
}

/// The survey engine: a cheap handle over the tree and the `surveys` sled tree.
#[derive(Clone)]
pub struct Surveys {
    tree: Tree,
    inner: Arc<Inner>,
}

impl Surveys {
    pub fn new(tree: Tree) -> Surveys {
        let rules = NoticeRules {
            footer: crate::config::DEFAULT_FOOTER.into(),
            max_attachment_bytes: 0,
            remind_before: Default::default(),
        };
        Surveys {
            tree,
            inner: Arc::new(Inner {
                dir: RwLock::new(PathBuf::from("config/surveys")),
                rules: RwLock::new(rules),
                cache: RwLock::new(HashMap::new()),
                clock: AtomicU64::new(0),
                caps: RwLock::new(Caps::default()),
                pending: Default::default(),
            }),
        }
    }

    /// Keeps `w` (a finished response of `person`) to commit with the batch
    /// being handled.
    fn defer(&self, w: Writes, survey: u64, person: u64, answered: (u32, Option<u64>)) {
        let mut p = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.writes.extend(w);
        p.answered.entry(survey).or_default().push(answered);
        p.finished.insert((survey, person));
        p.ended.insert((survey, person));
    }

    /// Whether `person` finished `survey` in the batch not yet committed.
    fn finished_now(&self, survey: u64, person: u64) -> bool {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()).finished.contains(&(survey, person))
    }

    /// Whether `person`'s conversation on `survey` ended in this batch.
    fn ended_now(&self, survey: u64, person: u64) -> bool {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()).ended.contains(&(survey, person))
    }

    /// A conversation saved anew is not ended by the batch's commit.
    fn resumed(&self, survey: u64, person: u64) {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()).ended.remove(&(survey, person));
    }

    /// Commits the finished responses of the batch being handled with one
    /// `SurveyAnswered` event per survey, in one transaction (the gateway
    /// calls it before its flush). An event per response cost a fifth of
    /// the answer throughput.
    pub fn commit_pending(&self) -> Result<()> {
        let Pending { writes: mut w, answered, ended, .. } =
            std::mem::take(&mut *self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let at = self.tree.clock.now_ms();
        for (survey, answered) in answered {
            crate::events::emit(&mut w, at, &crate::events::Event::SurveyAnswered { survey, answered });
        }
        // A failed commit ends no conversation: each keeps its answers.
        self.tree.store.commit(&w)?;
        // Then the conversations end, by plain removes: inside the
        // transaction they made it cost 1.25x plain writes, 1.11x without
        // them (callgrind, benches/survey_finish_sled.rs).
        // A crash between the two leaves a finished conversation, which
        // `begin` drops (anonymous) or asks its last question again,
        // storing the same response under the same key.
        let t = &self.tree.store.surveys;
        for (survey, person) in ended {
            t.remove(keys::survey_person(keys::CONVERSATION, survey, person))?;
        }
        Ok(())
    }

    /// The connected platforms' capabilities (the app's, shared).
    pub fn set_caps(&self, caps: Caps) {
        *self.inner.caps.write().unwrap_or_else(|e| e.into_inner()) = caps;
    }

    /// Whether replies in the chat of `ev` carry answer buttons: where the
    /// platform's adapter says it shows buttons.
    fn shows_buttons(&self, ev: &Inbound) -> bool {
        self.inner.caps.read().unwrap_or_else(|e| e.into_inner()).of(ev.chat.platform).buttons
    }

    /// Where `/survey launch NAME` finds `NAME.toml` (config `[surveys] dir`).
    pub fn set_dir(&self, dir: impl Into<PathBuf>) {
        *self.inner.dir.write().unwrap_or_else(|e| e.into_inner()) = dir.into();
    }

    /// Footer and limits for announcement notices (the gateway's rules).
    pub fn set_rules(&self, rules: NoticeRules) {
        *self.inner.rules.write().unwrap_or_else(|e| e.into_inner()) = rules;
    }

    /// Fixes the clock (unix seconds) for tests; None returns to the system clock.
    pub fn set_clock(&self, now: Option<u64>) {
        self.inner.clock.store(now.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn now(&self) -> u64 {
        match self.inner.clock.load(Ordering::Relaxed) {
            0 => self.tree.clock.now(),
            t => t,
        }
    }

    /// A launched survey by id.
    pub fn survey(&self, id: u64) -> Result<Survey> {
        Ok(self.load(id)?.survey.clone())
    }

    /// `person`'s named answers and the surveys they are answering: (answers, open).
    pub fn held_for(&self, person: u64) -> Result<(usize, usize)> {
        let t = &self.tree.store.surveys;
        let (mut named, mut open) = (0, 0);
        for s in self.all()? {
            named += usize::from(t.contains_key(keys::survey_person(keys::RESPONSE, s.id, person))?);
            open += usize::from(t.contains_key(keys::survey_person(keys::CONVERSATION, s.id, person))?);
        }
        Ok((named, open))
    }

    /// Forgets `person` (`/forget`): conversations under way end; each named
    /// answer stays in the results, moved to a random key without a person,
    /// so counts and tallies hold and nothing leads back to them.
    pub fn forget_person(&self, person: u64, w: &mut Writes) -> Result<()> {
        let t = &self.tree.store.surveys;
        for s in self.all()? {
            w.remove(Keyspace::Surveys, keys::survey_person(keys::CONVERSATION, s.id, person));
            let key = keys::survey_person(keys::RESPONSE, s.id, person);
            if let Some(v) = t.get(key)? {
                unname(s.id, &key, decode(&v)?, w);
            }
        }
        w.remove(Keyspace::Surveys, keys::active(person));
        Ok(())
    }

    /// Named surveys closed more than `days` ago: each answer still naming
    /// its person moves to a random key without one (counts and tallies
    /// stay). Returns how many answers it unnamed.
    pub fn unname_answers(&self, days: u32, w: &mut Writes) -> Result<usize> {
        let t = &self.tree.store.surveys;
        let mut n = 0;
        for s in self.all()? {
            if s.def.anonymous || s.closes + u64::from(days) * 86_400 > self.now() {
                continue;
            }
            for kv in t.scan_prefix(keys::prefix(keys::RESPONSE, s.id)) {
                let (k, v) = kv?;
                let r: Response = decode(&v)?;
                if r.person.is_some() {
                    unname(s.id, &k, r, w);
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Every launched survey, oldest first.
    pub fn all(&self) -> Result<Vec<Survey>> {
        let mut out = Vec::new();
        for kv in self.tree.store.surveys.scan_prefix([keys::SURVEY]) {
            out.push(decode(&kv?.1)?);
        }
        Ok(out)
    }

    fn load(&self, id: u64) -> Result<Arc<Loaded>> {
        if let Some(l) = self.inner.cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(l.clone());
        }
        let v = self
            .tree
            .store
            .surveys
            .get(keys::survey(id))?
            .ok_or_else(|| Error::not_found(msg(Msg::NoSurvey, &[("id", &id)])))?;
        let l = Arc::new(Loaded::new(decode(&v)?));
        self.inner.cache.write().unwrap_or_else(|e| e.into_inner()).insert(id, l.clone());
        Ok(l)
    }

    fn put_survey(&self, s: &Survey) -> Result<()> {
        self.tree.store.surveys.insert(keys::survey(s.id), encode(s))?;
        self.inner.cache.write().unwrap_or_else(|e| e.into_inner()).remove(&s.id);
        Ok(())
    }

    pub(crate) fn active(&self, person: u64) -> Result<Option<u64>> {
        let key = keys::active(person);
        // The key is named only when the value is wrong: formatting it on
        // every read was a tenth of an answer's instructions (callgrind).
        let v = self.tree.store.surveys.get(key)?;
        v.map(|v| crate::store::keys::val_u64(Keyspace::Surveys, &key, &v)).transpose()
    }

    fn conversation(&self, survey: u64, person: u64) -> Result<Option<Conversation>> {
        if self.ended_now(survey, person) {
            return Ok(None);
        }
        match self.tree.store.surveys.get(keys::survey_person(keys::CONVERSATION, survey, person))? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Whether `person` has a finished response to `s`.
    fn has_answered(&self, s: &Survey, person: u64) -> Result<bool> {
        if self.finished_now(s.id, person) {
            return Ok(true);
        }
        let key = if s.def.anonymous {
            keys::survey_opaque(keys::ANSWERED, s.id, &keys::marker(&s.salt, s.id, person)).to_vec()
        } else {
            keys::survey_person(keys::RESPONSE, s.id, person).to_vec()
        };
        Ok(self.tree.store.surveys.contains_key(key)?)
    }

    /// Ends collection now (by an official of the audience, or the CLI with None).
    pub fn close(&self, by: Option<u64>, id: u64) -> Result<Survey> {
        let mut s = self.survey(id)?;
        if let Some(by) = by {
            self.tree.check(by, crate::tree::auth::Action::RunSurvey, &self.tree.require_id(s.org)?)?;
        }
        s.closes = s.closes.min(self.now());
        self.put_survey(&s)?;
        Ok(s)
    }
}

/// Survey buttons carry `sv:SURVEY:QUESTION:CHOICE`.
const BUTTON_TAG: &str = "sv";

fn say(ev: &Inbound, text: impl Into<String>) -> Handled {
    Handled { replies: vec![reply_to(ev, text)], rejected: None }
}

fn unknown_person() -> Error {
    Error::denied(Msg::SurveyUnknownPerson.text())
}

/// `s12`, `S12`, `#12` or `12`.
pub fn parse_survey_id(s: &str) -> Option<u64> {
    let s = answer::normalize(s);
    let s = s.trim_start_matches(['s', 'S', '#']);
    s.parse().ok().filter(|n| *n > 0)
}
