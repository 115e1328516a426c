//! The officials' daily digest (每日摘要): each morning (08:30 China time
//! unless configured or chosen otherwise), on their preferred platform and
//! only when something waits, what every feature has for them: unread
//! letters and reports, replies to their notices awaiting an answer, their
//! notices with unacknowledged orgs, surveys closing soon. Items due within
//! a day are not held for it: a sweep every half hour sends them at once.
//!
//! The features contribute through `Feature::digest`; this one owns only
//! the timing, the preferences (`/digest off`, `/digest 07:30`) and the text.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use treecast_wire::{Inbound, Outbound, OutboundKind};

use crate::catalogue::{msg, Msg};
use crate::clock::{next_china_minute, show};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::outbox::queue::{self, Queued};
use crate::registry::{CommandSpec, Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation, Who};
use crate::schedule::{self, Job};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Writes};
use crate::tree::people::{Person, Role};
use crate::tree::Org;

pub use crate::config::digest::Settings;

const SEND_JOB: &str = "digest.send";
const URGENT_JOB: &str = "digest.urgent";
/// person -> Pref
const PREFS: Keyspace = Keyspace::Named("digest.prefs");
/// minute of the day ++ person -> () : people who chose another time
const SLOTS: Keyspace = Keyspace::Named("digest.slots");
/// person ++ item key -> () : urgent items already sent
const ALERTED: Keyspace = Keyspace::Named("digest.alerted");
/// How often due items are looked for.
const URGENT_EVERY_SECS: u64 = 30 * 60;
/// Items due this soon are sent at once.
const URGENT_WITHIN_SECS: u64 = 24 * 3600;

pub use crate::clock::parse_minute as parse_time;

fn show_time(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// One person's choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pref {
    off: bool,
    /// Their own time; none: the configured one.
    minute: Option<u16>,
}

fn pref(cx: &Ctx, person: u64) -> Result<Pref> {
    let key = person.to_be_bytes();
    match cx.store().tree(PREFS)?.get(key)? {
        Some(v) => decode_at(PREFS, &key, &v),
        None => Ok(Pref::default()),
    }
}

fn slot_key(minute: u16, person: u64) -> Vec<u8> {
    [&minute.to_be_bytes()[..], &person.to_be_bytes()].concat()
}

pub struct Digest {
    /// Every other feature: each may add to the digest.
    sources: Vec<Arc<dyn Feature>>,
}

impl Digest {
    pub fn new(sources: Vec<Arc<dyn Feature>>) -> Digest {
        Digest { sources }
    }

