//! Routes every adapter's inbound events: replies and reactions to notices,
//! relayed answers, commands, survey conversations, chat lifecycle. Each
//! event's state and its answers are committed together before the adapter
//! hears the outcome.

use std::sync::Arc;

use tokio::sync::mpsc;
use treecast_wire::{
    shutdown_signalled, Address, ChatKind, Inbound, InboundEnvelope, InboundKind, Outbound, Outcome, Platform, Shutdown,
};

use crate::commands::{help_text, parse_notice_id, Command};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::notice::ack::{is_ack_text, AckRow};
use crate::notice::reply::MsgRef;
use crate::notice::{Draft, NoticeRules};
use crate::outbox::queue::Queued;
use crate::outbox::Waker;
use crate::survey::Surveys;
use crate::tree::auth::Action;
use crate::tree::people::{now_unix, Grant, Person, Role};
use crate::tree::{Org, Tree};

#[derive(Clone)]
pub struct Gateway {
    pub tree: Tree,
    pub rules: NoticeRules,
    pub waker: Waker,
    pub surveys: Surveys,
    bind_code_ttl: u64,
}

/// What handling one event produced.
#[derive(Debug, Default)]
pub struct Handled {
    pub replies: Vec<Queued>,
    /// Set when the event could not be acted on (email quarantines it).
    pub rejected: Option<String>,
}

impl Handled {
    fn say(to: &Inbound, text: impl Into<String>) -> Handled {
        Handled { replies: vec![reply_to(to, text)], rejected: None }
    }

    fn reject(to: &Inbound, text: impl Into<String>) -> Handled {
        let text = text.into();
        Handled { replies: vec![reply_to(to, text.clone())], rejected: Some(text) }
    }

    fn none() -> Handled {
        Handled::default()
    }
}

static REPLY_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A bot answer in the chat the event came from, threaded under it.
pub fn reply_to(ev: &Inbound, text: impl Into<String>) -> Queued {
    let n = REPLY_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("r{}-{n}-{}", now_unix(), std::process::id());
    let mut out = Outbound::reply(id, ev.chat.clone(), text.into());
    out.in_reply_to = Some(ev.message_id.clone()).filter(|m| !m.is_empty());
    if ev.chat.platform == Platform::Email && !ev.subject.is_empty() {
        let s = ev.subject.trim();
        out.title = Some(if s.starts_with("Re:") { s.to_owned() } else { format!("Re: {s}") }.into());
    }
    Queued::new(out)
}

impl Gateway {
    pub fn new(tree: Tree, cfg: &Config, waker: Waker) -> Gateway {
        let rules = NoticeRules { footer: cfg.footer.as_str().into(), max_attachment_bytes: cfg.max_attachment_bytes };
        let surveys = Surveys::new(tree.clone());
        surveys.set_dir(cfg.surveys_dir.clone());
        surveys.set_rules(rules.clone());
        Gateway { rules, surveys, tree, waker, bind_code_ttl: cfg.bind_code_ttl.as_secs() }
    }

    /// Handles one event: state and answers are durable when this returns.
    pub async fn handle(&self, ev: &Inbound) -> Outcome {
        self.handle_batch(std::slice::from_ref(ev)).await.remove(0)
    }

    /// Handles events in order and commits them as a group: one flush makes
    /// every event's state and answers durable before any outcome is told.
    pub async fn handle_batch(&self, events: &[Inbound]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(events.len());
        let mut replies = Vec::new();
        for ev in events {
            let handled = self.decide(ev);
            outcomes.push(match &handled.rejected {
                Some(reason) => Outcome::Rejected { reason: reason.clone() },
                None => Outcome::Done,
            });
            replies.extend(handled.replies);
        }
        if let Err(e) = self.commit(replies).await {
            tracing::error!(error = %e, "could not commit a batch of events");
        }
        outcomes
    }

    /// Routes one event; every error becomes one sentence for the sender.
    fn decide(&self, ev: &Inbound) -> Handled {
        match self.route(ev) {
            Ok(h) => h,
            Err(e @ (Error::Store(_) | Error::Corrupt(_) | Error::Io(_))) => {
                tracing::error!(error = %e, "could not handle an event");
                Handled::say(
                    ev,
                    "Sorry, something went wrong on our side; please try again later. 系统繁忙，请稍后再试。",
                )
            }
            Err(e) => Handled::reject(ev, e.to_string()),
        }
    }

