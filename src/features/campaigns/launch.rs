//! Launching a campaign: read and check the definition, fix its targets and
//! deadlines, announce it as a notice to the targets' chats with a "Fill
//! in" button, count the steps already done (a chat bound before, a second
//! account linked before) and schedule each step's reminder and escalation.

use std::path::Path;

use treecast_wire::{Button, ButtonAction};

use super::def::{self, Definition, FollowBy, StepKind};
use super::store::{self, Campaign, Done};
use super::{ESCALATE_JOB, REMIND_JOB};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::notice::Draft;
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::Role;
use crate::tree::Org;

/// What a launch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub id: u64,
    pub title: String,
    pub org: Org,
    pub notice: u64,
    pub targets: usize,
    /// Steps found done already (before the launch).
    pub done: usize,
}

impl Launched {
    pub fn to_text(&self) -> String {
        msg(
            Msg::CampaignLaunched,
            &[
                ("id", &self.id),
                ("title", &self.title),
                ("org", &self.org.name),
                ("n", &self.targets),
                ("notice", &self.notice),
                ("done", &self.done),
            ],
        )
    }
}

/// The level keys of the tree, for checking a definition.
pub fn level_keys(cx: &Ctx) -> Vec<String> {
    cx.tree.levels.iter().map(|(i, _)| cx.tree.levels.key(i).to_owned()).collect()
}

/// Checks a definition given as text; `file` names it in errors.
pub fn check(cx: &Ctx, file: &str, text: &str) -> Result<Definition> {
    Ok(def::parse(file, text, &level_keys(cx))?)
}

/// `/campaign launch NAME`: `NAME.toml` from the campaigns dir.
pub fn launch_named(cx: &Ctx, by: u64, name: &str, org_code: Option<&str>) -> Result<Launched> {
    let name = name.trim().trim_end_matches(".toml");
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(Error::invalid(msg(Msg::CampaignBadName, &[("name", &format!("{name:?}"))])));
    }
    let path = cx.config.campaigns_dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path)
        .map_err(|_| Error::not_found(msg(Msg::CampaignNoDefinition, &[("name", &name), ("path", &path.display())])))?;
    launch_text(cx, by, &path.display().to_string(), &text, org_code)
}

/// Launches a definition given as text (`file` names it in errors).
pub fn launch_text(cx: &Ctx, by: u64, file: &str, text: &str, org_code: Option<&str>) -> Result<Launched> {
    let def = check(cx, file, text)?;
    let name = Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    launch(cx, by, &name, def, org_code)
}

fn launch(cx: &Ctx, by: u64, name: &str, def: Definition, org_code: Option<&str>) -> Result<Launched> {
    let code = org_code.or(def.org.as_deref()).ok_or_else(|| Error::invalid(Msg::CampaignNeedsOrg.text()))?;
    let org = cx.tree.require(code)?;
    cx.tree.check(by, Action::PostNotice, &org)?;
    let level = cx.tree.levels.find(&def.level).unwrap_or(u8::MAX);
    if level <= org.level || level == u8::MAX {
        return Err(Error::invalid(msg(
            Msg::AudienceLevelNotBelow,
            &[("level", &def.level), ("code", &org.code), ("name", &org.name)],
        )));
    }
    let now = cx.now();
    let dues: Vec<u64> = def.steps.iter().map(|s| s.due.resolve(now)).collect();
    if let Some((s, due)) = def.steps.iter().zip(&dues).find(|(_, d)| **d <= now) {
        return Err(Error::invalid(msg(Msg::CampaignDuePast, &[("step", &s.title), ("due", &show(*due))])));
    }
    let mut targets = Vec::new();
    for o in cx.tree.subtree(&org) {
        let o = o?;
        if o.level == level {
            targets.push(o.id);
        }
    }
    targets.sort_unstable();
    if targets.is_empty() {
        return Err(Error::invalid(msg(Msg::CampaignNoTargets, &[("org", &org.name), ("level", &def.level)])));
    }
    let mut c = Campaign {
        id: cx.store().next_number("campaign")?,
        name: name.to_owned(),
        def,
        org: org.id,
        targets,
        launched_by: by,
        launched: now,
        dues,
        notice: None,
    };
    let notice = cx.tree.post_even_unreachable(by, announcement(&org, &c), &cx.rules())?.id;
    c.notice = Some(notice);
    let mut w = Writes::default();
    let done = already_done(cx, &c, &mut w)?;
    schedule_jobs(cx, &c, &mut w)?;
    let e = Event::CampaignLaunched { campaign: c.id, org: org.id, by };
    store::put_campaign(&mut w, &c, cx.clock.now_ms(), Some(&e));
    cx.store().commit(&w)?;
    cx.waker.wake();
    Ok(Launched { id: c.id, title: c.def.title.clone(), org, notice, targets: c.targets.len(), done })
}

