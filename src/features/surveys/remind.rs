//! Reminders before a survey closes, only to members who have not answered.

use treecast_wire::{Button, ButtonAction, Outbound};

use super::{clock, Survey, Surveys};
use crate::error::Result;
use crate::outbox::queue::{self, Queued};
use crate::schedule::{self, Job};
use crate::store::survey_keys as keys;
use crate::store::{encode, Keyspace, Writes};
use crate::tree::people::{Person, Role};

/// The kind of the scheduled pre-close reminder (run by the surveys feature).
pub const REMIND_JOB: &str = "survey.remind";
/// The kind of the job at closing time: the launcher hears how it went.
pub const CLOSE_JOB: &str = "survey.close";

impl Surveys {
    /// Schedules the pre-close reminder of `s` (if its definition asks for
    /// one) and the closing report to its launcher.
    pub(super) fn schedule_jobs(&self, s: &Survey) -> Result<()> {
        let mut w = Writes::default();
        let id = s.id.to_be_bytes().to_vec();
        let before = s.def.remind_before_hours as u64 * 3600;
        if before > 0 {
            let at = s.closes.saturating_sub(before).max(s.opens) * 1000;
            schedule::put(
                &self.tree.store,
                &mut w,
                at,
                &Job::new(REMIND_JOB, format!("{REMIND_JOB}:{}", s.id), id.clone()),
            )?;
        }
        schedule::put(
            &self.tree.store,
            &mut w,
            s.closes * 1000,
            &Job::new(CLOSE_JOB, format!("{CLOSE_JOB}:{}", s.id), id),
        )?;
        self.tree.store.commit(&w)
    }

    /// The closing report of survey `id` to whoever launched it: how many
    /// answered, and the command for the results. Nothing if it was closed
    /// early by hand (its closing time moved) and this is the old job.
    pub fn closing_writes(&self, id: u64) -> Result<Writes> {
        let mut w = Writes::default();
        let s = self.survey(id)?;
        if self.now() < s.closes {
            return Ok(w);
        }
        let Some(to) = self.tree.person(s.launched_by)?.and_then(|p| p.private_address()) else { return Ok(w) };
        let r = self.results(None, id)?;
        let (n, members) = (r.total().responses, r.total().members);
        let text = format!(
            "微调查 #{id}《{}》已截止，共 {n} 份回答（{members} 名团员）。发送 /survey results {id} 查看结果。\nSurvey #{id} \"{}\" is closed: {n} responses from {members} members. Send /survey results {id} for the results.",
            s.def.title, s.def.title
        );
        let mut msg = Outbound::reply(format!("sc{id}"), to, text);
        msg.kind = treecast_wire::OutboundKind::Private;
        queue::put(&self.tree.store, &mut w, &Queued::new(msg))?;
        Ok(w)
    }

    /// The reminder job of survey `id`: each member of the audience who has
    /// not answered gets one private message, and the survey is marked
    /// reminded, all in the returned writes. Nothing once it has closed.
    pub fn reminder_writes(&self, id: u64) -> Result<Writes> {
        let mut w = Writes::default();
        let due = self.due_reminders(id)?;
        if due.is_empty() {
            return Ok(w);
        }
        for q in &due {
            queue::put(&self.tree.store, &mut w, q)?;
        }
        let mut s = self.survey(id)?;
        s.reminded = true;
        w.put(Keyspace::Surveys, keys::survey(s.id), encode(&s));
        self.inner.cache.write().unwrap_or_else(|e| e.into_inner()).remove(&s.id);
        Ok(w)
    }

    /// The reminders survey `id` would send now: none once sent, before it
    /// opens or after it closes.
    pub fn due_reminders(&self, id: u64) -> Result<Vec<Queued>> {
        let s = self.survey(id)?;
        let now = self.now();
        if s.reminded || now < s.opens || now >= s.closes {
            return Ok(Vec::new());
        }
        Ok(self.not_answered(&s)?.iter().filter_map(|p| reminder(&s, p)).collect())
    }

    /// Members of the audience's branches who have no finished response.
    pub fn not_answered(&self, s: &Survey) -> Result<Vec<Person>> {
        let org = self.tree.require_id(s.org)?;
        let branch_level = (self.tree.levels.len() - 1) as u8;
        let mut out = Vec::new();
        for o in self.tree.subtree(&org) {
            let o = o?;
            if o.level != branch_level {
                continue;
            }
            for p in self.tree.holders(o.id, Role::Member)? {
                if !self.has_answered(s, p.id)? {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }
}

fn reminder(s: &Survey, p: &Person) -> Option<Queued> {
    let to = p.private_address()?;
    let t = clock::show(s.closes);
    let text = format!(
        "【微调查提醒】《{}》将于 {t} 截止，你还没有作答。请发送 /start {} 开始（共 {} 题）。\nReminder: the survey \"{}\" closes at {t} (China time) and you have not answered yet. Send /start {} to begin.",
        s.def.title, s.payload(), s.def.questions.len(), s.def.title, s.payload()
    );
    let mut msg = Outbound::reply(format!("sr{}-{}", s.id, p.id), to, text);
    msg.kind = treecast_wire::OutboundKind::Private;
    msg.buttons = vec![Button { label: "开始作答 Answer".into(), action: ButtonAction::StartPrivate(s.payload()) }];
    Some(Queued::new(msg))
}
