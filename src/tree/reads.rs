//! The one read-permission table, beside the action table (`auth.rs`): for
//! each thing about an org someone may read, what each asker sees, by their
//! role and by where their org stands from it. Every chat command, admin
//! operation and API route names the reads it makes in `SURFACES`; a test
//! fails for one that does not.

use super::people::Role;
use super::{Org, Tree};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// Something about an org that not everyone may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Code, name, level and parents: org names are public.
    OrgCard,
    /// Its child orgs by name.
    Children,
    /// Its bound chats: chat ids, room ids, list addresses.
    Channels,
    /// Who is on its mailing lists.
    ListMembers,
    /// Its notices' delivery and who acknowledged when.
    NoticeStatus,
    /// Results and exports of its surveys.
    SurveyResults,
    /// Its letters and reports.
    OrgMessages,
    /// Search results: each document by its own rule (`search::visibility`).
    SearchResults,
    /// Submissions to its forms.
    FormSubmissions,
    /// What its officials did (the audit log).
    AuditLog,
    /// Names, phone numbers, addresses and platform ids of its people.
    PersonalData,
}

pub const READS: [Read; 11] = [
    Read::OrgCard,
    Read::Children,
    Read::Channels,
    Read::ListMembers,
    Read::NoticeStatus,
    Read::SurveyResults,
    Read::OrgMessages,
    Read::SearchResults,
    Read::FormSubmissions,
    Read::AuditLog,
    Read::PersonalData,
];

/// Where the asker's org stands from the org read about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Own,
    /// The asker's org is above it.
    Ancestor,
    /// The asker's org is below it.
    Descendant,
    /// Same parent.
    Sibling,
    Elsewhere,
}

/// Who asks: a person by role and position, someone treecast does not know,
/// or the operator (the command line and the admin API, behind its token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    Stranger,
    Member(Position),
    Official(Position),
    Operator,
}

/// What the asker gets: ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    /// Nothing, and a sentence saying who may.
    Refused,
    /// How many, without who or where.
    Count,
    /// Each item by its own rule (search results).
    Filtered,
    All,
}

/// The table.
pub const fn sight(read: Read, asker: Asker) -> Sight {
    use Asker::*;
    use Position::*;
    use Read::*;
    match (read, asker) {
        (_, Operator) => Sight::All,
        (OrgCard, _) => Sight::All,
        (SearchResults, _) => Sight::Filtered,
        (Children, Stranger) => Sight::Count,
        (Children, _) => Sight::All,
        (_, Official(Own | Ancestor)) => Sight::All,
        // A branch's members know their own group exists.
        (Channels, Member(Own)) => Sight::Count,
        _ => Sight::Refused,
    }
}

