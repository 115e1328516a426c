//! A person's own data: `/mydata` (`/我的信息`) shows what treecast holds
//! about them, `/forget` (`/删除我的信息`) removes it. Each feature says what
//! it holds and forgets its part (`Feature::personal_data`, `Feature::forget`);
//! this one owns the person's record, their identities, the commands and
//! the one commit. Anonymous counts and acknowledgements made for a branch
//! stay: the record keeps its id and roles, without a name or an account.
//!
//! It also runs the daily retention job: each feature applies the keeping
//! times of `[privacy]` to its own data (`Feature::retain`).

use std::sync::Arc;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::registry::{always, never, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::people::{Person, Role};

pub use crate::config::privacy::Settings;

const RETENTION_JOB: &str = "privacy.retention";
const DAY_SECS: u64 = 86_400;

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "mydata",
        aliases: &["我的信息"],
        usage: "",
        help: "查看平台保存的我的个人信息 / what treecast holds about you",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "forget",
        aliases: &["删除我的信息"],
        usage: "[确认|confirm]",
        help: "删除我的个人信息（需确认） / delete what treecast holds about you (asks first)",
        who: Who::Anyone,
        changes_state: always,
    },
];

pub struct Privacy {
    /// Every other feature: each holds its part of a person's data.
    holders: Vec<Arc<dyn Feature>>,
}

impl Privacy {
    pub fn new(holders: Vec<Arc<dyn Feature>>) -> Privacy {
        Privacy { holders }
    }

    fn mydata(&self, cx: &Cx, p: &Person) -> Result<String> {
        let mut s = msg(Msg::MyDataHead, &[("name", &p.name), ("id", &p.id)]);
        s.push('\n');
        s.push_str(Msg::WhoamiAccounts.text());
        for i in &p.identities {
            s.push_str(&format!(" {i}"));
        }
        if let Some(platform) = p.preferred {
            s.push('\n');
            s.push_str(&msg(Msg::MyDataPreferred, &[("platform", &platform)]));
        }
        s.push('\n');
        s.push_str(Msg::WhoamiRoles.text());
        for (org, role) in cx.tree.roles_of(p.id)? {
            let line = if role == Role::Official { Msg::RoleOfficial } else { Msg::RoleMember };
            s.push_str(&format!("\n  {}", msg(line, &[("code", &org.code), ("name", &org.name)])));
        }
        for f in &self.holders {
            for line in f.personal_data(cx, p)? {
                s.push_str(&format!("\n{line}"));
            }
        }
        s.push_str(&format!("\n\n{}", Msg::MyDataFoot.text()));
        Ok(s)
    }

    /// Removes `p`'s data everywhere, in one commit.
    fn forget(&self, cx: &Cx, p: &Person) -> Result<()> {
        let mut w = Writes::default();
        for f in &self.holders {
            f.forget(cx, p, &mut w)?;
        }
        cx.store().forget_person(p, &mut w);
        events::emit(&mut w, cx.now() * 1000, &Event::PersonForgotten { person: p.id });
        cx.store().commit(&w)?;
        tracing::info!(person = p.id, "a person's data was deleted at their request");
        Ok(())
    }
}

impl Feature for Privacy {
    fn declare(&self) -> Declaration {
        Declaration { name: "privacy", commands: COMMANDS, jobs: &[RETENTION_JOB], ..Declaration::default() }
    }

    fn start(&self, cx: &Ctx) -> Result<()> {
        if schedule::due_at(cx.store(), RETENTION_JOB)?.is_none() {
            let job = Job::new(RETENTION_JOB, RETENTION_JOB, Vec::new());
            schedule::schedule(cx.store(), (cx.now() + DAY_SECS) * 1000, &job)?;
        }
        Ok(())
    }

    /// Daily: every feature applies the keeping times to its data.
    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        let mut w = Writes::default();
        for f in &self.holders {
            let n = f.retain(cx, &mut w)?;
            if n > 0 {
                tracing::info!(
                    feature = f.declare().name,
                    entries = n,
                    "data past its keeping time removed or made anonymous"
                );
            }
        }
        schedule::put(cx.store(), &mut w, (cx.now() + DAY_SECS) * 1000, job)?;
        Ok(w)
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let Some(p) = cx.person(ev)? else {
            return Ok(Handled::say(ev, Msg::MyDataNothing.text()));
        };
        match (inv.name, inv.arg(0)) {
            ("mydata", _) => Ok(Handled::say(ev, self.mydata(cx, &p)?)),
            ("forget", None) => Ok(Handled::say(ev, Msg::ForgetAsk.text())),
            ("forget", Some("确认" | "confirm" | "CONFIRM" | "Confirm")) => {
                self.forget(cx, &p)?;
                Ok(Handled::say(ev, Msg::Forgotten.text()))
            }
            ("forget", Some(other)) => Err(Error::invalid(msg(Msg::ForgetUsage, &[("text", &other)]))),
            _ => Ok(Handled::none()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
