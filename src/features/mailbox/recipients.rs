//! Which orgs a message is for, as the sender typed them (issue 17, point
//! 2): org codes or names separated by commas (`4143010532,4143010533`,
//! Chinese commas and 、 too), `@parent` (`@上级`) or `@children` (`@下级`),
//! each checked against the permission table. Full-text search over every
//! org comes with issue 18; here a name is looked for near the sender.

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::tree::people::Role;
use crate::tree::{Org, Tree};

use crate::config::mailbox::Rules;

/// Matches shown when a name fits several orgs.
const CHOICES_SHOWN: usize = 5;

/// The org with code `word`, or else the one whose name is (or, failing
/// that, contains) `word` among those near the sender: their ancestors and
/// their parent's subtree (for a root, its own). Several fits are one
/// sentence naming the first few with their codes.
fn by_code_or_name(tree: &Tree, from: &Org, word: &str) -> Result<Org> {
    if let Some(o) = tree.by_code(word)? {
        return Ok(o);
    }
    let near = match from.parent {
        Some(p) => tree.require_id(p)?,
        None => from.clone(),
    };
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    let candidates = tree.ancestors(from)?.into_iter().map(Ok).chain(tree.subtree(&near));
    for o in candidates {
        let o = o?;
        if o.name == word {
            exact.push(o);
        } else if o.name.contains(word) {
            partial.push(o);
        }
    }
    let mut found = if exact.is_empty() { partial } else { exact };
    let mut seen = std::collections::HashSet::new();
    found.retain(|o| seen.insert(o.id));
    match found.len() {
        0 => Err(Error::not_found(msg(Msg::MailboxNoOrgNamed, &[("text", &word)]))),
        1 => Ok(found.remove(0)),
        n => {
            let shown: Vec<String> =
                found.iter().take(CHOICES_SHOWN).map(|o| format!("{} {}", o.code, o.name)).collect();
            Err(Error::invalid(msg(
                Msg::MailboxSeveralNamed,
                &[("text", &word), ("n", &n), ("choices", &shown.join("；"))],
            )))
        }
    }
}

/// Whether `word` (without its `@`) is a shorthand for recipients, not an org code.
pub fn is_shorthand(word: &str) -> bool {
    matches!(word, "parent" | "上级" | "children" | "下级")
}

/// The recipient orgs of `spec`, written by someone with `role` in `from`,
/// in the order typed and each once. The first unknown or forbidden one is
/// the error, in one sentence; nothing is sent then.
pub fn resolve(tree: &Tree, rules: &Rules, role: Role, from: &Org, spec: &str) -> Result<Vec<Org>> {
    let mut out: Vec<Org> = Vec::new();
    let parts = spec.split([',', '，', '、', ';', '；']).map(str::trim).filter(|p| !p.is_empty());
    for part in parts {
        let found = match part {
            "@parent" | "@上级" | "＠上级" => {
                let p = from.parent.ok_or_else(|| {
                    Error::invalid(msg(Msg::MailboxNoParent, &[("code", &from.code), ("name", &from.name)]))
                })?;
                vec![tree.require_id(p)?]
            }
            "@children" | "@下级" | "＠下级" => {
                let c = tree.children(from.id)?;
                if c.is_empty() {
                    return Err(Error::invalid(msg(
                        Msg::MailboxNoChildren,
                        &[("code", &from.code), ("name", &from.name)],
                    )));
                }
                c
            }
            code => vec![by_code_or_name(tree, from, code)?],
        };
        for to in found {
            if !rules.allows(role, from, &to) {
                let to_name = format!("{} {}", to.code, to.name);
                let text = match role {
                    Role::Official => msg(
                        Msg::MailboxOfficialNotAllowed,
                        &[("from", &format!("{} {}", from.code, from.name)), ("to", &to_name)],
                    ),
                    Role::Member => msg(Msg::MailboxMemberNotAllowed, &[("to", &to_name)]),
                };
                return Err(Error::denied(text));
            }
            if !out.iter().any(|o| o.id == to.id) {
                out.push(to);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(Msg::MailboxNoRecipient.text()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tests::small_tree;

    fn names(orgs: &[Org]) -> Vec<&str> {
        orgs.iter().map(|o| o.code.as_str()).collect()
    }

    #[test]
    fn codes_lists_and_shorthands_resolve_in_the_order_typed() {
        let tree = small_tree();
        let rules = Rules::default();
        let hnu = tree.require("4143010533").unwrap();
        let to = |spec: &str| resolve(&tree, &rules, Role::Official, &hnu, spec);
        assert_eq!(names(&to("43").unwrap()), ["43"]);
        assert_eq!(names(&to("@parent").unwrap()), ["43"]);
        assert_eq!(names(&to("@上级").unwrap()), ["43"]);
        assert_eq!(names(&to("@children").unwrap()), ["4143010533-001", "4143010533-002"]);
        // Chinese commas and 、, repeats dropped, order kept.
        assert_eq!(names(&to("4143010534，43、4143010534,CN").unwrap()), ["4143010534", "43", "CN"]);
    }

    #[test]
    fn bad_recipients_are_one_sentence_and_nothing_is_resolved() {
        let tree = small_tree();
        let rules = Rules::default();
        let hnu = tree.require("4143010533").unwrap();
        let to = |spec: &str| resolve(&tree, &rules, Role::Official, &hnu, spec).unwrap_err().to_string();
        assert!(to("").contains("请写明收信组织") && to("  ,， ").contains("Name the org"));
        assert!(to("43,9999").contains("9999"), "an unknown code is named: {}", to("43,9999"));
        // Names: exact, or a unique part of one, near the sender.
        let named = |spec: &str| resolve(&tree, &rules, Role::Official, &hnu, spec).unwrap();
        assert_eq!(names(&named("中南大学团委")), ["4143010534"]);
        assert_eq!(names(&named("共青团湖南省委")), ["43"], "a part of a name, once");
        let e = to("团支部");
        assert!(e.contains("3 个组织") && e.contains("4143010533-001") && e.contains("more precisely"), "{e}");
        // Wuhan University is in another province: neither up, down nor a sibling.
        let e = to("4142010486");
        assert!(e.contains("不能给") && e.contains("武汉大学团委") && e.contains("may not write"), "{e}");
        let branch = tree.require("4143010533-001").unwrap();
        let e = resolve(&tree, &rules, Role::Official, &branch, "@children").unwrap_err().to_string();
        assert!(e.contains("没有下级组织") && e.contains("no child orgs"), "{e}");
        let cn = tree.require("CN").unwrap();
        let e = resolve(&tree, &rules, Role::Official, &cn, "@parent").unwrap_err().to_string();
        assert!(e.contains("没有上级组织") && e.contains("no parent org"), "{e}");
    }

    #[test]
    fn a_member_writes_to_their_branch_and_school_only() {
        let tree = small_tree();
        let rules = Rules::default();
        let branch = tree.require("4143010533-001").unwrap();
        let member = |spec: &str| resolve(&tree, &rules, Role::Member, &branch, spec);
        assert_eq!(names(&member("4143010533-001,@parent").unwrap()), ["4143010533-001", "4143010533"]);
        let e = member("43").unwrap_err().to_string();
        assert!(e.contains("团员只能写给") && e.contains("a member writes"), "{e}");
        assert!(member("4143010533-002").is_err(), "not a sibling branch");
    }
}
