//! Items going out: to each subscriber privately, through the outbox (its
//! per-platform limits apply), never in quiet hours (the item waits for
//! their end), or into the subscriber's daily bundle.

use std::sync::Arc;

use treecast_wire::{Outbound, OutboundKind, Platform};

use super::store::{self, Item, Mode, Service};
use super::{Settings, BUNDLE_JOB, SEND_JOB};
use crate::catalogue::{msg, Msg};
use crate::clock::CHINA;
use crate::error::Result;
use crate::outbox::queue::{self, Queued};
use crate::registry::{tell, Ctx};
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

/// The send job: every subscriber gets the item now, or in their bundle.
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
    let org = cx.tree.get(service.org)?.map(|o| o.name).unwrap_or_default();
    // One text shared by every copy (an `Arc`), as a notice's fan-out does.
    let body: Arc<str> = text(&service, &org, &item).into();
    let subject: Arc<str> = format!("【{}】{}", service.name, title_of(&item.text)).into();
    let mut n = 0u64;
    let mut delivered = 0u64;
    store::subscribers(cx.store(), service.id, |person, sub| {
        n += 1;
        match sub.mode {
            Mode::Daily => store::bundle(&mut w, person, item.id),
            Mode::Each => {
                let Some(to) = cx.tree.person(person)?.and_then(|p| p.private_address()) else { return Ok(()) };
                // Item and person name the copy: a retry of this job writes the same ids.
                let mut m = Outbound::reply(format!("sv{}-{person}", item.id), to, body.clone());
                m.kind = OutboundKind::Private;
                if m.to.platform == Platform::Email {
                    m.title = Some(subject.clone());
                    m.unsubscribe = Some(sub.token);
                }
                queue::put(cx.store(), &mut w, &Queued::new(m))?;
                delivered += 1;
            }
        }
        Ok(())
    })?;
    item.sent = true;
    item.reached = n;
    store::put_item(&mut w, &item);
    let mut c = store::counts(cx.store(), service.id)?;
    c.items += 1;
    c.delivered += delivered;
    c.last_item_at = now;
    store::put_counts(&mut w, service.id, &c);
    cx.waker.wake();
    Ok(w)
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
