//! Sending a letter: checked, stored with every index and its deliveries
//! in one batch, each copy to every official of the receiving org on their
//! preferred platform (or to the member it answers).

use serde::{Deserialize, Serialize};
use treecast_wire::{Attachment, Outbound, OutboundKind, Platform};

use super::letters::{self, Kind, Letter, Party};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::msgref::MsgRef;
use crate::outbox::queue::{self, Queued};
use crate::store::Writes;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

/// The feature name its bot messages are recorded under.
pub const FEATURE: &str = "mailbox";

/// One sending, as asked: kept under a confirmation code when it came by
/// mail from a sender the mail system did not prove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub from: Party,
    pub to: Vec<Party>,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub author: u64,
    /// The author's own message (platform, id).
    pub origin: Option<(Platform, String)>,
    /// The letter this answers (same thread), if any.
    pub answers: Option<u64>,
    /// The letters this forwards, and the letter whose files it carries on.
    pub forwarded: Vec<u64>,
    pub files_of: Option<u64>,
}

impl Outgoing {
    /// A new letter of `kind` from `from` to the orgs `to`, by `author`.
    pub fn letter(from: Party, to: &[Org], kind: Kind, title: String, body: String, author: u64) -> Outgoing {
        Outgoing {
            from,
            to: to.iter().map(|o| Party::Org(o.id)).collect(),
            kind,
            title,
            body,
            attachments: Vec::new(),
            author,
            origin: None,
            answers: None,
            forwarded: Vec::new(),
            files_of: None,
        }
    }

    /// With the files of the message that asked for it, and that message as its origin.
    pub fn as_in(mut self, ev: &treecast_wire::Inbound) -> Outgoing {
        self.attachments = ev.attachments.clone();
        self.origin = (!ev.message_id.is_empty()).then(|| (ev.chat.platform, ev.message_id.clone()));
        self
    }
}

/// What a sending became.
#[derive(Debug)]
pub struct Sent {
    pub letters: Vec<Letter>,
    /// Copies queued to people.
    pub copies: usize,
    /// Receiving orgs with no official to tell (the letter waits in their mailbox).
    pub unattended: Vec<String>,
    /// The message had been sent before (as these letters); nothing was sent now.
    pub repeated: bool,
}

/// How the kinds read in sentences: (Chinese, English).
pub fn kind_words(kind: Kind, answer: bool) -> (&'static str, &'static str) {
    match (kind, answer) {
        (_, true) => ("答复", "answer"),
        (Kind::Message, false) => ("私信", "message"),
        (Kind::Report, false) => ("工作信息报送", "work report"),
    }
}

/// The English kind with its article: "an answer", "a message".
pub fn a_kind(kind_en: &str) -> String {
    let article = if kind_en.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {kind_en}")
}

/// The first line of a chat message as its title (a mail has its subject).
pub fn title_from(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let mut t: String = line.chars().take(30).collect();
    if line.chars().count() > 30 {
        t.push('…');
    }
    t
}

/// Refuses an empty letter or attachments over the limit, in one sentence.
pub fn check(cx: &Ctx, out: &Outgoing) -> Result<()> {
    if out.body.trim().is_empty() && out.attachments.is_empty() && out.forwarded.is_empty() {
        return Err(Error::invalid(Msg::MailboxEmpty.text()));
    }
    let size: u64 = out.attachments.iter().map(|a| a.size()).sum();
    let limit = cx.rules().max_attachment_bytes;
    if size > limit {
        return Err(Error::invalid(msg(Msg::MailboxTooLarge, &[("size", &(size / 1024)), ("limit", &(limit / 1024))])));
    }
    Ok(())
}

