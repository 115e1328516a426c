//! Who may write to which org's mailbox (issue 17, point 1): one table,
//! read from `[mailbox]` in the config, checked for every message.
//!
//! An official writes as their org. Where the recipient org lies from the
//! sender's org is one [`Direction`]; the table lists the directions allowed.
//! A member (a student) writes as themself, to their own branch or to the
//! branch's parent (their school).
//!
//! ```toml
//! [mailbox]
//! official = ["up", "down", "sibling"]   # the default
//! member = ["own", "parent"]             # the default
//! ```

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::tree::people::Role;
use crate::tree::Org;

/// Where the recipient org lies, seen from the sender's org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The sender's own org.
    Own,
    /// Its parent or any ancestor (a report upward).
    Up,
    /// A child or any descendant (a national or provincial official's whole subtree).
    Down,
    /// Another child of the same parent.
    Sibling,
    /// The org's parent (for members: their school).
    Parent,
    /// Anywhere else in the tree.
    Elsewhere,
}

impl Direction {
    /// Where `to` lies from `from`. `Parent` is reported as `Up`: the
    /// table for members asks for it separately (see [`Rules::allows`]).
    pub fn between(from: &Org, to: &Org) -> Direction {
        if from.id == to.id {
            Direction::Own
        } else if from.path.contains(&to.id) {
            Direction::Up
        } else if to.path.contains(&from.id) {
            Direction::Down
        } else if from.parent.is_some() && from.parent == to.parent {
            Direction::Sibling
        } else {
            Direction::Elsewhere
        }
    }
}

/// The permission table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    official: BTreeSet<Direction>,
    member: BTreeSet<Direction>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            official: [Direction::Up, Direction::Down, Direction::Sibling].into(),
            member: [Direction::Own, Direction::Parent].into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    official: Option<Vec<Direction>>,
    member: Option<Vec<Direction>>,
}

impl Rules {
    /// The table from `[mailbox]` (absent: the defaults). An unknown key or
    /// direction is one sentence naming it.
    pub fn from_table(table: Option<&toml::Table>) -> Result<Rules> {
        let Some(table) = table else { return Ok(Rules::default()) };
        let raw: RawRules = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid(msg(Msg::MailboxConfigBad, &[("error", &e.message())])))?;
        let d = Rules::default();
        Ok(Rules {
            official: raw.official.map(|v| v.into_iter().collect()).unwrap_or(d.official),
            member: raw.member.map(|v| v.into_iter().collect()).unwrap_or(d.member),
        })
    }

    /// Whether someone with `role` in `from` may write to `to`.
    pub fn allows(&self, role: Role, from: &Org, to: &Org) -> bool {
        let dir = Direction::between(from, to);
        let table = match role {
            Role::Official => &self.official,
            Role::Member => &self.member,
        };
        table.contains(&dir)
            || (dir == Direction::Up && from.parent == Some(to.id) && table.contains(&Direction::Parent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// national(1) > provinces 2, 3 > schools 4, 5 (under 2) and 6 (under 3)
    /// > branches 7, 8 (under 4) and 9 (under 5).
    fn org(id: u32) -> Org {
        let parent = match id {
            1 => None,
            2 | 3 => Some(1),
            4 | 5 => Some(2),
            6 => Some(3),
            7 | 8 => Some(4),
            9 => Some(5),
            _ => unreachable!(),
        };
        let mut path = vec![id];
        let mut up = parent;
        while let Some(p) = up {
            path.insert(0, p);
            up = org(p).parent;
        }
        Org { id, code: format!("c{id}"), name: format!("组织{id}"), level: (path.len() - 1) as u8, parent, path }
    }

    const OFFICIAL: Role = Role::Official;
    const MEMBER: Role = Role::Member;

    #[test]
    fn the_default_table_for_every_role_and_direction() {
        #[rustfmt::skip]
        let cases: &[(Role, u32, u32, Direction, bool)] = &[
            // A school official (4, under province 2).
            (OFFICIAL, 4, 2, Direction::Up, true),         // report to the province
            (OFFICIAL, 4, 1, Direction::Up, true),         // and to the national department
            (OFFICIAL, 4, 7, Direction::Down, true),       // its branch
            (OFFICIAL, 4, 5, Direction::Sibling, true),    // another school of the province
            (OFFICIAL, 4, 6, Direction::Elsewhere, false), // a school of another province
            (OFFICIAL, 4, 9, Direction::Elsewhere, false), // another school's branch
            (OFFICIAL, 4, 4, Direction::Own, false),       // its own mailbox
            // National and provincial officials: their whole subtree.
            (OFFICIAL, 1, 9, Direction::Down, true),
            (OFFICIAL, 2, 9, Direction::Down, true),
            (OFFICIAL, 2, 3, Direction::Sibling, true),
            (OFFICIAL, 2, 6, Direction::Elsewhere, false),
            // A branch official.
            (OFFICIAL, 7, 8, Direction::Sibling, true),
            (OFFICIAL, 7, 5, Direction::Elsewhere, false),
            (OFFICIAL, 7, 1, Direction::Up, true),
            // A student of branch 7: their branch and their school only.
            (MEMBER, 7, 7, Direction::Own, true),
            (MEMBER, 7, 4, Direction::Up, true),
            (MEMBER, 7, 2, Direction::Up, false),
            (MEMBER, 7, 1, Direction::Up, false),
            (MEMBER, 7, 8, Direction::Sibling, false),
            (MEMBER, 7, 5, Direction::Elsewhere, false),
            (MEMBER, 7, 9, Direction::Elsewhere, false),
        ];
        let rules = Rules::default();
        for &(role, from, to, dir, allowed) in cases {
            let (f, t) = (org(from), org(to));
            assert_eq!(Direction::between(&f, &t), dir, "{from} -> {to}");
            assert_eq!(rules.allows(role, &f, &t), allowed, "{role:?} of {from} -> {to} ({dir:?})");
        }
    }

    #[test]
    fn the_table_comes_from_the_config_and_bad_entries_are_named() {
        let table: toml::Table = toml::from_str("official = [\"up\"]\nmember = [\"own\"]").unwrap();
        let rules = Rules::from_table(Some(&table)).unwrap();
        assert!(rules.allows(OFFICIAL, &org(4), &org(2)));
        assert!(!rules.allows(OFFICIAL, &org(4), &org(7)), "down no longer listed");
        assert!(!rules.allows(MEMBER, &org(7), &org(4)), "parent no longer listed");
        assert_eq!(Rules::from_table(None).unwrap(), Rules::default());

        let bad: toml::Table = toml::from_str("official = [\"sideways\"]").unwrap();
        let e = Rules::from_table(Some(&bad)).unwrap_err().to_string();
        assert!(e.contains("[mailbox]") && e.contains("sideways") && e.contains("directions"), "{e}");
        let unknown: toml::Table = toml::from_str("students = []").unwrap();
        let e = Rules::from_table(Some(&unknown)).unwrap_err().to_string();
        assert!(e.contains("students"), "{e}");
    }
}
