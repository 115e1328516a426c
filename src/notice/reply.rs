//! Replies come back privately: a reply to a notice copy opens a thread
//! between the replier and the notice's author; each side's answer to the
//! bot's relayed message goes to the other side privately.

use std::sync::Arc;

use treecast_wire::{Address, Inbound, Outbound, OutboundKind};

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::msgref::MsgRef;
use crate::store::{Fallback, Queued};
use crate::store::{Keyspace, Writes};
use crate::tree::{Org, Tree};

/// author ++ thread -> () : threads whose last word was the replier's, so
/// the author's daily digest lists the replies awaiting their answer.
const AWAITING: Keyspace = Keyspace::Named("notices.awaiting");

fn awaiting_key(author: u64, thread: u64) -> Vec<u8> {
    [&author.to_be_bytes()[..], &thread.to_be_bytes()].concat()
}

pub use crate::store::threads::{Replier, Thread};

impl Tree {
    pub fn thread(&self, id: u64) -> Result<Thread> {
        self.store.thread(id)?.ok_or_else(|| Error::not_found(msg(Msg::NoReplyThread, &[("id", &id)])))
    }

    /// How a sender is shown to others: the registered name when the person
    /// is known; otherwise what the platform shows, marked as such (anyone
    /// can set a display name).
    /// `person` is the sender as looked up already, if they are registered.
    pub fn sender_name(ev: &Inbound, person: Option<&crate::tree::people::Person>) -> String {
        if let Some(p) = person {
            return p.name.clone();
        }
        match &ev.sender.display_name {
            Some(d) => format!("{d}（{} 显示名 display name）", ev.chat.platform),
            None => ev.sender.id.clone(),
        }
    }

    /// A notice's author and their private address.
    fn author_address(&self, author: u64) -> Result<(crate::tree::people::Person, Address)> {
        let p = self.person(author)?.ok_or_else(|| Error::not_found(Msg::AuthorGone.text()))?;
        let to = p.private_address().ok_or_else(|| Error::invalid(Msg::AuthorUnreachable.text()))?;
        Ok((p, to))
    }

    /// A reply to notice `notice` from channel `channel`: opens a thread and
    /// queues the relay to the author's preferred identity.
    pub fn relay_reply(&self, ev: &Inbound, notice: u64, channel: u64) -> Result<Queued> {
        let n = self.require_notice(notice)?;
        let root = self.require_notice(n.root_id())?;
        let ch = self.channel(channel)?.ok_or_else(|| Error::not_found(Msg::ChannelGone.text()))?;
        let org = self.require_id(ch.org)?;
        let (author, to) = self.author_address(root.author)?;
        let name = Tree::sender_name(ev, self.person_by_identity(ev.chat.platform, &ev.sender.id)?.as_ref());
        let thread = Thread {
            id: self.store.next_id()?,
            notice: root.id,
            org: org.id,
            author: author.id,
            replier: Replier { platform: ev.chat.platform, user: ev.sender.id.clone(), name: name.clone() },
            origin: ev.chat.clone(),
            origin_message: ev.message_id.clone(),
        };
        let mut w = Writes::default();
        w.put_thread(&thread);
        w.put(AWAITING, awaiting_key(author.id, thread.id), Vec::new());
        events::emit(&mut w, self.clock.now_ms(), &Event::Replied { notice: root.id, channel });
        self.store.commit(&w)?;
        let body = format!(
            "{} · {} ({}) 回复了通知《{}》:\n\n{}\n\n直接回复这条消息即可私下答复对方。 Reply to this message to answer privately.",
            org.name, name, ev.chat.platform, root.title, ev.text.trim()
        );
        let mut msg = private(format!("t{}-a-{}", thread.id, crate::msgref::nonce()), to, body);
        msg.title = Some(format!("回复 Re: {}", root.title).into());
        Ok(Queued::new(msg).on_sent(MsgRef::Thread { thread: thread.id, to_author: true }))
    }