/// Every chat command (`/name`), admin operation (`op:group.action`) and
/// API route (`GET /path`) with the reads it makes.
pub const SURFACES: &[(&str, &[Read])] = &[
    ("/help", &[]),
    ("/start", &[]),
    ("/whoami", &[]),
    ("/link", &[]),
    ("/bind", &[]),
    ("/unbind", &[]),
    ("/invite", &[]),
    ("/tree", &[Read::OrgCard, Read::Children, Read::Channels]),
    ("/notice", &[]),
    ("/status", &[Read::NoticeStatus]),
    ("/remind", &[Read::NoticeStatus]),
    ("/ack", &[]),
    ("/survey", &[Read::SurveyResults]),
    ("/msg", &[]),
    ("/report", &[]),
    ("/inbox", &[Read::OrgMessages]),
    ("/read", &[Read::OrgMessages]),
    ("/forward", &[Read::OrgMessages]),
    ("/reports", &[Read::OrgMessages]),
    ("/digest", &[Read::NoticeStatus, Read::OrgMessages, Read::SurveyResults]),
    ("/search", &[Read::SearchResults]),
    ("/back", &[]),
    ("/skip", &[]),
    ("/cancel", &[]),
    ("op:tree.import", &[]),
    ("op:tree.export", &[Read::OrgCard, Read::Children]),
    ("op:tree.generate", &[]),
    ("op:tree.stats", &[Read::OrgCard]),
    ("op:tree.show", &[Read::OrgCard, Read::Children, Read::Channels]),
    ("op:tree.move", &[]),
    ("op:tree.rename", &[]),
    ("op:tree.delete", &[]),
    ("op:org.bind_console", &[]),
    ("op:org.invite", &[]),
    ("op:org.channels", &[Read::Channels]),
    ("op:org.bind", &[]),
    ("op:org.unbind", &[]),
    ("op:org.bind_list", &[]),
    ("op:org.import_channels", &[]),
    // Writes an org's archive; what it holds is read through search
    // (`Read::SearchResults`: the org's people and the officials above).
    ("op:archive.import", &[]),
    ("op:org.members", &[Read::ListMembers, Read::PersonalData]),
    ("op:person.add", &[]),
    ("op:notice.post", &[]),
    ("op:notice.status", &[Read::NoticeStatus]),
    ("op:notice.remind", &[Read::NoticeStatus]),
    ("op:notice.list", &[Read::NoticeStatus]),
    ("op:survey.check", &[]),
    ("op:survey.launch", &[]),
    ("op:survey.list", &[Read::SurveyResults]),
    ("op:survey.results", &[Read::SurveyResults]),
    ("op:survey.close", &[]),
    ("op:mailbox.send", &[]),
    ("op:mailbox.inbox", &[Read::OrgMessages]),
    ("op:search.query", &[Read::SearchResults]),
    ("op:search.rebuild", &[]),
    ("/audit", &[Read::AuditLog]),
    // A person's own data, to themselves only.
    ("/mydata", &[]),
    // A topic and its posts are its subtree's: shown only to those in it.
    ("/topic", &[]),
    ("/topics", &[]),
    // Approved posts are showcase (public); pending ones only to the
    // column's officials and those above (the action table).
    ("/column", &[]),
    ("/feature", &[]),
    ("/showcase", &[]),
    // An interview is its audience's (the host's subtree and above); the
    // askers' names go only to the host's officials, and the audit log
    // keeps each time they are shown (`Act::ReadPersonal`).
    ("/interview", &[Read::PersonalData]),
    ("/ask", &[]),
    ("/vote", &[]),
    ("/answer", &[]),
    // Scores are about orgs (whose names are public), never about people.
    ("/rank", &[]),
    ("op:leaderboard.rank", &[]),
    ("op:leaderboard.recompute", &[]),
    // A campaign's compliance is its follow-up officials' (the launching
    // org's and those above, each in their own subtree); form submissions
    // hold names and phone numbers: exported only to the same.
    ("/campaign", &[Read::NoticeStatus, Read::FormSubmissions]),
    ("op:campaign.check", &[]),
    ("op:campaign.launch", &[]),
    ("op:campaign.list", &[]),
    ("op:campaign.status", &[Read::NoticeStatus, Read::FormSubmissions]),
    ("op:campaign.mark", &[]),
    // A service's subscribers are never listed, only counted for its editors.
    ("/services", &[]),
    ("/service", &[]),
    ("/subscribe", &[]),
    ("/unsubscribe", &[]),
    ("/publish", &[]),
    ("op:service.list", &[]),
    ("op:service.publish", &[]),
    // The subscription's own token is the only key: it ends that one.
    ("op:service.unsubscribe", &[]),
    // The org's chats, as `/bridge` lists those that share messages.
    ("/bridge", &[Read::Channels]),
    // Which modules an org uses is not secret: anyone may list them.
    ("/modules", &[Read::OrgCard]),
    ("op:modules.list", &[Read::OrgCard]),
    ("op:modules.switch", &[]),
    ("op:modules.default", &[]),
    // Branding writes to the org's chats and reads nothing back.
    ("/brand", &[]),
    ("op:org.brand", &[]),
    ("POST /unsubscribe", &[]),
    ("/forget", &[]),
    ("op:audit.list", &[Read::AuditLog]),
    ("GET /api/v1/ops", &[]),
    ("GET /api/v1/progress/{id}", &[]),
    ("GET /metrics", &[]),
    ("GET /api/v1/search", &[Read::SearchResults]),
    ("POST /api/v1/{group}/{action}", &[]),
    // The web console (src/web, each feature's web.rs): a sign-in link goes
    // to the asker's own identity; pages read what chat reads.
    ("/web", &[]),
    ("GET /", &[Read::OrgCard, Read::NoticeStatus, Read::OrgMessages]),
    ("GET /static/htmx.min.js", &[]),
    ("GET /static/console.css", &[]),
    ("GET /login", &[]),
    ("POST /login", &[]),
    ("GET /login/{token}", &[]),
    ("POST /login/{token}", &[]),
    ("POST /logout", &[]),
    ("POST /logout/all", &[]),
    ("GET /lang/{code}", &[]),
    // The operator's page: counters and lags, nothing about orgs or people.
    ("GET /ops", &[]),
    ("GET /ops/login", &[]),
    ("POST /ops/login", &[]),
    ("GET /notices", &[Read::NoticeStatus]),
    ("GET /notice/{id}", &[Read::NoticeStatus]),
    ("GET /notice/{id}/live", &[Read::NoticeStatus]),
    ("POST /notice/{id}/remind", &[Read::NoticeStatus]),
    ("GET /post", &[Read::OrgCard]),
    ("POST /post", &[]),
    ("POST /post/preview", &[Read::OrgCard]),
    ("GET /surveys", &[Read::SurveyResults]),
    ("GET /survey/{id}", &[Read::SurveyResults]),
    ("GET /survey/{id}/export/{file}", &[Read::SurveyResults]),
    ("GET /campaigns", &[Read::NoticeStatus]),
    ("GET /campaign/{id}", &[Read::NoticeStatus]),
    ("GET /campaign/{id}/export/{file}", &[Read::NoticeStatus, Read::FormSubmissions]),
    ("GET /tree", &[Read::OrgCard, Read::Children, Read::Channels]),
    ("POST /tree/{code}/codes", &[Read::Children]),
    ("GET /search", &[Read::SearchResults]),
    // Rankings are shown to every org's members in chat too.
    ("GET /rank", &[Read::OrgCard]),
    // The askers' names, as `/interview pending` shows them to moderators.
    ("GET /interviews", &[Read::PersonalData]),
    ("POST /interviews/question/{id}/{verdict}", &[]),
    // Topics the viewer takes part in, as `/topics` shows them.
    ("GET /topics", &[]),
    ("GET /topic/{id}", &[]),
    // Approved column posts are published: anyone may read them.
    ("GET /showcase", &[Read::OrgCard]),
    ("GET /inbox", &[Read::OrgMessages]),
];

