//! Migration of existing accounts: the chats orgs already have (a Telegram
//! group, a Matrix room, a mailing list) bound from a CSV by the operator,
//! without bind codes. Every row is checked first and every bad one named
//! with its line; only a file with none is imported, in one commit, and a
//! second import of the same file adds nothing.

use std::collections::HashMap;

use treecast_wire::{Address, Platform};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::Actor;
use crate::tree::Org;

const COLUMNS: [&str; 4] = ["code", "platform", "chat", "name"];

/// A CSV the reader cannot go on with (bad quoting, a byte that is not UTF-8).
fn unreadable(file: &str, e: &csv::Error) -> Error {
    let line = e.position().map_or(1, |p| p.line());
    Error::invalid(msg(Msg::MigrateUnreadable, &[("file", &file), ("line", &line), ("error", e)]))
}

/// The chat of one row, as its platform writes it.
fn chat(platform: &str, id: &str) -> std::result::Result<Address, String> {
    let id = id.trim();
    match Platform::parse(platform.trim()) {
        Some(Platform::Telegram) if id.parse::<i64>().is_ok() => Ok(Address::group(Platform::Telegram, id)),
        Some(Platform::Telegram) => Err(msg(Msg::MigrateTelegramId, &[("id", &id)])),
        Some(Platform::Matrix) if id.starts_with('!') && id.contains(':') => Ok(Address::group(Platform::Matrix, id)),
        Some(Platform::Matrix) => Err(msg(Msg::MigrateMatrixRoom, &[("id", &id)])),
        Some(Platform::Email) if crate::text::is_address(id) => Ok(Address::list(id.to_lowercase(), Vec::new())),
        Some(Platform::Email) => Err(msg(Msg::MigrateListAddress, &[("id", &id)])),
        Some(p) if !id.is_empty() => Ok(Address::group(p, id)),
        Some(_) => Err(msg(Msg::MigrateMissing, &[("column", &"chat")])),
        None => Err(msg(Msg::NotAPlatform, &[("name", &format!("{platform:?}"))])),
    }
}

/// Binds the chats of `csv` (`code,platform,chat,name`, any column order,
/// more columns ignored); `file` names it in messages.
pub fn import_channels(cx: &Ctx, file: &str, csv: &str) -> Result<String> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let head: Vec<String> =
        r.headers().map_err(|e| unreadable(file, &e))?.iter().map(|h| h.trim().to_lowercase()).collect();
    let col: Vec<usize> = match COLUMNS.iter().map(|c| head.iter().position(|h| h == c)).collect::<Option<_>>() {
        Some(c) => c,
        None => return Err(Error::invalid(msg(Msg::MigrateHeader, &[("file", &file)]))),
    };
    let mut rows: Vec<(Org, Address)> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    // chat -> (line, org) of its first row
    let mut seen: HashMap<Address, (u64, u32)> = HashMap::new();
    let mut lines = 0;
    for rec in r.records() {
        let rec = rec.map_err(|e| unreadable(file, &e))?;
        let line = rec.position().map_or(0, |p| p.line());
        lines += 1;
        let field = |i: usize| rec.get(col[i]).unwrap_or("").trim();
        // Where, then why: `湖南.csv:7：…`.
        let mut fail = |why: String| bad.push(format!("{file}:{line}：{why}"));
        if let Some(missing) = (0..3).find(|i| field(*i).is_empty()) {
            fail(msg(Msg::MigrateMissing, &[("column", &COLUMNS[missing])]));
            continue;
        }
        let org = match cx.tree.by_code(field(0))? {
            Some(o) => o,
            None => {
                fail(Error::UnknownOrg(field(0).to_owned()).to_string());
                continue;
            }
        };
        let address = match chat(field(1), field(2)) {
            Ok(a) => a,
            Err(why) => {
                fail(why);
                continue;
            }
        };
        match seen.get(&address) {
            Some((_, o)) if *o == org.id => continue, // the same row again
            Some((first, _)) => {
                fail(msg(Msg::MigrateTwice, &[("other", first)]));
                continue;
            }
            None => {
                seen.insert(address.clone(), (line, org.id));
            }
        }
        if let Some(ch) = cx.tree.channel_by_address(&address)? {
            if ch.org != org.id {
                let owner = cx.tree.require_id(ch.org)?;
                fail(msg(Msg::AlreadyBoundElsewhere, &[("code", &owner.code), ("name", &owner.name)]));
                continue;
            }
        }
        rows.push((org, address));
    }
    if !bad.is_empty() {
        bad.insert(0, msg(Msg::MigrateRefused, &[("file", &file), ("n", &bad.len())]));
        return Err(Error::invalid(bad.join("\n")));
    }
    let (added, had) = cx.tree.bind_all(&rows, Actor::Operator)?;
    cx.tree.store.flush()?;
    Ok(msg(Msg::MigrateImported, &[("file", &file), ("added", &added), ("had", &had), ("rows", &lines)]))
}