    /// An answer within a thread: to the replier if it came from the author,
    /// to the author otherwise. `seq` makes each answer's delivery id unique.
    pub fn relay_answer(&self, ev: &Inbound, thread: &Thread, from_author: bool) -> Result<Queued> {
        let root = self.require_notice(thread.notice)?;
        let org: Org = self.require_id(thread.org)?;
        let seq = self.store.next_id()?;
        let mut w = Writes::default();
        match from_author {
            true => w.remove(AWAITING, awaiting_key(thread.author, thread.id)),
            false => w.put(AWAITING, awaiting_key(thread.author, thread.id), Vec::new()),
        }
        self.store.commit(&w)?;
        if from_author {
            let author = self.person(thread.author)?.map(|p| p.name).unwrap_or_default();
            let body = format!("{author} 就通知《{}》答复您:\n\n{}", root.title, ev.text.trim());
            let to = Address::direct(thread.replier.platform, thread.replier.user.clone());
            let mut msg = private(format!("t{}-r{seq}-{}", thread.id, crate::msgref::nonce()), to, body.clone());
            // Titled after the notice, and threaded under the member's own
            // mail when they replied by mail, so clients show one thread.
            msg.title = Some(format!("回复 Re: {}", root.title).into());
            if thread.origin.platform == thread.replier.platform && thread.origin.kind != treecast_wire::ChatKind::Group
            {
                msg.in_reply_to = Some(thread.origin_message.clone()).filter(|m| !m.is_empty());
            }
            let fallback = Fallback {
                to: thread.origin.clone(),
                in_reply_to: Some(thread.origin_message.clone()).filter(|m| !m.is_empty()),
                body: format!("@{} {body}", thread.replier.name),
                tell: ev_sender_address(ev).map(|a| {
                    (
                        a,
                        format!(
                            "{} 尚未与机器人私聊，答复已发到其所在群并提及对方。 {} has not started a private chat with the bot, so the answer was posted in their group, addressed to them.",
                            thread.replier.name, thread.replier.name
                        ),
                    )
                }),
            };
            Ok(Queued::new(msg).on_sent(MsgRef::Thread { thread: thread.id, to_author: false }).with_fallback(fallback))
        } else {
            let (_, to) = self.author_address(thread.author)?;
            let body =
                format!("{} · {} 继续回复《{}》:\n\n{}", org.name, thread.replier.name, root.title, ev.text.trim());
            let mut msg = private(format!("t{}-a{seq}-{}", thread.id, crate::msgref::nonce()), to, body);
            msg.title = Some(format!("回复 Re: {}", root.title).into());
            Ok(Queued::new(msg).on_sent(MsgRef::Thread { thread: thread.id, to_author: true }))
        }
    }
}

impl Tree {
    /// The threads on `author`'s notices whose last word was the replier's, oldest first.
    pub fn awaiting_answer(&self, author: u64) -> Result<Vec<Thread>> {
        let mut out = Vec::new();
        for k in self.store.tree(AWAITING)?.scan_prefix(author.to_be_bytes()).keys() {
            let k = k?;
            let id = crate::store::keys::read_u64_at(&k, 8, "notices.awaiting")?;
            out.extend(self.store.thread(id)?);
        }
        Ok(out)
    }
}

fn ev_sender_address(ev: &Inbound) -> Option<Address> {
    (ev.chat.kind == treecast_wire::ChatKind::Direct).then(|| ev.chat.clone())
}

fn private(id: String, to: Address, body: String) -> Outbound {
    Outbound {
        id,
        kind: OutboundKind::Private,
        to,
        title: None,
        body: body.into(),
        footer: None,
        buttons: Vec::new(),
        attachments: Arc::from(Vec::new()),
        in_reply_to: None,
        via: String::new(),
        unsubscribe: None,
        list_name: None,
    }
}
