//! Interviews, their questions, votes and the asking conversations in the
//! store, with the event each change appends in the same commit.

use serde::{Deserialize, Serialize};

use crate::conversation::Progress;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::store::abort;
use crate::store::keys::read_u64_at;
use crate::store::{decode, decode_at, encode, Keyspace, Store, Writes};

/// interview id -> Interview
const INTERVIEWS: Keyspace = Keyspace::Named("interviews.interviews");
/// question id -> Question
const QUESTIONS: Keyspace = Keyspace::Named("interviews.questions");
/// interview id ++ question id -> (): an interview's questions in order
const BY_INTERVIEW: Keyspace = Keyspace::Named("interviews.by_interview");
/// `b` ++ interview ++ person -> Vec<question>: a person's ballot;
/// `c` ++ question -> u32: a question's votes
const VOTES: Keyspace = Keyspace::Named("interviews.votes");
/// person -> Asking: a question being written in a private chat
const ASKING: Keyspace = Keyspace::Named("interviews.asking");

/// How many questions one person may vote for in one interview.
pub const VOTES_EACH: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interview {
    pub id: u64,
    /// The hosting org: its subtree is the audience, its officials moderate.
    pub org: u32,
    pub title: String,
    pub about: String,
    pub guest: u64,
    pub guest_name: String,
    pub host: u64,
    /// Unix seconds: questions are taken until `closes`; the guest answers
    /// from `opens`.
    pub opens: u64,
    pub closes: u64,
    /// Askers' names are not published (they stay in the store for audit).
    pub hide_askers: bool,
    pub notice: Option<u64>,
    /// Publications so far (one notice each).
    pub batches: u32,
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Submitted,
    Approved { by: u64 },
    Rejected { by: u64, reason: String },
    Answered { by: u64, answer: String, at: u64, published: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: u64,
    pub interview: u64,
    pub asker: u64,
    pub asker_name: String,
    /// The asker's org within the audience.
    pub from: u32,
    pub text: String,
    pub at: u64,
    pub state: State,
}

/// A question being written after the "Ask" button or deep link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asking {
    pub interview: u64,
    pub progress: Progress,
}

fn get<T: serde::de::DeserializeOwned>(store: &Store, ks: Keyspace, key: &[u8]) -> Result<Option<T>> {
    match store.tree(ks)?.get(key)? {
        Some(v) => Ok(Some(decode_at(ks, key, &v)?)),
        None => Ok(None),
    }
}

pub fn interview(store: &Store, id: u64) -> Result<Option<Interview>> {
    get(store, INTERVIEWS, &id.to_be_bytes())
}

pub fn each_interview(store: &Store, mut f: impl FnMut(Interview) -> Result<()>) -> Result<()> {
    for kv in store.tree(INTERVIEWS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(INTERVIEWS, &k, &v)?)?;
    }
    Ok(())
}

/// Writes `iv`; `e` is the event the change tells, if any.
pub fn put_interview(w: &mut Writes, iv: &Interview, at_ms: u64, e: Option<&Event>) {
    w.put(INTERVIEWS, iv.id.to_be_bytes(), encode(iv));
    if let Some(e) = e {
        events::emit(w, at_ms, e);
    }
}

pub fn question(store: &Store, id: u64) -> Result<Option<Question>> {
    get(store, QUESTIONS, &id.to_be_bytes())
}

/// Every question of interview `id`, in the order asked.
pub fn questions(store: &Store, id: u64) -> Result<Vec<Question>> {
    let mut out = Vec::new();
    for k in store.tree(BY_INTERVIEW)?.scan_prefix(id.to_be_bytes()).keys() {
        out.extend(question(store, read_u64_at(&k?, 8, "interviews.by_interview")?)?);
    }
    Ok(out)
}

/// Writes `q` with its index row and the event its state tells.
pub fn put_question(w: &mut Writes, q: &Question, org: u32, at_ms: u64) {
    w.put(QUESTIONS, q.id.to_be_bytes(), encode(q));
    let (interview, question) = (q.interview, q.id);
    let e = match &q.state {
        State::Submitted => {
            w.put(BY_INTERVIEW, [q.interview.to_be_bytes(), q.id.to_be_bytes()].concat(), Vec::new());
            Event::InterviewAsked { interview, question, org: q.from, person: q.asker }
        }
        State::Approved { by } => Event::InterviewModerated { interview, question, org, approved: true, by: *by },
        State::Rejected { by, .. } => Event::InterviewModerated { interview, question, org, approved: false, by: *by },
        State::Answered { published: true, .. } => return,
        State::Answered { by, .. } => Event::InterviewAnswered { interview, question, org, by: *by },
    };
    events::emit(w, at_ms, &e);
}

