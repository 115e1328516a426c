//! Items going out: to each subscriber privately, through the outbox (its
//! per-platform limits apply), never in quiet hours (the item waits for
//! their end), or into the subscriber's daily bundle.

use std::sync::Arc;

use treecast_wire::{Outbound, OutboundKind, Platform};

use super::store::{self, Item, Mode, Progress, Service};
use super::{Settings, BUNDLE_JOB, SEND_JOB};
use crate::catalogue::{msg, Msg};
use crate::clock::CHINA;
use crate::context::Ctx;
use crate::error::Result;
use crate::outbox::queue::{self, Queued};
use crate::registry::tell;
use crate::schedule::{self, Job};
use crate::store::Writes;

/// Minutes past midnight, China time, of `unix`.
fn minute_of(unix: u64) -> u16 {
    ((unix as i64 + CHINA).rem_euclid(86_400) / 60) as u16
}

/// The next time at or after `unix` outside quiet hours.
pub fn outside_quiet(s: &Settings, unix: u64) -> u64 {
    let m = minute_of(unix);
    let (from, to) = s.quiet;
    let quiet = if from <= to { m >= from && m < to } else { m >= from || m < to };
    if !quiet || from == to {
        return unix;
    }
    let wait = (to as i64 - m as i64).rem_euclid(24 * 60) as u64;
    // To the minute: the seconds of `unix` past its minute are taken off.
    unix - unix % 60 + wait * 60
}

/// The next `minute` (China time) after `now`.
pub fn next_at(now: u64, minute: u16) -> u64 {
    crate::clock::next_china_minute(now, minute as u32)
}

/// Schedules the send of `item` at its time, past quiet hours.
pub fn schedule_send(cx: &Ctx, w: &mut Writes, item: &Item) -> Result<u64> {
    let at = outside_quiet(&cx.config.services, item.at.max(cx.now()));
    let job = Job::new(SEND_JOB, format!("{SEND_JOB}:{}", item.id), item.id.to_be_bytes().to_vec());
    schedule::put(cx.store(), w, at * 1000, &job)?;
    Ok(at)
}

/// The text of one item as a subscriber gets it.
fn text(service: &Service, org: &str, item: &Item) -> String {
    msg(Msg::ServiceItem, &[("name", &service.name), ("org", &org), ("text", &item.text), ("id", &service.id)])
}

/// The send job, one slice of the subscribers a run: each gets the item
/// now, or in their bundle. A slice commits with the item's progress and
/// the job again, due now, for the next; the last marks the item sent. A
/// run cut short commits nothing, so no subscriber is skipped or served twice.
pub fn send(cx: &Ctx, item_id: u64) -> Result<Writes> {
    let mut w = Writes::default();
    let Some(mut item) = store::item(cx.store(), item_id)? else { return Ok(w) };
    let Some(service) = store::service(cx.store(), item.service)? else { return Ok(w) };
    if item.sent {
        return Ok(w);
    }
    // A job that ran late into quiet hours waits for their end.
    let now = cx.now();
    if outside_quiet(&cx.config.services, now) > now {
        schedule_send(cx, &mut w, &item)?;
        return Ok(w);
    }
    let begun = store::progress(cx.store(), item.id)?;
    let mut p = begun.unwrap_or_default();
    if queue_slice(cx, &mut w, &service, &item, &mut p)? {
        store::put_progress(&mut w, item.id, &p);
        // The next slice: this job again, due now (outside quiet hours).
        schedule_send(cx, &mut w, &item)?;
    } else {
        if begun.is_some() {
            store::remove_progress(&mut w, item.id);
        }
        item.sent = true;
        item.reached = p.reached;
        store::put_item(&mut w, &item);
        let mut c = store::counts(cx.store(), service.id)?;
        c.items += 1;
        c.delivered += p.delivered;
        c.last_item_at = now;
        store::put_counts(&mut w, service.id, &c);
    }
    cx.waker.wake();
    Ok(w)
}

/// Queues `item` for the next slice of subscribers after `p.after` (their
/// private message or bundle row) and moves `p` past them; true while more remain.
fn queue_slice(cx: &Ctx, w: &mut Writes, service: &Service, item: &Item, p: &mut Progress) -> Result<bool> {
    let org = cx.tree.get(service.org)?.map(|o| o.name).unwrap_or_default();
    // One text shared by every copy (an `Arc`), as a notice's fan-out does.
    let body: Arc<str> = text(service, &org, item).into();
    let subject: Arc<str> = format!("【{}】{}", service.name, title_of(&item.text)).into();
    let limit = cx.config.services.send_slice.max(1);
    let mut taken = 0;
    store::subscribers_after(cx.store(), service.id, p.after, |person, sub| {
        if taken == limit {
            return Ok(false);
        }
        taken += 1;
        p.after = Some(person);
        p.reached += 1;
        match sub.mode {
            Mode::Daily => store::bundle(w, person, item.id),
            Mode::Each => {
                let Some(to) = cx.tree.person(person)?.and_then(|p| p.private_address()) else { return Ok(true) };
                // Item and person name the copy: a retry of this job writes the same ids.
                let mut m = Outbound::reply(format!("sv{}-{person}", item.id), to, body.clone());
                m.kind = OutboundKind::Private;
                if m.to.platform == Platform::Email {
                    m.title = Some(subject.clone());
                    m.unsubscribe = Some(sub.token);
                }
                queue::put(cx.store(), w, &Queued::new(m))?;
                p.delivered += 1;
            }
        }
        Ok(true)
    })
}

/// An item's first line, shortened, as a mail subject.
fn title_of(text: &str) -> String {
    crate::conversation::engine::short(text.lines().next().unwrap_or_default().trim(), 30)
}

/// The morning bundle: each person with items waiting gets one message with
/// all of them; the next run is scheduled.
pub fn bundle(cx: &Ctx) -> Result<Writes> {
    let mut w = Writes::default();
    for (person, items) in store::bundles(cx.store())? {
        let mut parts = Vec::new();
        let mut per_service: Vec<u64> = Vec::new();
        for id in &items {
            store::unbundle(&mut w, person, *id);
            let Some(item) = store::item(cx.store(), *id)? else { continue };
            let Some(service) = store::service(cx.store(), item.service)? else { continue };
            // A subscription ended since: its items are not sent.
            if store::sub(cx.store(), service.id, person)?.is_none() {
                continue;
            }
            parts.push(format!("【{}】{}", service.name, item.text));
            if !per_service.contains(&service.id) {
                per_service.push(service.id);
            }
        }
        let Some(p) = cx.tree.person(person)? else { continue };
        if parts.is_empty() {
            continue;
        }
        let text = msg(Msg::ServiceBundle, &[("n", &parts.len()), ("items", &parts.join("\n\n"))]);
        if let Some(q) = tell(&p, &format!("svb{}-{person}", cx.now()), text) {
            queue::put(cx.store(), &mut w, &q)?;
            for s in per_service {
                let mut c = store::counts(cx.store(), s)?;
                c.delivered += 1;
                store::put_counts(&mut w, s, &c);
            }
        }
    }
    let next = next_at(cx.now() + 60, cx.config.services.bundle_at);
    schedule::put(cx.store(), &mut w, next * 1000, &Job::new(BUNDLE_JOB, BUNDLE_JOB, Vec::new()))?;
    cx.waker.wake();
    Ok(w)
}
