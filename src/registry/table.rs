//! The lookup tables built from every feature's declaration, checked once
//! at start: two features may not claim the same command, alias, prefix,
//! tag, reply kind or job kind.

use std::collections::HashMap;
use std::sync::Arc;

use super::{CommandSpec, Declaration, Feature, Invocation, Parsed, Subscriber, Who};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

pub struct Registry {
    features: Vec<Arc<dyn Feature>>,
    declarations: Vec<Declaration>,
    /// name or alias (lowercase) -> (feature index, spec)
    commands: HashMap<String, (usize, &'static CommandSpec)>,
    /// (prefix, feature index), longest prefix first
    buttons: Vec<(&'static str, usize)>,
    deep_links: Vec<(&'static str, usize)>,
    mail_tags: HashMap<String, usize>,
    replies: HashMap<&'static str, usize>,
    jobs: HashMap<&'static str, usize>,
    admin: HashMap<&'static str, usize>,
    subscribers: Vec<Arc<dyn Subscriber>>,
}

fn claim<K: std::hash::Hash + Eq + std::fmt::Display>(
    map: &mut HashMap<K, usize>,
    key: K,
    i: usize,
    names: &[&str],
) -> Result<()> {
    if let Some(j) = map.get(&key) {
        return Err(Error::invalid(msg(
            Msg::DuplicateClaim,
            &[("first", &names[*j]), ("second", &names[i]), ("key", &key)],
        )));
    }
    map.insert(key, i);
    Ok(())
}

impl Registry {
    /// The registry of `features`, refusing any overlap between them.
    pub fn new(features: Vec<Arc<dyn Feature>>) -> Result<Registry> {
        let declarations: Vec<Declaration> = features.iter().map(|f| f.declare()).collect();
        let names: Vec<&str> = declarations.iter().map(|d| d.name).collect();
        let mut r = Registry {
            commands: HashMap::new(),
            buttons: Vec::new(),
            deep_links: Vec::new(),
            mail_tags: HashMap::new(),
            replies: HashMap::new(),
            jobs: HashMap::new(),
            admin: HashMap::new(),
            subscribers: features.iter().flat_map(|f| f.subscribers()).collect(),
            features,
            declarations: Vec::new(),
        };
        let mut seen = HashMap::new();
        for (i, d) in declarations.iter().enumerate() {
            for c in d.commands {
                for word in std::iter::once(&c.name).chain(c.aliases) {
                    claim(&mut seen, format!("/{word}"), i, &names)?;
                    r.commands.insert(word.to_lowercase(), (i, c));
                }
            }
            for p in d.buttons {
                claim(&mut seen, format!("button {p}"), i, &names)?;
                r.buttons.push((p, i));
            }
            for p in d.deep_links {
                claim(&mut seen, format!("deep link {p}"), i, &names)?;
                r.deep_links.push((p, i));
            }
            for t in d.mail_tags {
                claim(&mut r.mail_tags, t.to_lowercase(), i, &names)?;
            }
            for k in d.replies {
                claim(&mut r.replies, *k, i, &names)?;
            }
            for k in d.jobs {
                claim(&mut r.jobs, *k, i, &names)?;
            }
            for op in d.admin {
                claim(&mut r.admin, *op, i, &names)?;
            }
        }
        let mut subs = HashMap::new();
        for s in &r.subscribers {
            claim(&mut subs, s.name(), 0, &["a subscriber"])?;
        }
        r.buttons.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        r.deep_links.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        r.declarations = declarations;
        Ok(r)
    }

    /// Parses a message; None when it is not a command at all.
    pub fn parse(&self, text: &str) -> Option<Parsed<'_>> {
        let text = text.trim_start();
        let rest = text.strip_prefix('/').or_else(|| text.strip_prefix('!')).or_else(|| text.strip_prefix('／'))?;
        let (first_line, body) = match rest.find('\n') {
            Some(i) => (&rest[..i], rest[i + 1..].trim()),
            None => (rest, ""),
        };
        let mut words = first_line.split_whitespace();
        // Telegram sends /cmd@botname in groups.
        let name = words.next().unwrap_or("").split('@').next().unwrap_or("");
        let args: Vec<String> = words.map(str::to_owned).collect();
        Some(match self.commands.get(&name.to_lowercase()) {
            Some((i, spec)) => Parsed::Known {
                feature: self.features[*i].as_ref(),
                spec,
                inv: Invocation { name: spec.name, args, body: body.to_owned() },
            },
            None => Parsed::Unknown(name.to_owned()),
        })
    }

    fn by_prefix(&self, table: &[(&'static str, usize)], data: &str) -> Option<&dyn Feature> {
        table.iter().find(|(p, _)| data.starts_with(p)).map(|(_, i)| self.features[*i].as_ref())
    }

    /// The feature owning button data.
    pub fn button(&self, data: &str) -> Option<&dyn Feature> {
        self.by_prefix(&self.buttons, data)
    }

    /// The feature owning a deep-link payload.
    pub fn deep_link(&self, payload: &str) -> Option<&dyn Feature> {
        self.by_prefix(&self.deep_links, payload)
    }

    pub fn mail_tag(&self, tag: &str) -> Option<&dyn Feature> {
        self.mail_tags.get(&tag.to_lowercase()).map(|i| self.features[*i].as_ref())
    }

    /// The feature handling replies to a kind of bot message.
    pub fn reply_owner(&self, kind: &str) -> Option<&dyn Feature> {
        self.replies.get(kind).map(|i| self.features[*i].as_ref())
    }

    /// Runs an operator operation (`tree.stats`) by the feature declaring it.
    pub fn admin(&self, cx: &crate::context::Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        match self.admin.get(op) {
            Some(i) => self.features[*i].admin(cx, op, args),
            None => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
        }
    }

    /// Every operator operation, sorted.
    pub fn admin_ops(&self) -> Vec<&'static str> {
        let mut ops: Vec<_> = self.admin.keys().copied().collect();
        ops.sort_unstable();
        ops
    }

    pub fn job_owner(&self, kind: &str) -> Option<&dyn Feature> {
        self.jobs.get(kind).map(|i| self.features[*i].as_ref())
    }

    pub fn features(&self) -> impl Iterator<Item = &dyn Feature> {
        self.features.iter().map(|f| f.as_ref())
    }

    pub fn subscribers(&self) -> &[Arc<dyn Subscriber>] {
        &self.subscribers
    }

    pub fn subscriber_names(&self) -> Vec<&'static str> {
        self.subscribers.iter().map(|s| s.name()).collect()
    }

    /// Every command, in declaration order.
    pub fn commands(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.declarations.iter().flat_map(|d| d.commands.iter())
    }

    /// The /help answer, built from the declarations.
    pub fn help_text(&self) -> String {
        let mut s = format!("{}\n", Msg::HelpHeading.text());
        for c in self.commands() {
            let aliases: Vec<String> = c.aliases.iter().map(|a| format!("/{a}")).collect();
            let who = match c.who {
                Who::Anyone => "",
                Who::Members => Msg::HelpForMembers.text(),
                Who::Officials => Msg::HelpForOfficials.text(),
            };
            let usage = if c.usage.is_empty() { String::new() } else { format!(" {}", c.usage) };
            s.push_str(&format!("/{}{usage} ({}) - {who}{}\n", c.name, aliases.join(" "), c.help));
        }
        s.push_str(Msg::HelpFooter.text());
        s
    }
}
