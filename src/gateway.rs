//! The dispatcher: every adapter's inbound event goes to the feature that
//! owns it (by command, button prefix, mail tag, replied-to message or
//! conversation), and each batch's answers are committed before any
//! adapter hears its outcome.

use std::sync::Arc;

use tokio::sync::mpsc;
use treecast_wire::{shutdown_signalled, ChatKind, Inbound, InboundEnvelope, InboundKind, Outcome, Shutdown};

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::outbox::queue::Queued;
use crate::registry::modules;
use crate::registry::{split_at_org, Cx, Feature, Handled, Parsed, Registry};
use crate::tree::people::Role;
use crate::tree::Org;

#[derive(Clone)]
pub struct Gateway {
    pub ctx: Ctx,
    pub registry: Arc<Registry>,
}

impl Gateway {
    pub fn new(ctx: Ctx, registry: Arc<Registry>) -> Gateway {
        Gateway { ctx, registry }
    }

    /// Handles one event: state and answers are durable when this returns.
    /// A failed commit, or a store failure while handling, is an error:
    /// nothing was promised to the sender.
    pub async fn handle(&self, ev: &Inbound) -> Result<Outcome> {
        let mut out = self.handle_batch(std::slice::from_ref(ev), &[true]).await?;
        out.remove(0).ok_or_else(|| Error::Io(std::io::Error::other("the event could not be stored; offer it again")))
    }

    /// Handles events in order and commits them as a group: one flush makes
    /// every event's state and answers durable before any outcome is told.
    /// An event whose handling failed inside the store gets no outcome when
    /// its adapter can offer it again (`can_retry`), so it is not lost;
    /// otherwise its sender is told to try again later.
    pub async fn handle_batch(&self, events: &[Inbound], can_retry: &[bool]) -> Result<Vec<Option<Outcome>>> {
        let mut outcomes = Vec::with_capacity(events.len());
        let mut replies = Vec::new();
        for (i, ev) in events.iter().enumerate() {
            crate::metrics::inbound(ev.chat.platform, kind_name(&ev.kind));
            let handled = match self.decide(ev) {
                Ok(h) => h,
                Err(e) if can_retry.get(i).copied().unwrap_or(false) => {
                    tracing::error!(error = %e, "could not handle an event; its adapter will offer it again");
                    outcomes.push(None);
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not handle an event");
                    Handled::say(ev, Msg::SystemBusy.text())
                }
            };
            outcomes.push(Some(match &handled.rejected {
                Some(reason) => Outcome::Rejected { reason: reason.clone() },
                None => Outcome::Done,
            }));
            replies.extend(handled.replies);
        }
        for f in self.registry.features() {
            f.end_batch(&self.ctx)?;
        }
        self.commit(replies).await?;
        Ok(outcomes)
    }

    /// Routes one event; an error of the sender's becomes one sentence for
    /// them, a store failure is returned.
    fn decide(&self, ev: &Inbound) -> Result<Handled> {
        let cx = Cx { ctx: &self.ctx, registry: &self.registry };
        match self.route(&cx, ev) {
            Ok(h) => Ok(h),
            Err(e @ (Error::Store(_) | Error::Corrupt(_) | Error::Io(_) | Error::SchemaTooNew { .. })) => Err(e),
            Err(e) => Ok(Handled::reject(ev, e.to_string())),
        }
    }

    async fn commit(&self, replies: Vec<Queued>) -> Result<()> {
        let store = self.ctx.store();
        if !replies.is_empty() {
            store.enqueue(replies)?;
        }
        store.flush_async().await?;
        self.ctx.waker.wake();
        Ok(())
    }

    /// Receives from every adapter until shutdown, committing whatever has
    /// arrived together (group commit). When a commit fails no outcome is
    /// sent: the adapter sees the event as not handled and offers it again.
    pub async fn serve(self: Arc<Self>, mut rx: mpsc::Receiver<InboundEnvelope>, mut shutdown: Shutdown) {
        const GROUP: usize = 512;
        let mut buf = Vec::with_capacity(GROUP);
        loop {
            buf.clear();
            tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => return,
                n = rx.recv_many(&mut buf, GROUP) => if n == 0 { return },
            }
            let (events, acks): (Vec<Inbound>, Vec<_>) = buf.drain(..).map(|e| (e.event, e.committed)).unzip();
            let can_retry: Vec<bool> = acks.iter().map(Option::is_some).collect();
            match self.handle_batch(&events, &can_retry).await {
                Ok(outcomes) => {
                    for (ack, outcome) in acks.into_iter().zip(outcomes) {
                        if let (Some(c), Some(o)) = (ack, outcome) {
                            let _ = c.send(o);
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, events = events.len(), "could not commit a batch of events; adapters will offer them again")
                }
            }
        }
    }

    fn route(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        let r = &self.registry;
        match &ev.kind {
            InboundKind::Button { data } => match r.button(data) {
                Some(f) => match self.gate(cx, ev, f, None)? {
                    Some(off) => Ok(off),
                    None => f.button(cx, ev, data),
                },
                None => Ok(Handled::none()),
            },
            InboundKind::Reaction { key } => {
                let Some(to) = self.replied_to(ev)? else { return Ok(Handled::none()) };
                match r.reply_owner(to.kind()) {
                    Some(f) => match self.gate(cx, ev, f, None)? {
                        Some(off) => Ok(off),
                        None => f.reaction(cx, ev, to, key),
                    },
                    None => Ok(Handled::none()),
                }
            }
            InboundKind::Removed | InboundKind::Migrated { .. } => {
                let mut all = Handled::none();
                for f in r.features() {
                    all.replies.extend(f.chat_changed(cx, ev)?.replies);
                }
                Ok(all)
            }
            InboundKind::Message => self.message(cx, ev),
            InboundKind::Edited { .. } | InboundKind::Deleted { .. } => {
                let mut all = Handled::none();
                for f in r.features() {
                    if self.gate(cx, ev, f, None)?.is_none() {
                        all.replies.extend(f.message_changed(cx, ev)?.replies);
                    }
                }
                Ok(all)
            }
        }
    }

