//! The surveys feature as the registry sees it: /survey, the answer
//! buttons, the `s<ID>` deep links, the conversation with /back, /skip and
//! /cancel, and the reminder and closing jobs.

use treecast_wire::Inbound;

use super::commands::COMMANDS;
use super::Survey;
use super::{Surveys, CLOSE_JOB, REMIND_JOB};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::Result;
use crate::registry::{Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation};
use crate::schedule::Job;
use crate::store::Writes;
use crate::tree::people::Person;
use crate::tree::Org;
use std::collections::HashMap;

/// The surveys each official launched that close soon.
struct Closing(HashMap<u64, Vec<Survey>>);

impl DigestSource for Closing {
    fn items(&self, _cx: &Ctx, person: &Person, _orgs: &[Org]) -> Result<Vec<DigestItem>> {
        let mine = self.0.get(&person.id).into_iter().flatten();
        Ok(mine
            .map(|s| DigestItem {
                section: (3, Msg::DigestSurveys.text()),
                text: msg(Msg::DigestSurveyLine, &[("id", &s.id), ("title", &s.def.title), ("at", &show(s.closes))]),
                due: Some(s.closes),
                key: format!("survey:{}", s.id),
            })
            .collect())
    }
}

pub struct SurveyFeature {
    pub surveys: Surveys,
}

impl Feature for SurveyFeature {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "surveys",
            commands: COMMANDS,
            buttons: &["sv:"],
            deep_links: &["s", "S"],
            jobs: &[REMIND_JOB, CLOSE_JOB],
            admin: super::admin::OPS,
            web_nav: &[("/surveys", "微调查", "Surveys")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(super::web::routes(self.surveys.clone()))
    }

    fn personal_data(&self, _cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        match self.surveys.held_for(p.id)? {
            (0, 0) => Ok(Vec::new()),
            (named, open) => Ok(vec![msg(Msg::MyDataSurveys, &[("named", &named), ("open", &open)])]),
        }
    }

    fn retain(&self, cx: &Ctx, w: &mut Writes) -> Result<usize> {
        self.surveys.unname_answers(cx.config.privacy.survey_names_days, w)
    }

    fn forget(&self, _cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        self.surveys.forget_person(p.id, w)
    }

    fn admin(&self, cx: &Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        super::admin::run(cx, &self.surveys, op, args)
    }

    fn run_job(&self, _cx: &Ctx, job: &Job) -> Result<Writes> {
        let id = crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?;
        match job.kind.as_str() {
            CLOSE_JOB => self.surveys.closing_writes(id),
            _ => self.surveys.reminder_writes(id),
        }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let person = cx.person(ev)?;
        self.surveys.command(ev, &person, &inv.args)
    }

    fn control(&self, cx: &Cx, ev: &Inbound, input: crate::conversation::Input) -> Result<Option<Handled>> {
        let Some(p) = cx.person(ev)? else { return Ok(None) };
        if self.surveys.active(p.id)?.is_none() {
            return Ok(None);
        }
        self.surveys.control(ev, &Some(p), input).map(Some)
    }

    fn button(&self, cx: &Cx, ev: &Inbound, data: &str) -> Result<Handled> {
        Ok(self.surveys.answer_button(ev, &cx.person(ev)?, data)?.unwrap_or_default())
    }

    fn deep_link(&self, cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
        self.surveys.start(ev, &cx.person(ev)?, payload)
    }

    fn digest(&self, cx: &Ctx) -> Result<Option<Box<dyn DigestSource + '_>>> {
        // Surveys closing in the next two days, by who launched them.
        let now = cx.now();
        let mut closing: HashMap<u64, Vec<Survey>> = HashMap::new();
        for s in self.surveys.all()? {
            if s.closes > now && s.closes <= now + 2 * 86_400 {
                closing.entry(s.launched_by).or_default().push(s);
            }
        }
        Ok(Some(Box::new(Closing(closing))))
    }

    fn end_batch(&self, _cx: &Ctx) -> Result<()> {
        self.surveys.commit_pending()
    }

    fn conversation(&self, cx: &Cx, ev: &Inbound) -> Result<Option<Handled>> {
        self.surveys.answer_text(ev, &cx.person(ev)?)
    }
}