/// The reads a surface makes, or None for one not in the table.
pub fn surface(name: &str) -> Option<&'static [Read]> {
    SURFACES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

impl Read {
    fn refusal(self) -> Msg {
        match self {
            Read::NoticeStatus => Msg::MayNotViewStatus,
            Read::SurveyResults => Msg::MayNotRunSurvey,
            Read::OrgMessages => Msg::MayNotUseMailbox,
            _ => Msg::MayNotRead,
        }
    }
}

fn position(held: &Org, org: &Org) -> Position {
    if held.id == org.id {
        Position::Own
    } else if org.is_within(held) {
        Position::Ancestor
    } else if held.is_within(org) {
        Position::Descendant
    } else if held.parent == org.parent {
        Position::Sibling
    } else {
        Position::Elsewhere
    }
}

impl Tree {
    /// What `person` (None: someone treecast does not know) sees of `read`
    /// about `org`: the most any of their roles gives.
    pub fn sight(&self, person: Option<u64>, read: Read, org: &Org) -> Result<Sight> {
        let roles = match person {
            Some(p) => self.roles_of(p)?,
            None => Vec::new(),
        };
        let best = roles.iter().map(|(held, role)| {
            let at = position(held, org);
            sight(read, if *role == Role::Official { Asker::Official(at) } else { Asker::Member(at) })
        });
        Ok(best.max().unwrap_or(sight(read, Asker::Stranger)))
    }

    /// Whether `person` sees all of `read` about `org`, or a refusal in one sentence.
    pub fn check_read(&self, person: Option<u64>, read: Read, org: &Org) -> Result<()> {
        if self.sight(person, read, org)? == Sight::All {
            return Ok(());
        }
        Err(Error::denied(msg(read.refusal(), &[("code", &org.code), ("name", &org.name)])))
    }
}

#[cfg(test)]
mod tests;