    async fn commit(&self, replies: Vec<Queued>) -> Result<()> {
        if !replies.is_empty() {
            self.tree.store.enqueue(replies)?;
        }
        self.tree.store.flush_async().await?;
        self.waker.wake();
        Ok(())
    }

    /// Enqueues the survey reminders due at `now` and makes them durable
    /// (the surveys are marked reminded in the same flush).
    pub async fn send_survey_reminders(&self, now: u64) -> Result<usize> {
        let due = self.surveys.due_reminders(now)?;
        let n = due.len();
        self.commit(due).await?;
        Ok(n)
    }

    /// Receives from every adapter until shutdown, committing whatever has
    /// arrived together (group commit).
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
            let outcomes = self.handle_batch(&events).await;
            for (ack, outcome) in acks.into_iter().zip(outcomes) {
                if let Some(c) = ack {
                    let _ = c.send(outcome);
                }
            }
        }
    }

    fn person(&self, ev: &Inbound) -> Result<Option<Person>> {
        self.tree.person_by_identity(ev.chat.platform, &ev.sender.id)
    }

    fn route(&self, ev: &Inbound) -> Result<Handled> {
        match &ev.kind {
            InboundKind::Button { data } => self.button(ev, data),
            InboundKind::Reaction { key } => self.reaction(ev, key),
            InboundKind::Removed => self.removed(ev),
            InboundKind::Migrated { new_id } => self.migrated(ev, new_id),
            InboundKind::Message => self.message(ev),
        }
    }

    fn message(&self, ev: &Inbound) -> Result<Handled> {
        if let Some(r) = &ev.in_reply_to {
            if let Some(mref) = self.tree.msgref(ev.chat.platform, r)? {
                return self.reply(ev, mref);
            }
        }
        if let Some(to) = &ev.sent_to {
            if let Some(code) = posting_tag(to) {
                return self.email_post(ev, code);
            }
        }
        if let Some(cmd) = Command::parse(&ev.text) {
            if ev.chat.platform == Platform::Email && !ev.sender.verified && changes_state(&cmd) {
                if let Some(p) = self.person(ev)? {
                    return self.ask_to_confirm(ev, Grant::ConfirmCommand { person: p.id, text: ev.text.clone() });
                }
            }
            return self.command(ev, cmd);
        }
        if ev.chat.kind == ChatKind::Direct {
            if let Some(h) = self.surveys.answer_text(ev, &self.person(ev)?)? {
                return Ok(h);
            }
            return Ok(Handled::say(
                ev,
                "I did not understand that. To answer a notice's author, reply to the forwarded message; send /help for the commands. 发送 /帮助 查看命令。",
            ));
        }
        // Group chatter that is not for the bot.
        Ok(Handled::none())
    }

    /// A message replying to something the bot sent.
    fn reply(&self, ev: &Inbound, mref: MsgRef) -> Result<Handled> {
        match mref {
            MsgRef::Delivery { notice, channel } => {
                if is_ack_text(&ev.text) {
                    return self.ack_channel(ev, notice, channel, true);
                }
                let q = self.tree.relay_reply(ev, notice, channel)?;
                let mut h = Handled { replies: vec![q], rejected: None };
                if ev.chat.kind != ChatKind::Group {
                    h.replies.push(reply_to(ev, "已转给通知发布人。 Your reply was passed to the notice's author."));
                }
                Ok(h)
            }
            MsgRef::Thread { thread, to_author } => {
                let t = self.tree.thread(thread)?;
                let q = self.tree.relay_answer(ev, &t, to_author)?;
                Ok(Handled { replies: vec![q], rejected: None })
            }
            MsgRef::Confirm { code } => self.confirm_post(ev, &code),
        }
    }

    fn ack_channel(&self, ev: &Inbound, notice: u64, channel: u64, say: bool) -> Result<Handled> {
        let ch = self.tree.channel(channel)?.ok_or_else(|| Error::not_found("that chat is no longer bound"))?;
        let org = self.tree.require_id(ch.org)?;
        let person = self.person(ev)?;
        let row = AckRow {
            person: person.as_ref().map(|p| p.id),
            by: ev.sender.display_name.clone().unwrap_or_else(|| ev.sender.id.clone()),
            via: ev.chat.platform,
            at: now_unix(),
        };
        let (root, fresh) = self.tree.acknowledge(notice, &org, row)?;
        if !say {
            return Ok(Handled::none());
        }
        let text = if fresh {
            format!("✅ {} 已确认收到通知 #{}。 Acknowledged.", org.name, root.id)
        } else {
            format!("{} 已确认过通知 #{}。 Already acknowledged.", org.name, root.id)
        };
        Ok(Handled::say(ev, text))
    }

    fn button(&self, ev: &Inbound, data: &str) -> Result<Handled> {
        let Some(id) = data.strip_prefix("ack:").and_then(parse_notice_id) else {
            if let Some(h) = self.surveys.answer_button(ev, &self.person(ev)?, data)? {
                return Ok(h);
            }
            return Ok(Handled::none());
        };
        let ch = self
            .tree
            .channel_by_address(&ev.chat)?
            .ok_or_else(|| Error::invalid("this chat is not bound to any org"))?;
        // The adapter answers the button press itself; no chat message.
        self.ack_channel(ev, id, ch.id, false)
    }

    fn reaction(&self, ev: &Inbound, key: &str) -> Result<Handled> {
        let ack_keys = ["✅", "👍", "✔️", "☑️", "👌"];
        let Some(r) = &ev.in_reply_to else {
            return Ok(Handled::none());
        };
        match self.tree.msgref(ev.chat.platform, r)? {
            Some(MsgRef::Delivery { notice, channel }) if ack_keys.iter().any(|k| key.starts_with(k)) => {
                self.ack_channel(ev, notice, channel, false)
            }
            _ => Ok(Handled::none()),
        }
    }

    fn removed(&self, ev: &Inbound) -> Result<Handled> {
        let Some(ch) = self.tree.channel_by_address(&ev.chat)? else {
            return Ok(Handled::none());
        };
        self.tree.mark_dead(ch.id, "the bot was removed from the chat")?;
        let org = self.tree.require_id(ch.org)?;
        Ok(Handled {
            replies: self.tell_officials(&org, &format!(
                "机器人已被移出 {} 的群聊 ({})，该渠道已停用。 The bot was removed from {}'s chat; the channel is marked dead. Bind a new chat with /invite.",
                org.name, ev.chat, org.name
            ))?,
            rejected: None,
        })
    }

    fn migrated(&self, ev: &Inbound, new_id: &str) -> Result<Handled> {
        let Some(ch) = self.tree.channel_by_address(&ev.chat)? else {
            return Ok(Handled::none());
        };
        self.tree.migrate(ch.id, new_id)?;
        let org = self.tree.require_id(ch.org)?;
        Ok(Handled {
            replies: self.tell_officials(&org, &format!(
                "{} 的群已升级为超级群，新编号 {}，绑定已自动更新。 {}'s group moved to {new_id}; the binding follows it.",
                org.name, new_id, org.name
            ))?,
            rejected: None,
        })
    }

    /// Private messages to the officials responsible for `org`.
    fn tell_officials(&self, org: &Org, text: &str) -> Result<Vec<Queued>> {
        let mut out = Vec::new();
        for p in self.tree.responsible_officials(org)? {
            if let Some(i) = p.preferred_identity() {
                let id = format!("o{}-{}", p.id, self.tree.store.next_id()?);
                out.push(Queued::new(Outbound::reply(id, Address::direct(i.platform, i.user.clone()), text)));
            }
        }
        Ok(out)
    }

    fn command(&self, ev: &Inbound, cmd: Command) -> Result<Handled> {
        let person = self.person(ev)?;
        let need_person = || {
            person.clone().ok_or_else(|| {
                Error::denied("I do not know you yet: ask your League official to register you, or link this account with /link CODE. 您尚未登记。")
            })
        };
        match cmd {
            Command::Help => Ok(Handled::say(ev, help_text())),
            Command::Unknown(msg) => Ok(Handled::say(ev, msg)),
            Command::Start(Some(payload)) => self.surveys.start(ev, &person, &payload),
            Command::Start(None) => {
                Ok(Handled::say(ev, format!("你好！This is treecast, the League's notice bot.\n\n{}", help_text())))
            }
            Command::WhoAmI => Ok(Handled::say(ev, self.whoami(ev, person.as_ref())?)),
            Command::Link(None) => {
                let p = need_person()?;
                let code = self.tree.issue_code(Grant::Link { person: p.id }, 3600)?;
                Ok(Handled::say(
                    ev,
                    format!(
                        "Send /link {code} from your other account within an hour. 请在另一账号中发送 /link {code}"
                    ),
                ))
            }
            Command::Link(Some(code)) => self.link(ev, person.as_ref(), &code),
            Command::Bind(code) => self.bind(ev, &code),
            Command::Invite(org) => {
                let p = need_person()?;
                let org = self.official_org(&p, org.as_deref())?;
                self.tree.check(p.id, Action::BindChannel, &org)?;
                let code = self.tree.issue_code(Grant::Bind { org: org.id, by: p.id }, self.bind_code_ttl)?;
                Ok(Handled::say(ev, format!(
                    "Bind code for {} {}: {code}\nAdd the bot to the group, room or list and post: /bind {code}\n请在要绑定的群中发送 /bind {code}",
                    org.code, org.name
                )))
            }
            Command::Tree(code) => Ok(Handled::say(ev, self.show_tree(person.as_ref(), code.as_deref())?)),
            Command::Notice { org, title, body } => {
                let p = need_person()?;
                if ev.chat.kind == ChatKind::Group {
                    return Err(Error::invalid("post notices in a private chat with the bot, not in a group"));
                }
                let org = self.official_org(&p, org.as_deref())?;
                let draft =
                    Draft { issuer_code: org.code.clone(), title, body, ack_required: true, ..Draft::default() };
                let n = self.tree.post(p.id, draft, &self.rules)?;
                let (channels, _) = self.tree.expected(&n.target, &org)?;
                Ok(Handled::say(ev, format!(
                    "通知 #{} 已发布，正在发往 {} 个渠道。 Notice #{} is going out to {} channels. /status {} shows its progress.",
                    n.id, channels, n.id, channels, n.id
                )))
            }
            Command::Status { id, org } => {
                let p = need_person()?;
                let id = parse_notice_id(&id).ok_or_else(|| Error::invalid(format!("{id} is not a notice number")))?;
                let st = self.tree.status(Some(p.id), id, org.as_deref(), 20)?;
                Ok(Handled::say(ev, st.to_text(&self.tree)))
            }
            Command::Remind(id) => {
                let p = need_person()?;
                let id = parse_notice_id(&id).ok_or_else(|| Error::invalid(format!("{id} is not a notice number")))?;
                let r = self.tree.remind(p.id, id)?;
                Ok(Handled::say(ev, format!("提醒 #{} 已排队，只发给尚未确认的组织。 Reminder queued for those who have not acknowledged notice #{id}.", r.id)))
            }
            Command::Ack(id) => self.ack_command(ev, person.as_ref(), id.as_deref()),
            Command::Survey(args) => self.surveys.command(ev, &person, &args),
            Command::Back | Command::Skip | Command::Cancel => self.surveys.control(ev, &person, &cmd),
        }
    }

    fn ack_command(&self, ev: &Inbound, person: Option<&Person>, id: Option<&str>) -> Result<Handled> {
        let id = id.and_then(parse_notice_id);
        if let Some(ch) = self.tree.channel_by_address(&ev.chat)? {
            let Some(id) = id else {
                return Err(Error::invalid("reply /ack to the notice, or give its number: /ack 42"));
            };
            return self.ack_channel(ev, id, ch.id, true);
        }
        // In a private chat: a member acknowledges for their branch.
        let p =
            person.ok_or_else(|| Error::denied("I do not know you yet; acknowledge in your branch's group instead"))?;
        let id = id.ok_or_else(|| Error::invalid("give the notice's number: /ack 42"))?;
        let branch = self
            .tree
            .roles_of(p.id)?
            .into_iter()
            .find(|(_, r)| *r == Role::Member)
            .map(|(o, _)| o)
            .ok_or_else(|| Error::denied("only a branch member can acknowledge from a private chat"))?;
        self.tree.check(p.id, Action::Acknowledge, &branch)?;
        let row = AckRow { person: Some(p.id), by: p.name.clone(), via: ev.chat.platform, at: now_unix() };
        let (root, fresh) = self.tree.acknowledge(id, &branch, row)?;
        Ok(Handled::say(
            ev,
            if fresh {
                format!("✅ {} 已确认收到通知 #{}。", branch.name, root.id)
            } else {
                format!("{} 已确认过通知 #{}。", branch.name, root.id)
            },
        ))
    }

    /// The org an official acts for: the one named, or their only one.
    fn official_org(&self, p: &Person, code: Option<&str>) -> Result<Org> {
        if let Some(code) = code {
            return self.tree.require(code);
        }
        let mut orgs: Vec<Org> =
            self.tree.roles_of(p.id)?.into_iter().filter(|(_, r)| *r == Role::Official).map(|(o, _)| o).collect();
        match orgs.len() {
            0 => Err(Error::denied("only League officials may do this, and you are not registered as one")),
            1 => Ok(orgs.remove(0)),
            _ => Err(Error::invalid(format!(
                "you are an official of several orgs ({}); name one, e.g. @{}",
                orgs.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", "),
                orgs[0].code
            ))),
        }
    }

    fn bind(&self, ev: &Inbound, code: &str) -> Result<Handled> {
        if ev.chat.kind == ChatKind::Direct {
            return Err(Error::invalid("send /bind in the group or room you want to bind, not in a private chat"));
        }
        match self.tree.redeem_code(code)? {
            Grant::Bind { org, by } => {
                let org = self.tree.require_id(org)?;
                let ch = self.tree.bind(&org, ev.chat.clone())?;
                let mut h = Handled::say(ev, format!(
                    "本群已绑定到 {} {}，今后将在此收到通知。 This chat is now bound to {} and will receive its notices.",
                    org.code, org.name, org.name
                ));
                if let Some(p) = self.tree.person(by)? {
                    if let Some(i) = p.preferred_identity() {
                        let id = format!("b{}", ch.id);
                        h.replies.push(Queued::new(Outbound::reply(
                            id,
                            Address::direct(i.platform, i.user.clone()),
                            format!("{} 的群 ({}) 已完成绑定。 A chat was bound to {}.", org.name, ev.chat, org.name),
                        )));
                    }
                }
                Ok(h)
            }
            _ => Err(Error::invalid("that code is not a bind code")),
        }
    }

    fn link(&self, ev: &Inbound, person: Option<&Person>, code: &str) -> Result<Handled> {
        match self.tree.redeem_code(code)? {
            Grant::Link { person: target } => {
                if let Some(p) = person {
                    if p.id != target {
                        return Err(Error::invalid("this account already belongs to someone else"));
                    }
                }
                let p = self.tree.add_identity(target, ev.chat.platform, &ev.sender.id)?;
                Ok(Handled::say(
                    ev,
                    format!("已关联。 Linked: {} now also reaches you here ({}).", p.name, ev.chat.platform),
                ))
            }
            _ => Err(Error::invalid("that code is not a link code")),
        }
    }

    fn whoami(&self, ev: &Inbound, p: Option<&Person>) -> Result<String> {
        let Some(p) = p else {
            return Ok(format!(
                "You are {} on {}, not registered with treecast. 您尚未登记。",
                ev.sender.id, ev.chat.platform
            ));
        };
        let mut s = format!("{} (#{})\nAccounts:", p.name, p.id);
        for i in &p.identities {
            s.push_str(&format!(" {i}"));
        }
        s.push_str("\nRoles:");
        for (org, role) in self.tree.roles_of(p.id)? {
            s.push_str(&format!("\n  {:?} of {} {}", role, org.code, org.name));
        }
        Ok(s)
    }

    fn show_tree(&self, p: Option<&Person>, code: Option<&str>) -> Result<String> {
        let org = match code {
            Some(c) => self.tree.require(c)?,
            None => match p.and_then(|p| self.tree.roles_of(p.id).ok()).and_then(|r| r.into_iter().next()) {
                Some((o, _)) => o,
                None => return Err(Error::invalid("name an org: /tree CODE")),
            },
        };
        crate::tree::describe(&self.tree, &org, 30)
    }

    /// `notice+CODE@…`: an official posts by mail; subject = title, text = body.
    fn email_post(&self, ev: &Inbound, code: &str) -> Result<Handled> {
        let org = self.tree.require(code)?;
        let Some(p) = self.person(ev)? else {
            return Err(Error::denied(format!(
                "{} is not registered with treecast, so it cannot post notices",
                ev.sender.id
            )));
        };
        self.tree.check(p.id, Action::PostNotice, &org)?;
        let draft = Draft {
            issuer_code: org.code.clone(),
            title: ev.subject.trim().trim_start_matches("Fwd:").trim().to_owned(),
            body: ev.text.clone(),
            attachments: ev.attachments.clone(),
            ack_required: true,
            ..Draft::default()
        };
        if !ev.sender.verified {
            return self.ask_to_confirm(ev, Grant::ConfirmPost { person: p.id, draft });
        }
        self.publish(ev, p.id, draft)
    }

    /// An unproven mail sender: the bot answers the From address, so only
    /// the real mailbox owner sees the request and can confirm by replying.
    fn ask_to_confirm(&self, ev: &Inbound, grant: Grant) -> Result<Handled> {
        let what = match &grant {
            Grant::ConfirmPost { draft, .. } => {
                let org = self.tree.require(&draft.issuer_code)?;
                format!(
                    "发布通知《{}》到 {} / post the notice \"{}\" to {}",
                    draft.title, org.name, draft.title, org.name
                )
            }
            Grant::ConfirmCommand { text, .. } => {
                format!("执行命令 / run the command: {}", text.lines().next().unwrap_or_default().trim())
            }
            _ => return Err(Error::invalid("nothing to confirm")),
        };
        let code = self.tree.issue_code(grant, 24 * 3600)?;
        let q = reply_to(ev, format!(
            "请直接回复本邮件以确认{what}（确认码 {code}）。\nReply to this mail to confirm (code {code}). If you did not send it, ignore this mail: nothing happens without your reply."
        ))
        .on_sent(MsgRef::Confirm { code });
        Ok(Handled { replies: vec![q], rejected: None })
    }

    fn confirm_post(&self, ev: &Inbound, code: &str) -> Result<Handled> {
        let from = self.tree.person_by_identity(ev.chat.platform, &ev.sender.id)?.map(|f| f.id);
        let grant = self.tree.redeem_code_if(code, |g| match g {
            Grant::ConfirmPost { person, .. } | Grant::ConfirmCommand { person, .. } if from == Some(*person) => Ok(()),
            Grant::ConfirmPost { .. } | Grant::ConfirmCommand { .. } => {
                Err(Error::denied("only the person who sent it can confirm"))
            }
            _ => Err(Error::invalid("that is not a confirmation")),
        })?;
        let person = match &grant {
            Grant::ConfirmPost { person, .. } | Grant::ConfirmCommand { person, .. } => *person,
            _ => unreachable!("accepted above"),
        };
        let p = self.tree.person(person)?.ok_or_else(|| Error::not_found("the sender is gone"))?;
        match grant {
            Grant::ConfirmPost { draft, .. } => self.publish(ev, p.id, draft),
            Grant::ConfirmCommand { text, .. } => {
                // The reply proved the mailbox: run the command as sent.
                let cmd = Command::parse(&text).ok_or_else(|| Error::invalid("the confirmed mail holds no command"))?;
                let mut confirmed = ev.clone();
                confirmed.text = text;
                confirmed.in_reply_to = None;
                confirmed.sender.verified = true;
                self.command(&confirmed, cmd)
            }
            _ => unreachable!("checked above"),
        }
    }

    fn publish(&self, ev: &Inbound, person: u64, draft: Draft) -> Result<Handled> {
        let n = self.tree.post(person, draft, &self.rules)?;
        let org = self.tree.require_id(n.issuer)?;
        let (channels, _) = self.tree.expected(&n.target, &org)?;
        Ok(Handled::say(ev, format!(
            "通知 #{} 《{}》已发布，正在发往 {} 个渠道。 Notice #{} is going out to {channels} channels; send /status {} to the bot for its progress.",
            n.id, n.title, channels, n.id, n.id
        )))
    }
}

/// Commands that act with an official's or a member's authority. Mailed by
/// an unproven sender they run only after a confirmation reply; reading
/// commands need none, since the answer goes to the real mailbox anyway.
fn changes_state(cmd: &Command) -> bool {
    match cmd {
        Command::Notice { .. } | Command::Remind(_) | Command::Ack(_) | Command::Start(Some(_)) => true,
        Command::Survey(args) => {
            !matches!(args.first().map(String::as_str), None | Some("list" | "列表" | "results" | "结果"))
        }
        _ => false,
    }
}

/// The org code in a posting address `notice+CODE@domain`.
pub fn posting_tag(addr: &str) -> Option<&str> {
    let local = addr.split('@').next()?;
    let (name, tag) = local.split_once('+')?;
    (name.eq_ignore_ascii_case("notice") && !tag.is_empty()).then_some(tag)
}
