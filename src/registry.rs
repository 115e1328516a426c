//! The seam every feature plugs into: a feature declares in one place the
//! commands (with Chinese aliases, who may use them and help), button
//! prefixes, deep-link payloads, mail tags, replies, jobs and event
//! subscribers it owns; the registry answers "who owns this event?".

use std::sync::Arc;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::Record;
use crate::msgref::MsgRef;
use crate::schedule::Job;
use crate::store::Writes;
use crate::tree::people::Person;

/// Who a command is for (shown in the help and in bot-commands.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anyone,
    Members,
    Officials,
}

/// One chat command, declared by the feature that runs it.
pub struct CommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// Arguments as typed after the name, e.g. `ID [ORG]`.
    pub usage: &'static str,
    /// One line, Chinese first with English.
    pub help: &'static str,
    pub who: Who,
    /// Whether this call acts with someone's authority: mailed by an
    /// unproven sender it runs only after a confirmation reply.
    pub changes_state: fn(&[String]) -> bool,
}

pub fn always(_: &[String]) -> bool {
    true
}

pub fn never(_: &[String]) -> bool {
    false
}

/// What a feature owns, in one place.
#[derive(Default)]
pub struct Declaration {
    pub name: &'static str,
    pub commands: &'static [CommandSpec],
    /// Prefixes of button data (`ack:`).
    pub buttons: &'static [&'static str],
    /// Prefixes of deep-link payloads (`/start s12`).
    pub deep_links: &'static [&'static str],
    /// Tags of posting addresses (`notice+CODE@…`).
    pub mail_tags: &'static [&'static str],
    /// Kinds of bot messages whose replies and reactions it handles (`MsgRef::kind`).
    pub replies: &'static [&'static str],
    /// Kinds of scheduled jobs it runs.
    pub jobs: &'static [&'static str],
    /// Operator operations (`tree.stats`): the command line's and the admin
    /// API's (`/api/v1/tree/stats`), handled by `Feature::admin`.
    pub admin: &'static [&'static str],
    /// Kinds of search documents it makes, as results show them and
    /// `--kind` names them.
    pub search_kinds: &'static [SearchKind],
    /// Its name as a module each org may switch on or off (`话题`), or
    /// None for a part every org has (see `modules.rs`).
    pub module: Option<&'static str>,
    /// Its pages in the web console's navigation: (path, Chinese, English).
    pub web_nav: &'static [(&'static str, &'static str, &'static str)],
}

/// A kind of search document (`SearchDoc::kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchKind {
    pub kind: &'static str,
    /// Shown before each hit, Chinese first (`话题 topic`).
    pub label: &'static str,
    /// Other names `--kind` takes for it (`message` for `letter`).
    pub aliases: &'static [&'static str],
}

/// A command as typed: its canonical name, the words after it on the first
/// line, and the lines below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub name: &'static str,
    pub args: Vec<String>,
    pub body: String,
}

impl Invocation {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// The words from the `i`th on, joined by spaces.
    pub fn words_from(&self, i: usize) -> String {
        self.args.get(i..).unwrap_or_default().join(" ")
    }

    /// What was written from the `i`th word on, the lines below included
    /// (a question, an answer, a post), trimmed.
    pub fn text_from(&self, i: usize) -> String {
        [self.words_from(i), self.body.clone()].join("\n").trim().to_owned()
    }

    /// Argument `i` as a number (`12` or `#12`); otherwise `usage`.
    pub fn id(&self, i: usize, usage: Msg) -> Result<u64> {
        self.arg(i)
            .map(|a| a.trim_start_matches(['#', '＃']))
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| Error::invalid(usage.text()))
    }
}

/// `@CODE` (or `＠CODE`) as the first of `args` names the org to act for:
/// that code, and the words after it; otherwise none, and all of `args`.
pub fn split_at_org(args: &[String]) -> (Option<&str>, &[String]) {
    match args.first().and_then(|a| a.strip_prefix('@').or_else(|| a.strip_prefix('＠'))) {
        Some(code) if !code.is_empty() => (Some(code), &args[1..]),
        _ => (None, args),
    }
}

/// A derived view fed by the event log from its own persisted position.
pub trait Subscriber: Send + Sync {
    /// Unique and stable: the name its read position is stored under.
    fn name(&self) -> &'static str;
    /// Handles events in order; what it returns commits with its new position.
    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes>;
    /// Runs in a loop of its own, so that a slow batch (the search index
    /// after a national import) never holds up the others' summaries and
    /// digests.
    fn apart(&self) -> bool {
        false
    }
}

/// The context of one dispatch: the shared context and the registry itself
/// (a confirmed command is dispatched again).
pub struct Cx<'a> {
    pub ctx: &'a Ctx,
    pub registry: &'a Registry,
}

impl std::ops::Deref for Cx<'_> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        self.ctx
    }
}

/// A feature: everything it handles, behind the one declaration.
pub trait Feature: Send + Sync {
    fn declare(&self) -> Declaration;

    /// One of its declared commands.
    fn command(&self, _cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        Ok(Handled::say(ev, msg(Msg::NotAvailable, &[("command", &inv.name)])))
    }