    /// What the bot message this event answers was, if it was one.
    fn replied_to(&self, ev: &Inbound) -> Result<Option<crate::msgref::MsgRef>> {
        match &ev.in_reply_to {
            Some(id) => self.ctx.store().msgref(ev.chat.platform, id),
            None => Ok(None),
        }
    }

    fn message(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        let r = &self.registry;
        if let Some(to) = self.replied_to(ev)? {
            if let Some(f) = r.reply_owner(to.kind()) {
                if let Some(off) = self.gate(cx, ev, f, None)? {
                    return Ok(off);
                }
                return f.reply(cx, ev, to);
            }
        }
        if let Some((tag, arg)) = ev.sent_to.as_deref().and_then(posting_tag) {
            if let Some(f) = r.mail_tag(tag) {
                if let Some(off) = self.gate(cx, ev, f, None)? {
                    return Ok(off);
                }
                return f.mail(cx, ev, tag, arg);
            }
        }
        match r.parse(&ev.text) {
            Some(Parsed::Known { feature, spec, inv }) => {
                if let Some(off) = self.gate(cx, ev, feature, Some(&inv.args))? {
                    return Ok(off);
                }
                if !ev.sender.verified && (spec.changes_state)(&inv.args) {
                    if let Some(p) = cx.person(ev)? {
                        let line = ev.text.lines().next().unwrap_or_default().trim();
                        let what = msg(Msg::ConfirmWhatCommand, &[("line", &line)]);
                        return crate::confirm::ask(
                            cx,
                            ev,
                            Grant::ConfirmCommand { person: p.id, text: ev.text.clone() },
                            &what,
                        );
                    }
                }
                return feature.command(cx, ev, &inv);
            }
            Some(Parsed::Unknown(name)) => {
                return Ok(Handled::say(ev, msg(Msg::UnknownCommand, &[("command", &name)])))
            }
            None => {}
        }
        if ev.chat.kind == ChatKind::Direct {
            for f in r.features() {
                if let Some(h) = f.conversation(cx, ev)? {
                    return Ok(h);
                }
            }
            return Ok(Handled::say(ev, Msg::NotUnderstood.text()));
        }
        self.group_message(cx, ev)
    }

    /// Group chatter that is not for the bot: logged for the features that
    /// follow bound groups (topics, activity), then offered to them.
    fn group_message(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        let Some(ch) = cx.tree.channel_by_address(&ev.chat)? else { return Ok(Handled::none()) };
        let person = cx.person(ev)?.map(|p| p.id);
        let e = Event::GroupMessage { channel: ch.id, org: ch.org, person };
        let at = cx.clock.now_ms();
        cx.store().transact(&[], |tx| {
            events::append(tx, at, &e);
            Ok(())
        })?;
        let mut all = Handled::none();
        for f in self.registry.features() {
            // A module switched off for the chat's org stays silent here.
            if self.gate(cx, ev, f, None)?.is_none() {
                all.replies.extend(f.group_message(cx, ev)?.replies);
            }
        }
        Ok(all)
    }

    /// None if `f` may handle `ev`; otherwise the sentence saying its module
    /// is off for the org the event acts in, and who can turn it on.
    fn gate(&self, cx: &Cx, ev: &Inbound, f: &dyn Feature, args: Option<&[String]>) -> Result<Option<Handled>> {
        let d = f.declare();
        let Some(label) = d.module else { return Ok(None) };
        let Some(org) = self.org_of(cx, ev, args)? else { return Ok(None) };
        Ok(modules::refusal(&cx.tree, &cx.config.modules, &org, d.name, label)?.map(|text| Handled::say(ev, text)))
    }

    /// The org an event acts in: the bound chat's; in a private chat the
    /// org a command names (`@CODE`), else the sender's own (the first they
    /// are an official of, else the first they belong to).
    fn org_of(&self, cx: &Cx, ev: &Inbound, args: Option<&[String]>) -> Result<Option<Org>> {
        if ev.chat.kind != ChatKind::Direct {
            if let Some(ch) = cx.tree.channel_by_address(&ev.chat)? {
                return cx.tree.get(ch.org);
            }
        }
        if let Some((Some(code), _)) = args.map(split_at_org) {
            if let Some(o) = cx.tree.by_code(code)? {
                return Ok(Some(o));
            }
        }
        let Some(p) = cx.person(ev)? else { return Ok(None) };
        let mut roles = cx.tree.roles_of(p.id)?;
        roles.sort_by_key(|(_, r)| *r != Role::Official);
        Ok(roles.into_iter().next().map(|(o, _)| o))
    }
}

/// The tag and argument of a posting address `tag+ARG@domain`.
pub fn posting_tag(addr: &str) -> Option<(&str, &str)> {
    let local = addr.split('@').next()?;
    let (name, tag) = local.split_once('+')?;
    (!name.is_empty() && !tag.is_empty()).then_some((name, tag))
}

#[cfg(test)]
mod tests;

/// An inbound event's kind, as the metrics name it.
fn kind_name(k: &InboundKind) -> &'static str {
    match k {
        InboundKind::Message => "message",
        InboundKind::Reaction { .. } => "reaction",
        InboundKind::Button { .. } => "button",
        InboundKind::Removed => "removed",
        InboundKind::Migrated { .. } => "migrated",
        InboundKind::Edited { .. } => "edited",
        InboundKind::Deleted { .. } => "deleted",
    }
}