/// The announcement: the steps with their deadlines, how to fill the form.
fn announcement(org: &Org, c: &Campaign) -> Draft {
    let mut body = String::new();
    if !c.def.intro.is_empty() {
        body.push_str(&c.def.intro);
        body.push_str("\n\n");
    }
    for (i, s) in c.def.steps.iter().enumerate() {
        body.push_str(&format!("{}. {}（{} 前）\n", i + 1, s.title, show(c.dues[i])));
    }
    let form = c.def.steps.iter().any(|s| matches!(s.kind, StepKind::Form { .. }));
    let how = if form { Msg::CampaignHowForm } else { Msg::CampaignHowSteps };
    body.push_str(&msg(how, &[("id", &c.id), ("payload", &c.payload())]));
    let ack_step = (0..c.def.steps.len()).find(|i| matches!(c.def.steps[*i].kind, StepKind::Ack { notice: None }));
    Draft {
        issuer_code: org.code.clone(),
        title: format!("【工作部署】{}", c.def.title),
        body,
        levels: vec![c.def.level.clone()],
        ack_required: ack_step.is_some(),
        ack_deadline: ack_step.map(|i| c.dues[i]),
        buttons: if form {
            vec![Button { label: "填写 Fill in".into(), action: ButtonAction::StartPrivate(c.payload()) }]
        } else {
            Vec::new()
        },
        ..Draft::default()
    }
}

/// Steps the targets had done before the launch: a chat bound, an
/// official with a second account, a given notice acknowledged. Returns
/// how many it marked.
fn already_done(cx: &Ctx, c: &Campaign, w: &mut Writes) -> Result<usize> {
    let mut n = 0;
    for &id in &c.targets {
        let Some(org) = cx.tree.get(id)? else { continue };
        for (i, s) in c.def.steps.iter().enumerate() {
            let done = match &s.kind {
                StepKind::Bind { platforms } => cx
                    .tree
                    .channels_of(&org)?
                    .iter()
                    .any(|ch| ch.alive && (platforms.is_empty() || platforms.contains(&ch.address.platform))),
                StepKind::Follow { by } if by.contains(&FollowBy::Link) => {
                    cx.tree.holders(org.id, Role::Official)?.iter().any(|p| p.identities.len() >= 2)
                }
                StepKind::Ack { notice: Some(notice) } => cx.store().ack(*notice, org.id)?.is_some(),
                _ => false,
            };
            if done {
                store::put_done(w, c.id, i as u8, org.id, Done { at: c.launched, by: None });
                n += 1;
            }
        }
    }
    Ok(n)
}

fn schedule_jobs(cx: &Ctx, c: &Campaign, w: &mut Writes) -> Result<()> {
    let before = c.def.remind_before_hours as u64 * 3600;
    for (i, due) in c.dues.iter().enumerate() {
        let mut payload = c.id.to_be_bytes().to_vec();
        payload.push(i as u8);
        let remind = due.saturating_sub(before);
        if before > 0 && remind > c.launched {
            let job = Job::new(REMIND_JOB, format!("{REMIND_JOB}:{}:{i}", c.id), payload.clone());
            schedule::put(cx.store(), w, remind * 1000, &job)?;
        }
        // A minute after the deadline: what is not done then is late.
        let job = Job::new(ESCALATE_JOB, format!("{ESCALATE_JOB}:{}:{i}", c.id), payload);
        schedule::put(cx.store(), w, (due + 60) * 1000, &job)?;
    }
    Ok(())
}