/// Rewrites `q` with no event (publishing marks, `/forget`).
pub fn put_question_row(w: &mut Writes, q: &Question) {
    w.put(QUESTIONS, q.id.to_be_bytes(), encode(q));
}

fn ballot_key(interview: u64, person: u64) -> Vec<u8> {
    [&b"b"[..], &interview.to_be_bytes(), &person.to_be_bytes()].concat()
}

fn count_key(question: u64) -> Vec<u8> {
    [&b"c"[..], &question.to_be_bytes()].concat()
}

pub fn votes(store: &Store, question: u64) -> Result<u32> {
    Ok(get(store, VOTES, &count_key(question))?.unwrap_or(0))
}

/// Why a vote was not counted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Twice,
    NoneLeft,
}

/// Counts `person`'s vote for `q` at once (its own transaction, so two
/// votes at the same time cannot pass the limit together); on success the
/// votes the person has left.
pub fn vote(store: &Store, q: &Question, person: u64, at_ms: u64) -> Result<std::result::Result<usize, Refused>> {
    let (bk, ck) = (ballot_key(q.interview, person), count_key(q.id));
    store.transact(&[VOTES], |tx| {
        let mut ballot: Vec<u64> = match tx.get(VOTES, &bk)? {
            Some(v) => decode(&v).map_err(abort)?,
            None => Vec::new(),
        };
        if ballot.contains(&q.id) {
            return Ok(Err(Refused::Twice));
        }
        if ballot.len() >= VOTES_EACH {
            return Ok(Err(Refused::NoneLeft));
        }
        ballot.push(q.id);
        let n: u32 = match tx.get(VOTES, &ck)? {
            Some(v) => decode(&v).map_err(abort)?,
            None => 0,
        };
        tx.insert(VOTES, &bk, &encode(&ballot))?;
        tx.insert(VOTES, &ck, &encode(&(n + 1)))?;
        let e = Event::InterviewVoted { interview: q.interview, question: q.id, person };
        events::append(tx, at_ms, &e);
        Ok(Ok(VOTES_EACH - ballot.len()))
    })
}

/// How many ballots `person` holds (one per interview they voted in).
pub fn ballots_of(store: &Store, person: u64) -> Result<usize> {
    let mut n = 0;
    for k in store.tree(VOTES)?.scan_prefix(b"b").keys() {
        let k = k?;
        n += usize::from(read_u64_at(&k, 9, "interviews.votes")? == person);
    }
    Ok(n)
}

/// Removes `person`'s ballots; the counts they added stay (they are not theirs).
pub fn forget_ballots(store: &Store, person: u64, w: &mut Writes) -> Result<()> {
    for k in store.tree(VOTES)?.scan_prefix(b"b").keys() {
        let k = k?;
        if read_u64_at(&k, 9, "interviews.votes")? == person {
            w.remove(VOTES, &k);
        }
    }
    Ok(())
}

pub fn asking(store: &Store, person: u64) -> Result<Option<Asking>> {
    get(store, ASKING, &person.to_be_bytes())
}

pub fn put_asking(store: &Store, person: u64, a: Option<&Asking>) -> Result<()> {
    let mut w = Writes::default();
    match a {
        Some(a) => w.put(ASKING, person.to_be_bytes(), encode(a)),
        None => w.remove(ASKING, person.to_be_bytes()),
    }
    store.commit(&w)
}

/// Removes a stored conversation in `w` (it ends with the question it made).
pub fn end_asking(w: &mut Writes, person: u64) {
    w.remove(ASKING, person.to_be_bytes());
}

/// Every question, for `/mydata`, `/forget` and the search rebuild.
pub fn each_question(store: &Store, mut f: impl FnMut(Question) -> Result<()>) -> Result<()> {
    for kv in store.tree(QUESTIONS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(QUESTIONS, &k, &v)?)?;
    }
    Ok(())
}

/// The store's error for a row that should be there.
pub fn missing(what: &str, id: u64) -> Error {
    Error::Corrupt(format!("interviews: {what} {id} is missing"))
}
