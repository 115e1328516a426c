//! Campaigns, their form submissions, completed steps and the forms being
//! filled, in the store; each change appends its event in the same commit.

use serde::{Deserialize, Serialize};

use super::def::Definition;
use crate::conversation::{Answer, Progress};
use crate::error::Result;
use crate::events::{self, Event};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// campaign id -> Campaign
const CAMPAIGNS: Keyspace = Keyspace::Named("campaigns.campaigns");
/// campaign ++ step ++ org ++ person (0 for a form per org) -> Submission
const FORMS: Keyspace = Keyspace::Named("campaigns.forms");
/// campaign ++ step ++ org -> Done: a completed step
const DONE: Keyspace = Keyspace::Named("campaigns.done");
/// person -> Filling: a form being filled in a private chat
const FILLING: Keyspace = Keyspace::Named("campaigns.filling");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: u64,
    /// The definition's file stem (`/campaign launch NAME`).
    pub name: String,
    pub def: Definition,
    /// The launching org: its officials (and those above) follow it up.
    pub org: u32,
    /// The orgs that must do the steps, fixed at launch (its subtree at the
    /// target level), in tree order.
    pub targets: Vec<u32>,
    pub launched_by: u64,
    pub launched: u64,
    /// Each step's deadline, unix seconds.
    pub dues: Vec<u64>,
    /// The announcement notice.
    pub notice: Option<u64>,
}

impl Campaign {
    /// The deep-link payload that opens the first form of this campaign.
    pub fn payload(&self) -> String {
        format!("cf{}", self.id)
    }

    /// The notice step `step` waits an acknowledgement of.
    pub fn ack_notice(&self, step: usize) -> Option<u64> {
        match &self.def.steps[step].kind {
            super::def::StepKind::Ack { notice } => notice.or(self.notice),
            _ => None,
        }
    }
}

/// A filled form: who filled it, for which org, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub org: u32,
    /// The official (or, per person, the person) who last saved it.
    pub person: u64,
    pub answers: Vec<Option<Answer>>,
    pub first: u64,
    pub at: u64,
}

/// A completed step of one org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub at: u64,
    /// Who did it, where a person did (a form, a mark).
    pub by: Option<u64>,
}

/// A form being filled in a private chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filling {
    pub campaign: u64,
    pub step: u8,
    pub org: u32,
    pub progress: Progress,
}

fn key(campaign: u64, step: u8, org: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(13);
    k.extend_from_slice(&campaign.to_be_bytes());
    k.push(step);
    k.extend_from_slice(&org.to_be_bytes());
    k
}

fn form_key(campaign: u64, step: u8, org: u32, person: u64) -> Vec<u8> {
    let mut k = key(campaign, step, org);
    k.extend_from_slice(&person.to_be_bytes());
    k
}

pub fn campaign(store: &Store, id: u64) -> Result<Option<Campaign>> {
    match store.tree(CAMPAIGNS)?.get(id.to_be_bytes())? {
        Some(v) => Ok(Some(decode_at(CAMPAIGNS, &id.to_be_bytes(), &v)?)),
        None => Ok(None),
    }
}

/// Every campaign, oldest first.
pub fn campaigns(store: &Store) -> Result<Vec<Campaign>> {
    let mut out = Vec::new();
    for kv in store.tree(CAMPAIGNS)?.iter() {
        let (k, v) = kv?;
        out.push(decode_at(CAMPAIGNS, &k, &v)?);
    }
    Ok(out)
}

/// Writes `c`; `e` is the event the change tells, if any.
pub fn put_campaign(w: &mut Writes, c: &Campaign, at_ms: u64, e: Option<&Event>) {
    w.put(CAMPAIGNS, c.id.to_be_bytes(), encode(c));
    if let Some(e) = e {
        events::emit(w, at_ms, e);
    }
}

/// The submission of `org` (per org: `person` 0) to form step `step`.
pub fn submission(store: &Store, campaign: u64, step: u8, org: u32, person: u64) -> Result<Option<Submission>> {
    let k = form_key(campaign, step, org, person);
    match store.tree(FORMS)?.get(&k)? {
        Some(v) => Ok(Some(decode_at(FORMS, &k, &v)?)),
        None => Ok(None),
    }
}

