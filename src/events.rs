//! The durable event log: every change others care about is appended in the
//! same transaction as the change, and each derived view (a subscriber)
//! reads it from its own persisted position, so a crash between the change
//! and the view loses nothing and repeats nothing.

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use crate::error::{Error, Result};
use crate::store::{decode, encode, Keyspace, RawEvent, Store, Tx, Writes};

/// What happened. New variants go at the end: the log is stored by index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A notice (or a reminder) was posted and will fan out.
    NoticePosted {
        notice: u64,
        issuer: u32,
        author: u64,
        reminder_of: Option<u64>,
    },
    /// Copies of a notice reached these (channel, org)s; one event per
    /// worker commit (a few hundred deliveries), not per delivery.
    Delivered {
        notice: u64,
        to: Vec<(u64, u32)>,
    },
    /// Copies that will never reach their channels: (channel, org, reason).
    DeliveryFailed {
        notice: u64,
        failed: Vec<(u64, u32, String)>,
    },
    /// A notice's fan-out has resolved every channel.
    FanoutFinished {
        notice: u64,
    },
    /// An org acknowledged a notice (first acknowledgement only).
    Acknowledged {
        notice: u64,
        org: u32,
        person: Option<u64>,
        via: Platform,
    },
    /// Someone replied to a notice; the reply went to its author.
    Replied {
        notice: u64,
        channel: u64,
    },
    /// Survey responses were finished, one event per survey and group
    /// commit: (branch, person) each (anonymous ones name no person).
    SurveyAnswered {
        survey: u64,
        answered: Vec<(u32, Option<u64>)>,
    },
    /// A chat was bound to an org (or bound again after the bot was removed).
    ChannelBound {
        channel: u64,
        org: u32,
    },
    /// The bot can no longer post in a chat.
    ChannelRemoved {
        channel: u64,
        org: u32,
    },
    /// Someone wrote in a bound group (not to the bot).
    GroupMessage {
        channel: u64,
        org: u32,
        person: Option<u64>,
    },
    /// A letter went into an org's mailbox (or to a member it answers).
    LetterSent {
        letter: u64,
        from: u32,
        to: u32,
        report: bool,
    },
    /// An official read letters of their org's mailbox first, for the org.
    LettersRead {
        letters: Vec<u64>,
        org: u32,
        person: u64,
    },
    /// Orgs were created, renamed or moved (`all`: by an import too large
    /// to list; every org may have). Readers look the orgs up again, so a
    /// change later undone (an import rolled back) reads as it now stands.
    OrgsChanged {
        orgs: Vec<u32>,
        all: bool,
    },
    /// Orgs were deleted.
    OrgsRemoved {
        orgs: Vec<u32>,
    },
    /// Orgs moved under new parents, each with its whole subtree: every
    /// path below them changed.
    OrgsMoved {
        orgs: Vec<u32>,
    },
    /// An official (or the operator) did something the audit log keeps
    /// that no other event tells with its actor.
    Acted {
        org: u32,
        by: Actor,
        act: Act,
    },
    /// A person's data was deleted at their request (`/forget`).
    PersonForgotten {
        person: u64,
    },
    /// An official opened a micro-topic for their org's subtree.
    TopicOpened {
        topic: u64,
        org: u32,
        by: u64,
    },
    /// A post to a topic, from a chat of `org` (or a person of it, privately).
    TopicPosted {
        topic: u64,
        post: u64,
        org: u32,
        person: Option<u64>,
    },
    /// A post was submitted to a column of `org`, from `from` (showcase).
    ShowcaseSubmitted {
        post: u64,
        org: u32,
        from: u32,
        author: u64,
    },
    ShowcaseApproved {
        post: u64,
        org: u32,
        by: u64,
    },
    ShowcaseRejected {
        post: u64,
        org: u32,
        by: u64,
    },
    /// `org` (a parent) featured a post of a column of `from`.
    ShowcaseFeatured {
        post: u64,
        org: u32,
        by: u64,
        from: u32,
    },
    /// An official of `org` scheduled an interview for its subtree.
    InterviewScheduled {
        interview: u64,
        org: u32,
        by: u64,
    },
    /// A person of `org` asked a question.
    InterviewAsked {
        interview: u64,
        question: u64,
        org: u32,
        person: u64,
    },
    /// An official of the hosting `org` approved or rejected a question.
    InterviewModerated {
        interview: u64,
        question: u64,
        org: u32,
        approved: bool,
        by: u64,
    },
    InterviewVoted {
        interview: u64,
        question: u64,
        person: u64,
    },
    /// The guest answered (hosting `org`).
    InterviewAnswered {
        interview: u64,
        question: u64,
        org: u32,
        by: u64,
    },
    /// Answers went out to the audience as notice `notice`.
    InterviewPublished {
        interview: u64,
        org: u32,
        notice: u64,
        answers: u32,
    },
    /// Messages of an org's old chats were imported into its archive (their keys).
    ArchiveImported {
        org: u32,
        items: Vec<Vec<u8>>,
    },
    /// A campaign (工作部署) was launched to an org's subtree.
    CampaignLaunched {
        campaign: u64,
        org: u32,
        by: u64,
    },
    /// A campaign form was filled in (or changed) for an org.
    CampaignFormSubmitted {
        campaign: u64,
        step: u8,
        org: u32,
        person: u64,
    },
    /// An official of the parent marked a campaign step done (or, `done`
    /// false, took the mark back).
    CampaignMarked {
        campaign: u64,
        step: u8,
        org: u32,
        by: u64,
        done: bool,
    },
    /// Someone follows beyond one chat: linked another account (`/link`)
    /// or turned the daily digest on.
    Following {
        person: u64,
        digest: bool,
    },
    /// An official turned the sharing of the org's chats on or off.
    BridgeSwitched {
        org: u32,
        on: bool,
        by: u64,
    },
    /// A module was switched for an org (`mode`: on, off, off below; None:
    /// back to the default), or its default for a level changed (`org`
    /// None, `level` set). `by` None: the operator.
    ModuleSwitched {
        org: Option<u32>,
        level: Option<u8>,
        module: String,
        mode: Option<Mode>,
        by: Option<u64>,
    },
}

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// The operator: the command line or the admin API.
    Operator,
    Person(u64),
    /// Someone treecast does not know, holding a bind code an official made.
    CodeHolder,
}