/// Stores and queues `out`: one letter per recipient, each delivered to the
/// recipient's officials, all in one batch with their events.
pub fn send(cx: &Ctx, out: Outgoing) -> Result<Sent> {
    check(cx, &out)?;
    let store = cx.store();
    if let Some((p, m)) = &out.origin {
        if let Some(first) = letters::by_origin(store, *p, m)? {
            let letters = letters::get(store, first)?.into_iter().collect();
            return Ok(Sent { letters, copies: 0, unattended: Vec::new(), repeated: true });
        }
    }
    let mut s = Sending {
        author: cx.tree.person(out.author)?.ok_or_else(crate::context::unknown_person)?,
        answered: match out.answers {
            Some(id) => letters::get(store, id)?,
            None => None,
        },
        week: crate::clock::china_week(cx.now()),
        from_org: cx.tree.require_id(out.from.org())?,
        // A forward carries the files of the letter that holds them, under their names.
        file_names: match out.files_of {
            Some(f) if out.attachments.is_empty() => letters::get(store, f)?.map_or(Vec::new(), |l| l.file_names),
            _ => out.attachments.iter().map(|a| a.name.clone()).collect(),
        },
        files_of: out.files_of,
        // Read (or taken) once for every recipient's copies.
        files: match out.files_of {
            Some(id) if out.attachments.is_empty() => letters::files(store, id)?.into(),
            _ => out.attachments.clone().into(),
        },
        w: Writes::default(),
        sent: Sent { letters: Vec::new(), copies: 0, unattended: Vec::new(), repeated: false },
        cx,
        out: &out,
    };
    for to in &out.to {
        s.one(*to)?;
    }
    let (mut w, sent) = (s.w, s.sent);
    if let (Some((p, m)), Some(first)) = (&out.origin, sent.letters.first()) {
        letters::put_origin(&mut w, *p, m, first.id);
    }
    store.commit(&w)?;
    cx.waker.wake();
    Ok(sent)
}

/// One sending under way: what every recipient's letter shares, and the batch.
struct Sending<'a> {
    cx: &'a Ctx,
    out: &'a Outgoing,
    author: Person,
    answered: Option<Letter>,
    week: u32,
    from_org: Org,
    file_names: Vec<String>,
    /// The letter holding the files, once one does.
    files_of: Option<u64>,
    files: std::sync::Arc<[Attachment]>,
    w: Writes,
    sent: Sent,
}

impl Sending<'_> {
    /// The letter to `to`, its indexes, its copies and its event, into the batch.
    fn one(&mut self, to: Party) -> Result<()> {
        let (cx, out, store) = (self.cx, self.out, self.cx.store());
        // Numbered 1, 2, 3…: officials type `/read 12`.
        let id = store.next_number("letter")?;
        let carries_files = self.files_of.is_none() && !out.attachments.is_empty();
        if carries_files {
            self.files_of = Some(id);
        }
        let letter = Letter {
            id,
            thread: self.answered.as_ref().map_or(id, |a| a.thread),
            kind: out.kind,
            from: out.from,
            to,
            author: self.author.id,
            author_name: self.author.name.clone(),
            title: out.title.trim().to_owned(),
            body: out.body.trim().to_owned(),
            files: self.files_of,
            file_names: self.file_names.clone(),
            at: cx.now(),
            origin: out.origin.clone(),
            forwarded: out.forwarded.clone(),
        };
        let reporter =
            (out.kind == Kind::Report && matches!(out.from, Party::Org(_))).then_some((self.week, &self.from_org));
        letters::put(&mut self.w, &letter, carries_files.then_some(&out.attachments[..]), reporter);
        let copies = copies(cx, &letter, self.answered.as_ref(), self.files.clone())?;
        if copies.is_empty() {
            self.sent.unattended.push(letters::party_name(&cx.tree, to)?);
        }
        for q in &copies {
            queue::put(store, &mut self.w, q)?;
        }
        self.sent.copies += copies.len();
        let e = Event::LetterSent { letter: id, from: out.from.org(), to: to.org(), report: out.kind == Kind::Report };
        events::emit(&mut self.w, cx.clock.now_ms(), &e);
        self.sent.letters.push(letter);
        Ok(())
    }
}