    /// A press of one of its buttons.
    fn button(&self, _cx: &Cx, _ev: &Inbound, _data: &str) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// `/start PAYLOAD` with one of its deep-link prefixes.
    fn deep_link(&self, _cx: &Cx, _ev: &Inbound, _payload: &str) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// A mail to one of its posting addresses (`tag+ARG@…`).
    fn mail(&self, _cx: &Cx, _ev: &Inbound, _tag: &str, _arg: &str) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// A reply to one of its bot messages.
    fn reply(&self, _cx: &Cx, _ev: &Inbound, _to: MsgRef) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// A reaction to one of its bot messages.
    fn reaction(&self, _cx: &Cx, _ev: &Inbound, _to: MsgRef, _key: &str) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// Free text in a private chat: an answer, if a conversation of this
    /// feature is under way for the sender.
    fn conversation(&self, _cx: &Cx, _ev: &Inbound) -> Result<Option<Handled>> {
        Ok(None)
    }

    /// `/back`, `/skip` or `/cancel` in a private chat: handled if a
    /// conversation of this feature is under way for the sender.
    fn control(&self, _cx: &Cx, _ev: &Inbound, _input: crate::conversation::Input) -> Result<Option<Handled>> {
        Ok(None)
    }

    /// A message in a bound group that is not for the bot.
    fn group_message(&self, _cx: &Cx, _ev: &Inbound) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// A person edited or deleted a message they had sent
    /// (`InboundKind::Edited`, `InboundKind::Deleted`).
    fn message_changed(&self, _cx: &Cx, _ev: &Inbound) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// The bot was removed from a chat, or the chat moved.
    fn chat_changed(&self, _cx: &Cx, _ev: &Inbound) -> Result<Handled> {
        Ok(Handled::none())
    }

    /// A confirmation code redeemed by its proven sender.
    fn confirmed(&self, _cx: &Cx, _ev: &Inbound, _grant: &Grant) -> Result<Option<Handled>> {
        Ok(None)
    }

    /// One of its scheduled jobs, due now; the writes commit with the job's removal.
    fn run_job(&self, _cx: &Ctx, job: &Job) -> Result<Writes> {
        Err(Error::invalid(msg(Msg::NoJobRunner, &[("kind", &job.kind)])))
    }

    /// The gateway's batch is about to be committed: writes the feature kept
    /// back (to commit a batch's worth at once) go now.
    fn end_batch(&self, _cx: &Ctx) -> Result<()> {
        Ok(())
    }

    /// An operator operation it declared, with its JSON arguments.
    fn admin(&self, _cx: &Ctx, op: &str, _args: serde_json::Value) -> Result<crate::admin::Reply> {
        Err(Error::invalid(msg(Msg::AdminUnknownOp, &[("op", &op)])))
    }

    /// Derived views it keeps from the event log.
    fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        Vec::new()
    }

    /// Its part of the officials' daily digest, read once per digest run.
    fn digest(&self, _cx: &Ctx) -> Result<Option<Box<dyn DigestSource + '_>>> {
        Ok(None)
    }

    /// What events of the log change in the search index (indexing follows the log).
    fn search_docs(&self, _cx: &Ctx, _events: &[Record]) -> Result<Vec<SearchOp>> {
        Ok(Vec::new())
    }

    /// Every document it has, for rebuilding the index from the store.
    fn search_all(&self, _cx: &Ctx, _put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        Ok(())
    }

    /// Once when the app is built: e.g. the first run of a recurring job.
    fn start(&self, _cx: &Ctx) -> Result<()> {
        Ok(())
    }

    /// Applies the keeping times of `[privacy]` to its data (daily); returns
    /// how many entries it removed or made anonymous.
    fn retain(&self, _cx: &Ctx, _w: &mut Writes) -> Result<usize> {
        Ok(0)
    }

    /// What it holds about `person`, one line each (Chinese first), for `/mydata`.
    fn personal_data(&self, _cx: &Ctx, _person: &Person) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Removes what it holds about `person` (`/forget`), keeping anonymous
    /// counts; the writes commit with every other feature's.
    fn forget(&self, _cx: &Ctx, _person: &Person, _w: &mut Writes) -> Result<()> {
        Ok(())
    }

    /// Its pages in the web console (`crate::web`), each checking who may see them.
    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        None
    }

    /// Its part of the console's overview for this viewer (HTML from its
    /// own template), or None.
    fn web_panel(&self, _cx: &Ctx, _viewer: &crate::web::Viewer) -> Result<Option<String>> {
        Ok(None)
    }
}

/// A parsed command line: a known command with its feature, or an unknown name.
pub enum Parsed<'r> {
    Known { feature: &'r dyn Feature, spec: &'static CommandSpec, inv: Invocation },
    Unknown(String),
}

mod derived;
mod handled;
pub mod modules;
mod site;
mod table;
pub use derived::{moved_orgs, DigestItem, DigestSource, SearchDoc, SearchOp};
pub use handled::{reply_to, tell, Handled};
pub use table::Registry;

#[cfg(test)]
mod tests;