    /// Each feature's part, read once for a run.
    fn sources<'a>(&'a self, cx: &Ctx) -> Result<Vec<Box<dyn DigestSource + 'a>>> {
        let mut out = Vec::new();
        for f in &self.sources {
            out.extend(f.digest(cx)?);
        }
        Ok(out)
    }

    /// Every item for `person`, soonest due first within each section.
    fn items(
        cx: &Ctx,
        sources: &[Box<dyn DigestSource + '_>],
        person: &Person,
        orgs: &[Org],
    ) -> Result<Vec<DigestItem>> {
        let mut items = Vec::new();
        for s in sources {
            items.extend(s.items(cx, person, orgs)?);
        }
        items.sort_by_key(|i| (i.section.0, i.due.is_none(), i.due));
        Ok(items)
    }

    /// Officials due a digest at `minute`: (person, their orgs).
    fn recipients(&self, cx: &Ctx, minute: u16) -> Result<Vec<(Person, Vec<Org>)>> {
        let mut people: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        if minute == cx.config.digest.minute {
            for row in cx.store().officials() {
                let (person, org) = row?;
                people.entry(person).or_default().push(org);
            }
        }
        for k in cx.store().tree(SLOTS)?.scan_prefix(minute.to_be_bytes()).keys() {
            let k = k?;
            let person = read_u64_at(&k, 2, "digest.slots")?;
            people.entry(person).or_default();
        }
        let mut out = Vec::new();
        for (id, orgs) in people {
            let p = pref(cx, id)?;
            if p.off || p.minute.is_some_and(|m| m != minute) {
                continue;
            }
            let Some(person) = cx.tree.person(id)? else { continue };
            let orgs = if orgs.is_empty() { official_orgs(cx, id)? } else { load_orgs(cx, &orgs)? };
            if !orgs.is_empty() {
                out.push((person, orgs));
            }
        }
        Ok(out)
    }

    /// Builds and queues the digest of everyone due at `minute`.
    fn send(&self, cx: &Ctx, minute: u16, w: &mut Writes) -> Result<usize> {
        let sources = self.sources(cx)?;
        let day = (cx.now() as i64 + crate::clock::CHINA).div_euclid(86_400);
        let mut sent = 0;
        for (person, orgs) in self.recipients(cx, minute)? {
            let items = Self::items(cx, &sources, &person, &orgs)?;
            if items.is_empty() {
                continue;
            }
            let Some(to) = person.private_address() else { continue };
            let text = render(&items);
            let mut m = Outbound::reply(format!("digest-{}-{day}", person.id), to, text);
            m.kind = OutboundKind::Private;
            m.title = Some(msg(Msg::DigestTitle, &[("date", &show(cx.now()))]).into());
            queue::put(cx.store(), w, &Queued::new(m))?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Sends at once, to each official not opted out, what falls due within a
    /// day and was not sent before.
    fn urgent(&self, cx: &Ctx, w: &mut Writes) -> Result<usize> {
        let sources = self.sources(cx)?;
        let alerted = cx.store().tree(ALERTED)?;
        let now = cx.now();
        let mut people: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for row in cx.store().officials() {
            let (person, org) = row?;
            people.entry(person).or_default().push(org);
        }
        let mut sent = 0;
        for (id, orgs) in people {
            if pref(cx, id)?.off {
                continue;
            }
            let Some(person) = cx.tree.person(id)? else { continue };
            let orgs = load_orgs(cx, &orgs)?;
            let mut due = Vec::new();
            for item in Self::items(cx, &sources, &person, &orgs)? {
                let soon = item.due.is_some_and(|d| d > now && d <= now + URGENT_WITHIN_SECS);
                let key = [&id.to_be_bytes()[..], item.key.as_bytes()].concat();
                if soon && !alerted.contains_key(&key)? {
                    w.put(ALERTED, key, Vec::new());
                    due.push(item);
                }
            }
            let Some(to) = person.private_address().filter(|_| !due.is_empty()) else { continue };
            let mut text = Msg::DigestUrgentHead.text().to_owned();
            text.push_str(&render(&due));
            let mut m = Outbound::reply(format!("urgent-{id}-{now}"), to, text);
            m.kind = OutboundKind::Private;
            m.title = Some(Msg::DigestUrgentTitle.text().into());
            queue::put(cx.store(), w, &Queued::new(m))?;
            sent += 1;
        }
        Ok(sent)
    }

    /// `/digest` without a value: the setting and what the digest says now.
    fn preview(&self, cx: &Ctx, p: &Person) -> Result<String> {
        let pr = pref(cx, p.id)?;
        let minute = pr.minute.unwrap_or(cx.config.digest.minute);
        let mut out = if pr.off {
            Msg::DigestIsOff.text().to_owned()
        } else {
            msg(Msg::DigestIsOn, &[("time", &show_time(minute))])
        };
        let orgs = official_orgs(cx, p.id)?;
        let items = Self::items(cx, &self.sources(cx)?, p, &orgs)?;
        if items.is_empty() {
            out.push_str(&format!("\n{}", Msg::DigestNothingNow.text()));
        } else {
            out.push_str(&format!("\n{}\n{}", Msg::DigestNow.text(), render(&items)));
        }
        Ok(out)
    }

    /// Makes sure the job for `minute` is scheduled.
    fn ensure_slot(cx: &Ctx, minute: u16) -> Result<()> {
        let key = format!("{SEND_JOB}:{}", show_time(minute));
        if schedule::due_at(cx.store(), &key)?.is_none() {
            let job = Job::new(SEND_JOB, key, minute.to_be_bytes().to_vec());
            schedule::schedule(cx.store(), next_china_minute(cx.now(), minute as u32) * 1000, &job)?;
        }
        Ok(())
    }
}

/// Moves the next run at the configured time to now: the demo's "next morning".
pub fn bring_forward(cx: &Ctx) -> Result<()> {
    let minute = cx.config.digest.minute;
    let job = Job::new(SEND_JOB, format!("{SEND_JOB}:{}", show_time(minute)), minute.to_be_bytes().to_vec());
    schedule::schedule(cx.store(), cx.clock.now_ms(), &job)
}

/// Moves the next half-hourly check for items due within a day to now (the benchmark's).
pub fn bring_forward_check(cx: &Ctx) -> Result<()> {
    schedule::schedule(cx.store(), cx.clock.now_ms(), &Job::new(URGENT_JOB, URGENT_JOB, Vec::new()))
}

/// The digest's text: each section under its heading, then how to change it.
fn render(items: &[DigestItem]) -> String {
    let mut out = String::new();
    let mut section = None;
    for i in items {
        if section != Some(i.section.0) {
            section = Some(i.section.0);
            out.push_str(&format!("\n【{}】", i.section.1));
        }
        out.push_str(&format!("\n · {}", i.text));
    }
    out.push_str(&format!("\n\n{}", Msg::DigestFoot.text()));
    out.trim_start().to_owned()
}

fn load_orgs(cx: &Ctx, ids: &[u32]) -> Result<Vec<Org>> {
    let mut out = Vec::new();
    for id in ids {
        out.extend(cx.tree.get(*id)?);
    }
    Ok(out)
}

fn official_orgs(cx: &Ctx, person: u64) -> Result<Vec<Org>> {
    Ok(cx.tree.roles_of(person)?.into_iter().filter(|(_, r)| *r == Role::Official).map(|(o, _)| o).collect())
}

fn changes_state(args: &[String]) -> bool {
    !args.is_empty()
}

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "digest",
    aliases: &["摘要", "每日摘要"],
    usage: "[off|on|HH:MM]",
    help: "每日摘要：查看、关闭、开启或改时间 / the daily digest: see it, turn it off or on, change its time",
    who: Who::Officials,
    changes_state,
}];