/// The people a letter goes to: the receiving org's officials, or the member.
fn readers(cx: &Ctx, to: Party) -> Result<Vec<Person>> {
    match to {
        Party::Org(o) => cx.tree.holders(o, Role::Official),
        Party::Member { person, .. } => Ok(cx.tree.person(person)?.into_iter().collect()),
    }
}

/// One copy of `letter` per reader who can be reached privately. An answer
/// to someone's own message is threaded under it on the platform they wrote from.
fn copies(
    cx: &Ctx,
    letter: &Letter,
    answered: Option<&Letter>,
    files: std::sync::Arc<[Attachment]>,
) -> Result<Vec<Queued>> {
    let (body, subject) = copy_text(cx, letter, answered.is_some())?;
    let mut out = Vec::new();
    for p in readers(cx, letter.to)? {
        let Some(addr) = p.private_address() else { continue };
        let mut m =
            Outbound::reply(format!("mb{}-p{}-{}", letter.id, p.id, crate::msgref::nonce()), addr, body.clone());
        m.kind = OutboundKind::Private;
        m.title = Some(subject.clone().into());
        m.attachments = files.clone();
        if let Some(a) = answered.filter(|a| a.author == p.id) {
            if let Some((_, id)) = a.origin.as_ref().filter(|(platform, _)| *platform == m.to.platform) {
                m.in_reply_to = Some(id.clone());
            }
        }
        out.push(
            Queued::new(m).on_sent(MsgRef::Owned { feature: FEATURE.into(), data: letter.id.to_be_bytes().to_vec() }),
        );
    }
    Ok(out)
}

/// What a copy of `letter` says, and its subject.
fn copy_text(cx: &Ctx, letter: &Letter, answer: bool) -> Result<(String, String)> {
    let from = letters::party_name(&cx.tree, letter.from)?;
    let to = letters::party_name(&cx.tree, letter.to)?;
    let (kind, kind_en) = kind_words(letter.kind, answer);
    let mut body = match letter.to {
        Party::Org(_) => msg(
            Msg::MailboxCopy,
            &[
                ("from", &from),
                ("author", &letter.author_name),
                ("kind", &kind),
                ("a_kind_en", &a_kind(kind_en)),
                ("title", &letter.title),
                ("id", &letter.id),
                ("body", &letter.body),
                ("to", &to),
            ],
        ),
        Party::Member { .. } => msg(
            Msg::MailboxCopyToMember,
            &[
                ("from", &from),
                ("author", &letter.author_name),
                ("title", &letter.title),
                ("id", &letter.id),
                ("body", &letter.body),
            ],
        ),
    };
    if !letter.forwarded.is_empty() {
        body.push_str(&msg(Msg::MailboxForwardedChain, &[("chain", &chain(cx, letter)?)]));
    }
    if !letter.file_names.is_empty() {
        body.push_str(&msg(Msg::MailboxFilesLine, &[("names", &letter.file_names.join("、"))]));
    }
    let subject = match (letter.kind, answer) {
        (_, true) => format!("Re: {}", letter.title.trim_start_matches("Re: ")),
        (Kind::Message, false) => format!("[私信 Message] {}", letter.title),
        (Kind::Report, false) => format!("[工作信息报送 Report] {}", letter.title),
    };
    Ok((body, subject))
}

/// The orgs a forwarded letter passed through, first sender first.
pub fn chain(cx: &Ctx, letter: &Letter) -> Result<String> {
    let mut names = Vec::new();
    for id in &letter.forwarded {
        if let Some(l) = letters::get(cx.store(), *id)? {
            if names.is_empty() {
                names.push(letters::party_name(&cx.tree, l.from)?);
            }
            names.push(letters::party_name(&cx.tree, l.to)?);
        }
    }
    names.push(letters::party_name(&cx.tree, letter.to)?);
    Ok(names.join(" → "))
}
