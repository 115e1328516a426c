//! The one permission check every action goes through (reads go through
//! the read table, `reads.rs`).

use super::people::Role;
use super::{Org, Tree};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// Something a person may or may not do to an org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Post a notice to the org's subtree.
    PostNotice,
    /// See delivery and acknowledgement status, send reminders.
    ViewStatus,
    /// Create bind codes and bind chats to the org.
    BindChannel,
    /// Launch a micro-survey to the org's subtree and read its results.
    RunSurvey,
    /// Acknowledge a notice on behalf of the org.
    Acknowledge,
    /// Answer a survey whose audience includes the org.
    AnswerSurvey,
    /// Fill in a campaign form for the org (its officials, and those above).
    FillForm,
    /// Follow up a campaign below the org: mark its children's steps done.
    FollowUp,
    /// Turn the sharing of messages among the org's chats on or off.
    Bridge,
    /// Switch the org's optional modules on or off.
    SwitchModules,
}

impl Action {
    /// The sentence refusing this action (filled with the org's code and name).
    fn refusal(self) -> Msg {
        match self {
            Action::PostNotice => Msg::MayNotPost,
            Action::ViewStatus => Msg::MayNotViewStatus,
            Action::BindChannel => Msg::MayNotBind,
            Action::RunSurvey => Msg::MayNotRunSurvey,
            Action::Acknowledge => Msg::MayNotAcknowledge,
            Action::AnswerSurvey => Msg::MayNotAnswerSurvey,
            Action::FillForm => Msg::MayNotFillForm,
            Action::FollowUp => Msg::MayNotFollowUp,
            Action::Bridge => Msg::MayNotBridge,
            Action::SwitchModules => Msg::MayNotSwitchModules,
        }
    }

    /// Actions an official may take on their org's whole subtree.
    fn for_officials(self) -> bool {
        !matches!(self, Action::AnswerSurvey)
    }

    /// Actions a member may take for their own branch (or anything above it,
    /// for answering surveys aimed at a larger audience).
    fn for_members(self) -> bool {
        matches!(self, Action::Acknowledge | Action::AnswerSurvey)
    }
}

impl Tree {
    /// Whether `person` may take `action` on `org`: officials act on their
    /// org's subtree; members acknowledge for their branch and answer surveys
    /// whose audience (an org at or above their branch) contains them.
    pub fn allowed(&self, person: u64, action: Action, org: &Org) -> Result<bool> {
        for (held, role) in self.roles_of(person)? {
            let ok = match role {
                Role::Official => action.for_officials() && org.is_within(&held),
                Role::Member => {
                    action.for_members()
                        && match action {
                            Action::Acknowledge => held.id == org.id,
                            _ => held.is_within(org),
                        }
                }
            };
            if ok {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `allowed`, or a refusal in one sentence.
    pub fn check(&self, person: u64, action: Action, org: &Org) -> Result<()> {
        if self.allowed(person, action, org)? {
            return Ok(());
        }
        Err(Error::denied(msg(action.refusal(), &[("code", &org.code), ("name", &org.name)])))
    }
}
