//! The audit log (操作记录): who did what as an official or as the operator:
//! posted and reminded notices, bound and unbound chats, exported data.
//! Derived from the event log (each act's event lands with the act), kept
//! per org for `[privacy] audit_days` (the daily retention job removes
//! older entries), read by the org's officials and
//! those above it (`/audit`, `treecast audit --org CODE`, the admin API).

use serde::{Deserialize, Serialize};
use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Act, Actor, Event, Record};
use crate::registry::{never, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Subscriber, Who};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Writes};
use crate::tree::reads::Read;
use crate::tree::Org;

/// org ++ at_ms ++ seq -> Entry
const LOG: Keyspace = Keyspace::Named("audit.log");
const DAY_MS: u64 = 86_400_000;
/// Entries shown by `/audit` and by default on the command line.
const SHOWN: usize = 20;

/// One act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum What {
    Posted { notice: u64 },
    Reminded { notice: u64, of: u64 },
    Did(Act),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    by: Actor,
    what: What,
}

fn key(org: u32, at_ms: u64, seq: u64) -> Vec<u8> {
    [&org.to_be_bytes()[..], &at_ms.to_be_bytes(), &seq.to_be_bytes()].concat()
}

/// The entry an event makes, with its org.
fn entry(e: &Event) -> Option<(u32, Entry)> {
    match e {
        Event::NoticePosted { notice, issuer, author, reminder_of } => {
            let by = if *author == 0 { Actor::Operator } else { Actor::Person(*author) };
            let what = match reminder_of {
                Some(of) => What::Reminded { notice: *notice, of: *of },
                None => What::Posted { notice: *notice },
            };
            Some((*issuer, Entry { by, what }))
        }
        Event::Acted { org, by, act } => Some((*org, Entry { by: *by, what: What::Did(act.clone()) })),
        _ => None,
    }
}

struct Log;

impl Subscriber for Log {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn handle(&self, _cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut w = Writes::default();
        for r in events {
            if let Some((org, e)) = entry(&r.event) {
                w.put(LOG, key(org, r.at_ms, r.seq), encode(&e));
            }
        }
        Ok(w)
    }
}

/// The newest `limit` entries of `org`, newest first, as lines.
fn lines(cx: &Ctx, org: &Org, limit: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for row in cx.store().tree(LOG)?.scan_prefix(org.id.to_be_bytes()).rev().take(limit) {
        let (k, v) = row?;
        let at_ms = read_u64_at(&k, 4, "audit.log")?;
        let e: Entry = decode_at(LOG, &k, &v)?;
        out.push(format!("{}  {}  {}", show(at_ms / 1000), who(cx, e.by)?, what(&e.what)));
    }
    Ok(out)
}

fn who(cx: &Ctx, by: Actor) -> Result<String> {
    Ok(match by {
        Actor::Operator => Msg::AuditOperator.text().to_owned(),
        Actor::CodeHolder => Msg::AuditCodeHolder.text().to_owned(),
        // A person deleted at their request (`/forget`) keeps an empty name.
        Actor::Person(id) => match cx.tree.person(id)? {
            Some(p) if !p.name.is_empty() => p.name,
            _ => msg(Msg::AuditGonePerson, &[("id", &id)]),
        },
    })
}

fn what(w: &What) -> String {
    match w {
        What::Posted { notice } => msg(Msg::AuditPosted, &[("id", notice)]),
        What::Reminded { notice, of } => msg(Msg::AuditReminded, &[("id", notice), ("of", of)]),
        What::Did(Act::Bound { channel }) => msg(Msg::AuditBound, &[("id", channel)]),
        What::Did(Act::Unbound { channel }) => msg(Msg::AuditUnbound, &[("id", channel)]),
        What::Did(Act::Exported { what, rows }) => msg(Msg::AuditExported, &[("what", what), ("rows", rows)]),
        What::Did(Act::ReadPersonal { what, rows }) => msg(Msg::AuditReadPersonal, &[("what", what), ("rows", rows)]),
    }
}

fn render(cx: &Ctx, org: &Org, limit: usize) -> Result<String> {
    let lines = lines(cx, org, limit)?;
    let head = msg(Msg::AuditHead, &[("code", &org.code), ("name", &org.name), ("n", &lines.len())]);
    if lines.is_empty() {
        return Ok(format!("{head}\n{}", Msg::AuditNone.text()));
    }
    Ok(format!("{head}\n{}", lines.join("\n")))
}

/// Removes entries older than the configured days; returns how many.
fn prune(cx: &Ctx, w: &mut Writes) -> Result<usize> {
    let cutoff = (cx.now() * 1000).saturating_sub(u64::from(cx.config.privacy.audit_days) * DAY_MS);
    let mut n = 0;
    for k in cx.store().tree(LOG)?.iter().keys() {
        let k = k?;
        if read_u64_at(&k, 4, "audit.log")? < cutoff {
            w.remove(LOG, &k);
            n += 1;
        }
    }
    Ok(n)
}

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "audit",
    aliases: &["审计", "操作记录"],
    usage: "[ORG]",
    help: "操作记录：谁以团干部身份做了什么 / the audit log: what officials did",
    who: Who::Officials,
    changes_state: never,
}];

#[derive(Deserialize)]
struct ListArgs {
    org: String,
    limit: Option<usize>,
}

pub struct Audit;

impl Feature for Audit {
    fn declare(&self) -> Declaration {
        Declaration { name: "audit", commands: COMMANDS, admin: &["audit.list"], ..Declaration::default() }
    }

    fn subscribers(&self) -> Vec<std::sync::Arc<dyn Subscriber>> {
        vec![std::sync::Arc::new(Log)]
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let org = match inv.arg(0) {
            Some(code) => cx.tree.require(code.trim_start_matches(['@', '＠']))?,
            None => cx.official_org(&p, None)?,
        };
        cx.tree.check_read(Some(p.id), Read::AuditLog, &org)?;
        Ok(Handled::say(ev, render(cx, &org, SHOWN)?))
    }

    fn retain(&self, cx: &Ctx, w: &mut Writes) -> Result<usize> {
        prune(cx, w)
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<crate::admin::Reply> {
        let a: ListArgs = crate::admin::args(op, a)?;
        let org = cx.tree.require(&a.org)?;
        Ok(crate::admin::Reply::text(render(cx, &org, a.limit.unwrap_or(SHOWN))?))
    }
}

#[cfg(test)]
mod tests;