impl Feature for Digest {
    fn declare(&self) -> Declaration {
        Declaration { name: "digest", commands: COMMANDS, jobs: &[SEND_JOB, URGENT_JOB], ..Declaration::default() }
    }

    fn start(&self, cx: &Ctx) -> Result<()> {
        Self::ensure_slot(cx, cx.config.digest.minute)?;
        if schedule::due_at(cx.store(), URGENT_JOB)?.is_none() {
            let job = Job::new(URGENT_JOB, URGENT_JOB, Vec::new());
            schedule::schedule(cx.store(), (cx.now() + URGENT_EVERY_SECS) * 1000, &job)?;
        }
        Ok(())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        if official_orgs(cx, p.id)?.is_empty() {
            return Err(Error::denied(Msg::NotAnOfficial.text()));
        }
        let mut pr = pref(cx, p.id)?;
        let old = pr.minute;
        let said = match inv.arg(0).map(str::to_lowercase).as_deref() {
            None => return Ok(Handled::say(ev, self.preview(cx, &p)?)),
            Some("off" | "关闭" | "关") => {
                pr.off = true;
                Msg::DigestTurnedOff.text().to_owned()
            }
            Some("on" | "开启" | "开") => {
                pr.off = false;
                msg(Msg::DigestIsOn, &[("time", &show_time(pr.minute.unwrap_or(cx.config.digest.minute)))])
            }
            Some(t) => match parse_time(t) {
                Some(m) => {
                    pr.off = false;
                    pr.minute = (m != cx.config.digest.minute).then_some(m);
                    msg(Msg::DigestIsOn, &[("time", &show_time(m))])
                }
                None => return Ok(Handled::say(ev, msg(Msg::DigestUsage, &[("text", &t)]))),
            },
        };
        let mut w = Writes::default();
        w.put(PREFS, p.id.to_be_bytes(), encode(&pr));
        if !pr.off {
            let e = crate::events::Event::Following { person: p.id, digest: true };
            crate::events::emit(&mut w, cx.clock.now_ms(), &e);
        }
        if let Some(m) = old.filter(|m| Some(*m) != pr.minute) {
            w.remove(SLOTS, slot_key(m, p.id));
        }
        if let Some(m) = pr.minute {
            w.put(SLOTS, slot_key(m, p.id), Vec::new());
            Self::ensure_slot(cx, m)?;
        }
        cx.store().commit(&w)?;
        Ok(Handled::say(ev, said))
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        if official_orgs(cx, p.id)?.is_empty() {
            return Ok(Vec::new());
        }
        let pr = pref(cx, p.id)?;
        let state = if pr.off {
            Msg::DigestIsOff.text().to_owned()
        } else {
            show_time(pr.minute.unwrap_or(cx.config.digest.minute))
        };
        Ok(vec![msg(Msg::MyDataDigest, &[("state", &state)])])
    }

    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        let pr = pref(cx, p.id)?;
        w.remove(PREFS, p.id.to_be_bytes());
        if let Some(m) = pr.minute {
            w.remove(SLOTS, slot_key(m, p.id));
        }
        for k in cx.store().tree(ALERTED)?.scan_prefix(p.id.to_be_bytes()).keys() {
            w.remove(ALERTED, &k?);
        }
        Ok(())
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        let mut w = Writes::default();
        if job.kind == URGENT_JOB {
            let n = self.urgent(cx, &mut w)?;
            tracing::info!(sent = n, "urgent digest items sent");
            schedule::put(cx.store(), &mut w, (cx.now() + URGENT_EVERY_SECS) * 1000, job)?;
            return Ok(w);
        }
        let minute = u16::from_be_bytes(
            job.payload.get(..2).and_then(|b| b.try_into().ok()).ok_or_else(|| Error::Corrupt(job.key.clone()))?,
        );
        let n = self.send(cx, minute, &mut w)?;
        tracing::info!(time = %show_time(minute), sent = n, "daily digest queued");
        // Tomorrow again, while anyone still wants this time.
        let wanted = minute == cx.config.digest.minute
            || cx.store().tree(SLOTS)?.scan_prefix(minute.to_be_bytes()).next().is_some();
        if wanted {
            let again = Job { tries: 0, ..job.clone() };
            schedule::put(cx.store(), &mut w, next_china_minute(cx.now(), minute as u32) * 1000, &again)?;
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests;