/// Every submission to form step `step`, in tree-id order.
pub fn submissions(store: &Store, campaign: u64, step: u8) -> Result<Vec<Submission>> {
    let mut out = Vec::new();
    let mut prefix = campaign.to_be_bytes().to_vec();
    prefix.push(step);
    for kv in store.tree(FORMS)?.scan_prefix(prefix) {
        let (k, v) = kv?;
        out.push(decode_at(FORMS, &k, &v)?);
    }
    Ok(out)
}

/// How many people of `org` have submitted form step `step`.
pub fn submitters(store: &Store, campaign: u64, step: u8, org: u32) -> Result<usize> {
    Ok(store.tree(FORMS)?.scan_prefix(key(campaign, step, org)).count())
}

/// Writes a submission (`person` 0 for a form per org) with its event.
pub fn put_submission(w: &mut Writes, campaign: u64, step: u8, key_person: u64, s: &Submission, at_ms: u64) {
    w.put(FORMS, form_key(campaign, step, s.org, key_person), encode(s));
    let e = Event::CampaignFormSubmitted { campaign, step, org: s.org, person: s.person };
    events::emit(w, at_ms, &e);
}

/// Every completed (step, org) of a campaign with when.
pub fn done(store: &Store, campaign: u64) -> Result<Vec<(u8, u32, Done)>> {
    let mut out = Vec::new();
    for kv in store.tree(DONE)?.scan_prefix(campaign.to_be_bytes()) {
        let (k, v) = kv?;
        let org = crate::store::keys::key_u32(DONE, &k, 9)?;
        out.push((k[8], org, decode_at(DONE, &k, &v)?));
    }
    Ok(out)
}

pub fn is_done(store: &Store, campaign: u64, step: u8, org: u32) -> Result<bool> {
    Ok(store.tree(DONE)?.contains_key(key(campaign, step, org))?)
}

/// Marks a step done (the first time counts).
pub fn put_done(w: &mut Writes, campaign: u64, step: u8, org: u32, d: Done) {
    w.put(DONE, key(campaign, step, org), encode(&d));
}

/// Takes a mark back (a manual step marked by mistake).
pub fn remove_done(w: &mut Writes, campaign: u64, step: u8, org: u32) {
    w.remove(DONE, key(campaign, step, org));
}

pub fn filling(store: &Store, person: u64) -> Result<Option<Filling>> {
    match store.tree(FILLING)?.get(person.to_be_bytes())? {
        Some(v) => Ok(Some(decode_at(FILLING, &person.to_be_bytes(), &v)?)),
        None => Ok(None),
    }
}

pub fn put_filling(store: &Store, person: u64, f: Option<&Filling>) -> Result<()> {
    let mut w = Writes::default();
    match f {
        Some(f) => w.put(FILLING, person.to_be_bytes(), encode(f)),
        None => w.remove(FILLING, person.to_be_bytes()),
    }
    store.commit(&w)
}

pub fn end_filling(w: &mut Writes, person: u64) {
    w.remove(FILLING, person.to_be_bytes());
}

/// The submissions `person` made (per person: their own rows; per org:
/// those they last saved), for `/mydata` and `/forget`.
pub fn each_submission(store: &Store, mut f: impl FnMut(&[u8], Submission) -> Result<()>) -> Result<()> {
    for kv in store.tree(FORMS)?.iter() {
        let (k, v) = kv?;
        f(&k, decode_at(FORMS, &k, &v)?)?;
    }
    Ok(())
}

pub fn remove_submission_key(w: &mut Writes, k: &[u8]) {
    w.remove(FORMS, k);
}

pub fn put_submission_row(w: &mut Writes, k: &[u8], s: &Submission) {
    w.put(FORMS, k, encode(s));
}

/// The person a submission row's key names (0: a form per org).
pub fn key_person(k: &[u8]) -> Result<u64> {
    read_u64_at(k, 13, "campaigns.forms")
}
