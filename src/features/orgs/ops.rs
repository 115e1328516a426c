//! The orgs feature's operator operations (`treecast tree|org|person ...`
//! and `/api/v1/...`): statistics, people, bind codes, console chats and
//! mailing lists.

use treecast_wire::{Address, Platform};

use crate::catalogue::{msg, Msg};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::tree::people::{parse_identity, platform, Role};
use crate::tree::{describe, Tree};

/// Orgs per level, with how many have at least one channel (coverage).
pub fn tree_stats(tree: &Tree) -> Result<String> {
    let roots = tree.roots()?;
    let mut s = String::new();
    let (mut total, mut covered) = (0, 0);
    for (level, n) in tree.stats()? {
        let l = tree.levels.get(level).expect("level from the store");
        let mut with = 0;
        for r in &roots {
            with += tree.channel_counts(r.id, level)?.1.max(0) as u64;
        }
        s.push_str(&format!("{:<10} {} {n:>8} {with:>8} {:>6}\n", l.key, pad(&l.name, 8), percent(with, n)));
        total += n;
        covered += with;
    }
    s.push_str(&format!(
        "{} {total:>8} {covered:>8} {:>6}\n",
        pad(Msg::StatsTotal.text(), 19),
        percent(covered, total)
    ));
    s.push_str(Msg::StatsLegend.text());
    Ok(s)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// `text` padded to `cols` terminal columns: a Chinese character takes two,
/// which `format!`'s width (it counts chars) gets wrong.
fn pad(text: &str, cols: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(cols.saturating_sub(w)))
}

pub fn tree_show(tree: &Tree, code: &str) -> Result<String> {
    describe(tree, &tree.require(code)?, 50, None)
}

/// A person to add, as `person add` and the `person.add` operation take it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NewPerson {
    pub name: String,
    #[serde(default)]
    pub identities: Vec<String>,
    #[serde(default)]
    pub official: Vec<String>,
    #[serde(default)]
    pub member: Vec<String>,
    pub prefer: Option<String>,
}

pub fn person_add(tree: &Tree, np: &NewPerson) -> Result<String> {
    let idents: Vec<(Platform, String)> = np.identities.iter().map(|i| parse_identity(i)).collect::<Result<_>>()?;
    let p = match idents.iter().find_map(|(pl, u)| tree.person_by_identity(*pl, u).ok().flatten()) {
        Some(p) => p,
        None => tree.add_person(&np.name)?,
    };
    for (pl, u) in &idents {
        tree.add_identity(p.id, *pl, u)?;
    }
    for code in &np.official {
        tree.grant(p.id, &tree.require(code)?, Role::Official)?;
    }
    for code in &np.member {
        tree.grant(p.id, &tree.require(code)?, Role::Member)?;
    }
    if let Some(pref) = &np.prefer {
        tree.set_preferred(p.id, platform(pref)?)?;
    }
    tree.store.flush()?;
    Ok(msg(Msg::PersonSaved, &[("name", &np.name), ("id", &p.id)]))
}

pub fn org_invite(tree: &Tree, cfg: &Config, code: &str) -> Result<String> {
    let org = tree.require(code)?;
    // The local operator acts with the server's authority.
    let grant = crate::codes::Grant::Bind { org: org.id, by: 0 };
    let c = tree.store.issue_code(grant, tree.clock.now() + cfg.bind_code_ttl.as_secs())?;
    tree.store.flush()?;
    Ok(msg(Msg::BindCodeIssued, &[("code_org", &org.code), ("name", &org.name), ("code", &c)]))
}

pub fn org_bind_console(tree: &Tree, level: &str) -> Result<String> {
    let lv = tree
        .levels
        .find(level)
        .ok_or_else(|| Error::invalid(msg(Msg::NoSuchLevel, &[("level", &format!("{level:?}"))])))?;
    let mut pairs = Vec::new();
    for root in tree.roots()? {
        for o in tree.subtree(&root) {
            let o = o?;
            if o.level == lv {
                let a = Address::group(Platform::Console, o.code.clone());
                pairs.push((o, a));
            }
        }
    }
    let n = tree.bind_bulk(pairs)?;
    tree.store.flush()?;
    Ok(msg(Msg::ConsoleChatsBound, &[("n", &n)]))
}

pub fn org_bind_list(tree: &Tree, code: &str, list: &str, members: &[String]) -> Result<String> {
    let org = tree.require(code)?;
    let ch = tree.bind(&org, Address::list(list, members.to_vec()))?;
    tree.store.flush()?;
    Ok(msg(Msg::ListBound, &[("list", &list), ("n", &members.len()), ("org", &org.name), ("id", &ch.id)]))
}

pub fn org_list_members(tree: &Tree, code: &str, list: &str, add: &[String], remove: &[String]) -> Result<String> {
    let org = tree.require(code)?;
    let ch = tree.edit_list_members(&org, list, add, remove)?;
    tree.store.flush()?;
    Ok(msg(Msg::ListMembers, &[("org", &org.name), ("list", &list), ("n", &ch.address.members.len())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_columns_line_up_with_chinese_level_names() {
        let tree = crate::tree::tests::small_tree();
        let stats = tree_stats(&tree).unwrap();
        let widths: Vec<usize> = stats.lines().map(unicode_width::UnicodeWidthStr::width).collect();
        assert_eq!(widths.len(), 6, "{stats}");
        let widths = &widths[..5]; // the legend line is prose
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{stats}");
    }
}