/// What was done, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Act {
    Bound {
        channel: u64,
    },
    Unbound {
        channel: u64,
    },
    /// Data left treecast: what, and how many rows.
    Exported {
        what: String,
        rows: u64,
    },
    /// Someone's personal data was shown: what, and how many people's.
    ReadPersonal {
        what: String,
        rows: u64,
    },
}

impl Event {
    /// A short name for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::NoticePosted { .. } => "notice_posted",
            Event::Delivered { .. } => "delivered",
            Event::DeliveryFailed { .. } => "delivery_failed",
            Event::FanoutFinished { .. } => "fanout_finished",
            Event::Acknowledged { .. } => "acknowledged",
            Event::Replied { .. } => "replied",
            Event::SurveyAnswered { .. } => "survey_answered",
            Event::ChannelBound { .. } => "channel_bound",
            Event::ChannelRemoved { .. } => "channel_removed",
            Event::GroupMessage { .. } => "group_message",
            Event::LetterSent { .. } => "letter_sent",
            Event::LettersRead { .. } => "letters_read",
            Event::OrgsChanged { .. } => "orgs_changed",
            Event::OrgsRemoved { .. } => "orgs_removed",
            Event::OrgsMoved { .. } => "orgs_moved",
            Event::Acted { .. } => "acted",
            Event::PersonForgotten { .. } => "person_forgotten",
            Event::TopicOpened { .. } => "topic_opened",
            Event::TopicPosted { .. } => "topic_posted",
            Event::ShowcaseSubmitted { .. } => "showcase_submitted",
            Event::ShowcaseApproved { .. } => "showcase_approved",
            Event::ShowcaseRejected { .. } => "showcase_rejected",
            Event::ShowcaseFeatured { .. } => "showcase_featured",
            Event::InterviewScheduled { .. } => "interview_scheduled",
            Event::InterviewAsked { .. } => "interview_asked",
            Event::InterviewModerated { .. } => "interview_moderated",
            Event::InterviewVoted { .. } => "interview_voted",
            Event::InterviewAnswered { .. } => "interview_answered",
            Event::InterviewPublished { .. } => "interview_published",
            Event::ArchiveImported { .. } => "archive_imported",
            Event::CampaignLaunched { .. } => "campaign_launched",
            Event::CampaignFormSubmitted { .. } => "campaign_form_submitted",
            Event::CampaignMarked { .. } => "campaign_marked",
            Event::Following { .. } => "following",
            Event::BridgeSwitched { .. } => "bridge_switched",
            Event::ModuleSwitched { .. } => "module_switched",
        }
    }
}

/// An event read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub at_ms: u64,
    pub event: Event,
}

/// Appends `e` to the log within a running transaction.
pub fn append(tx: &mut Tx, at_ms: u64, e: &Event) {
    tx.event(at_ms, encode(e));
}

/// Appends `e` with a set of writes.
pub fn emit(w: &mut Writes, at_ms: u64, e: &Event) {
    w.event_raw(at_ms, encode(e));
}

fn decode_record(raw: RawEvent) -> Result<Record> {
    let event = decode(&raw.body).map_err(|e| Error::Corrupt(format!("events/{}: {e}", raw.seq)))?;
    Ok(Record { seq: raw.seq, at_ms: raw.at_ms, event })
}

/// Up to `limit` events after `seq`.
pub fn read(store: &Store, seq: u64, limit: usize) -> Result<Vec<Record>> {
    store.events_after(seq, limit)?.into_iter().map(decode_record).collect()
}

/// Events per catch-up transaction.
const CATCH_UP_BATCH: usize = 512;

/// Brings subscriber `name` up to the end of the log: each batch of events
/// is handed to `handle`, and the writes it returns commit together with
/// the subscriber's new position. Returns how many events it handled.
pub fn catch_up(store: &Store, name: &str, mut handle: impl FnMut(&[Record]) -> Result<Writes>) -> Result<usize> {
    let mut handled = 0;
    loop {
        let pos = store.position(name)?;
        let batch = read(store, pos, CATCH_UP_BATCH)?;
        let Some(last) = batch.last().map(|r| r.seq) else { return Ok(handled) };
        let mut w = handle(&batch)?;
        w.put(Keyspace::Positions, name.as_bytes(), last.to_be_bytes());
        // Only from the position it read: a second runner racing for the
        // same events commits nothing and reads on from the new position.
        let seen = (pos > 0).then(|| pos.to_be_bytes());
        if store.commit_if(&w, Keyspace::Positions, name.as_bytes(), seen.as_ref().map(|p| &p[..]))? {
            handled += batch.len();
        }
    }
}

/// Deletes the events every named subscriber has passed.
pub fn compact(store: &Store, subscribers: &[&str]) -> Result<usize> {
    let mut upto = store.last_event();
    for s in subscribers {
        upto = upto.min(store.position(s)?);
    }
    store.compact_events(upto)
}

/// An org's switch of one module (`registry/modules.rs`), carried by
/// `Event::ModuleSwitched`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    On,
    Off,
    /// Off for the org and its whole subtree: no org below may turn it on.
    OffBelow,
}

#[cfg(test)]
mod tests;
