//! Campaigns (工作部署): a piece of work sent down the tree with deadlines,
//! like the founding notice's "fill in the form by 11月25日, register by
//! 11月30日, follow the central accounts by 12月10日". A definition in TOML
//! names the target orgs (a subtree at one level) and ordered steps: a
//! form filled through the conversation engine, a bound chat, following,
//! an acknowledged notice, or a step the parent marks by hand. Steps
//! complete from the event log; the scheduler reminds before each deadline
//! and, after it, tells each parent which of its children are late; the
//! compliance table rolls up national -> province -> school.

mod admin;
mod commands;
pub mod def;
mod form;
mod jobs;
mod launch;
mod progress;
pub mod status;
pub mod store;
mod web;
mod whole;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{
    CommandSpec, Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation, Subscriber, Who,
};
use crate::schedule::Job;
use crate::store::Writes;
use crate::tree::people::Person;
use crate::tree::Org;
pub use launch::Launched;
use store::Campaign;

const REMIND_JOB: &str = "campaigns.remind";
const ESCALATE_JOB: &str = "campaigns.escalate";
/// Replies to a mailed form come back to its owner as this kind.
const FORM_MAIL: &str = "campaign-form";

fn acts(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("launch" | "发起" | "fill" | "填写" | "mark" | "标记" | "unmark" | "撤销")
    )
}

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "campaign",
    aliases: &["工作部署", "部署"],
    usage: "launch NAME [@ORG] | ID | status ID [ORG] | fill ID [@ORG] | mark ID STEP ORG… | unmark ID STEP ORG | export ID [form|status] [ORG]",
    help: "工作部署：发起、填表、查看完成情况、标记完成 / campaigns: launch, fill in forms, compliance down the tree, mark steps done",
    who: Who::Members,
    changes_state: acts,
}];

fn require(cx: &Ctx, id: u64) -> Result<Campaign> {
    store::campaign(cx.store(), id)?.ok_or_else(|| Error::not_found(msg(Msg::CampaignUnknown, &[("id", &id)])))
}

/// Whether `org` is one the campaign asks the steps of.
fn is_target(c: &Campaign, org: &Org) -> bool {
    c.targets.binary_search(&org.id).is_ok()
}

/// The open steps of the campaigns that target the official's orgs, and
/// the late children of those they follow up, for their daily digest.
struct Open(Vec<Campaign>);

impl DigestSource for Open {
    fn items(&self, cx: &Ctx, _person: &Person, orgs: &[Org]) -> Result<Vec<DigestItem>> {
        let now = cx.now();
        let mut out = Vec::new();
        for c in &self.0 {
            for org in orgs.iter().filter(|o| is_target(c, o)) {
                for (i, step) in c.def.steps.iter().enumerate() {
                    if c.dues[i] > now && !store::is_done(cx.store(), c.id, i as u8, org.id)? {
                        out.push(DigestItem {
                            section: (5, Msg::DigestCampaigns.text()),
                            text: msg(
                                Msg::DigestCampaignStep,
                                &[
                                    ("id", &c.id),
                                    ("title", &c.def.title),
                                    ("step", &step.title),
                                    ("due", &crate::clock::show(c.dues[i])),
                                    ("org", &org.name),
                                ],
                            ),
                            due: Some(c.dues[i]),
                            key: format!("campaign:{}:{i}:{}", c.id, org.id),
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}

pub struct Campaigns;

impl Feature for Campaigns {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "campaigns",
            commands: COMMANDS,
            buttons: &["cf:"],
            deep_links: &["cf"],
            replies: &[FORM_MAIL],
            jobs: &[REMIND_JOB, ESCALATE_JOB],
            admin: admin::OPS,
            web_nav: &[("/campaigns", "工作部署", "Campaigns")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn web_panel(&self, cx: &Ctx, v: &crate::web::Viewer) -> Result<Option<String>> {
        web::panel(cx, v)
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match inv.arg(0) {
            Some("launch" | "发起") => commands::launch(cx, ev, &p, inv),
            Some("status" | "进度" | "完成情况") => commands::status(cx, ev, &p, inv),
            Some("fill" | "填写") => whole::fill_command(cx, ev, &p, inv),
            Some("mark" | "标记") => commands::mark(cx, ev, &p, inv, true),
            Some("unmark" | "撤销") => commands::mark(cx, ev, &p, inv, false),
            Some("export" | "导出") => commands::export(cx, ev, &p, inv),
            Some(_) => commands::mine(cx, ev, &p, inv.id(0, Msg::CampaignUsage)?),
            None => commands::list(cx, ev, &p),
        }
    }

    fn button(&self, cx: &Cx, ev: &Inbound, data: &str) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match crate::conversation::parse_button(data, "cf") {
            Some((_, q, pick)) => {
                let input = crate::conversation::Input::Pick { q, pick };
                Ok(form::step(cx, ev, &p, input)?.unwrap_or_else(|| Handled::say(ev, Msg::StaleButton.text())))
            }
            None => Ok(Handled::none()),
        }
    }

    fn deep_link(&self, cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let id = payload.trim_start_matches("cf").parse().map_err(|_| Error::invalid(Msg::CampaignUsage.text()))?;
        form::start(cx, ev, &p, &require(cx, id)?, None, None)
    }

    fn conversation(&self, cx: &Cx, ev: &Inbound) -> Result<Option<Handled>> {
        match cx.person(ev)? {
            Some(p) => whole::text(cx, ev, &p),
            None => Ok(None),
        }
    }

    fn control(&self, cx: &Cx, ev: &Inbound, input: crate::conversation::Input) -> Result<Option<Handled>> {
        match cx.person(ev)? {
            Some(p) => form::step(cx, ev, &p, input),
            None => Ok(None),
        }
    }

    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        let MsgRef::Owned { data, .. } = to else { return Ok(Handled::none()) };
        whole::mailed_back(cx, ev, &data)
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        let id = crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?;
        let step = *job.payload.get(8).unwrap_or(&0) as usize;
        let Some(c) = store::campaign(cx.store(), id)? else { return Ok(Writes::default()) };
        if step >= c.def.steps.len() {
            return Ok(Writes::default());
        }
        match job.kind.as_str() {
            REMIND_JOB => jobs::remind(cx, &c, step),
            ESCALATE_JOB => jobs::escalate(cx, &c, step),
            _ => Ok(Writes::default()),
        }
    }

    fn admin(&self, cx: &Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        admin::run(cx, op, args)
    }

    fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        vec![Arc::new(progress::Progress)]
    }

    fn digest(&self, cx: &Ctx) -> Result<Option<Box<dyn DigestSource + '_>>> {
        let now = cx.now();
        let open: Vec<Campaign> =
            store::campaigns(cx.store())?.into_iter().filter(|c| c.dues.iter().any(|d| *d > now)).collect();
        Ok(Some(Box::new(Open(open))))
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        let mut n = 0;
        store::each_submission(cx.store(), |_, s| {
            n += usize::from(s.person == p.id);
            Ok(())
        })?;
        Ok(if n > 0 { vec![msg(Msg::MyDataCampaignForms, &[("n", &n)])] } else { Vec::new() })
    }

    /// A form of their own (per person) goes; a form they filled for their
    /// org stays the org's, without their name as its author.
    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        store::each_submission(cx.store(), |k, mut s| {
            if store::key_person(k)? == p.id {
                store::remove_submission_key(w, k);
            } else if s.person == p.id {
                s.person = 0;
                store::put_submission_row(w, k, &s);
            }
            Ok(())
        })?;
        store::end_filling(w, p.id);
        Ok(())
    }
}
