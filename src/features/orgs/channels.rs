//! Bulk tools for many orgs and chats: bind codes for every org of a level
//! in one call, channels per org (and the orgs with none), binding and
//! unbinding a chat by its id, and channel coverage per level.

use std::collections::HashMap;

use treecast_wire::{Address, ChatKind, Platform};

use crate::admin::{OutFile, Reply};
use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::tree::channels::Channel;
use crate::tree::{Org, Tree};

/// `platform:id` as an operator writes a chat (`telegram:-1001234`,
/// `matrix:!room:server`, `email:list@x.edu.cn`): a group, or a mailing list.
pub fn parse_chat(s: &str) -> Result<Address> {
    let bad = || Error::invalid(msg(Msg::NotAChat, &[("chat", &s)]));
    let (p, id) = s.split_once(':').ok_or_else(bad)?;
    let platform = Platform::parse(p).ok_or_else(bad)?;
    let id = id.trim();
    if id.is_empty() {
        return Err(bad());
    }
    Ok(match platform {
        Platform::Email => Address::list(id.to_lowercase(), Vec::new()),
        p => Address::group(p, id),
    })
}

fn show_chat(a: &Address) -> String {
    format!("{}:{}", a.platform, a.id)
}

/// The orgs to act on: the subtree of `under` (every root when None),
/// at `level` when given.
fn orgs(tree: &Tree, under: Option<&str>, level: Option<&str>) -> Result<Vec<Org>> {
    let level = match level {
        Some(l) => Some(tree.levels.find(l).ok_or_else(|| Error::invalid(msg(Msg::NoSuchLevel, &[("level", &l)])))?),
        None => None,
    };
    let roots = match under {
        Some(code) => vec![tree.require(code)?],
        None => tree.roots()?,
    };
    let mut out = Vec::new();
    for root in roots {
        for o in tree.subtree(&root) {
            let o = o?;
            if level.is_none_or(|l| o.level == l) {
                out.push(o);
            }
        }
    }
    Ok(out)
}

/// A bind code for every org of `level` under `under`, as CSV (to the file
/// the operator named, or as the answer itself).
pub fn invite_many(cx: &Ctx, under: &str, level: &str, csv: Option<String>) -> Result<Reply> {
    let tree = &cx.tree;
    let root = tree.require(under)?;
    let targets = orgs(tree, Some(under), Some(level))?;
    let expires = cx.clock.now() + cx.config.bind_code_ttl.as_secs();
    let until = crate::clock::show(expires);
    let mut w = csv::Writer::from_writer(Vec::new());
    let row_err = |e: csv::Error| Error::invalid(e.to_string());
    w.write_record(["org_code", "org_name", "bind_code", "expires"]).map_err(row_err)?;
    for o in &targets {
        // The operator acts with the server's authority (by 0).
        let code = tree.store.issue_code(Grant::Bind { org: o.id, by: 0 }, expires)?;
        w.write_record([o.code.as_str(), o.name.as_str(), code.as_str(), until.as_str()]).map_err(row_err)?;
    }
    tree.store.flush()?;
    let bytes = w.into_inner().map_err(|e| Error::invalid(e.to_string()))?;
    let n = targets.len();
    let said = msg(
        Msg::BindCodesIssued,
        &[("n", &n), ("level", &level), ("code", &root.code), ("name", &root.name), ("until", &until)],
    );
    Ok(match csv {
        Some(path) => {
            let text = format!("{said}\n{}", msg(Msg::FileWritten, &[("path", &path)]));
            Reply { text, files: vec![OutFile { path, bytes }] }
        }
        None => Reply::text(format!("{said}\n{}", String::from_utf8_lossy(&bytes).trim_end())),
    })
}

/// Bound chats per org, or with `unbound` only the orgs without any.
pub fn list(cx: &Ctx, under: Option<&str>, level: Option<&str>, unbound: bool) -> Result<String> {
    let tree = &cx.tree;
    let targets = orgs(tree, under, level)?;
    let mut by_org: HashMap<u32, Vec<Channel>> = HashMap::new();
    let roots = match under {
        Some(code) => vec![tree.require(code)?],
        None => tree.roots()?,
    };
    for root in roots {
        for (_, ch) in tree.channels_in(&root)? {
            by_org.entry(ch.org).or_default().push(ch);
        }
    }
    let mut out = String::new();
    let mut without = 0;
    for o in &targets {
        let chans = by_org.get(&o.id);
        let level = tree.levels.get(o.level).map(|l| l.name.as_str()).unwrap_or("");
        match chans {
            None => {
                without += 1;
                out.push_str(&format!("{} {} [{level}]: {}\n", o.code, o.name, Msg::NoChannelYet.text()));
            }
            Some(_) if unbound => {}
            Some(chans) => {
                let list: Vec<String> = chans
                    .iter()
                    .map(|c| {
                        let dead = if c.alive { String::new() } else { format!(" ({})", Msg::ChannelDeadMark.text()) };
                        format!("#{} {}{dead}", c.id, show_chat(&c.address))
                    })
                    .collect();
                out.push_str(&format!("{} {} [{level}]: {}\n", o.code, o.name, list.join(", ")));
            }
        }
    }
    let total = targets.len();
    out.push_str(&msg(Msg::ChannelCoverage, &[("total", &total), ("with", &(total - without)), ("without", &without)]));
    Ok(out)
}

/// Binds a chat the bot is already in to an org, by the chat's id.
pub fn bind(cx: &Ctx, code: &str, chat: &str) -> Result<String> {
    let org = cx.tree.require(code)?;
    let a = parse_chat(chat)?;
    if a.kind == ChatKind::List {
        return Err(Error::invalid(Msg::BindListWithBindList.text()));
    }
    let ch = cx.tree.bind(&org, a)?;
    cx.tree.store.flush()?;
    Ok(msg(Msg::ChatBoundById, &[("chat", &chat), ("code", &org.code), ("name", &org.name), ("id", &ch.id)]))
}

/// Unbinds a chat (group, room or list) by its id.
pub fn unbind(cx: &Ctx, chat: &str) -> Result<String> {
    let a = parse_chat(chat)?;
    let tree = &cx.tree;
    let ch =
        tree.channel_by_address(&a)?.ok_or_else(|| Error::not_found(msg(Msg::ChatIdNotBound, &[("chat", &chat)])))?;
    let org = tree.require_id(ch.org)?;
    tree.unbind(ch.id, crate::events::Actor::Operator)?;
    tree.store.flush()?;
    Ok(msg(Msg::ChatUnbound, &[("chat", &chat), ("code", &org.code), ("name", &org.name)]))
}
