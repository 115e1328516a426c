//! Micro-surveys (微调查) in chat: /survey, the answer buttons, the `s<ID>`
//! deep links, and the question-by-question conversation with /back,
//! /skip and /cancel. The survey engine itself is `crate::survey`.

use treecast_wire::Inbound;

use crate::error::Result;
use crate::registry::{CommandSpec, Ctx, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::schedule::Job;
use crate::store::Writes;
use crate::survey::{Surveys, CLOSE_JOB, REMIND_JOB};

pub struct SurveyFeature {
    pub surveys: Surveys,
}

/// Reading subcommands need no confirmation; launching, closing and answering do.
fn survey_changes_state(args: &[String]) -> bool {
    !matches!(args.first().map(String::as_str), None | Some("list" | "列表" | "results" | "结果"))
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "survey",
        aliases: &["调查"],
        usage: "[list | ID | launch NAME [ORG] | results ID [ORG] | close ID]",
        help: "微调查：发布、作答、查看结果 / micro-surveys: launch, answer, results",
        who: Who::Anyone,
        changes_state: survey_changes_state,
    },
    CommandSpec {
        name: "back",
        aliases: &["上一题"],
        usage: "",
        help: "回到上一题 / back to the previous question",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
    CommandSpec {
        name: "skip",
        aliases: &["跳过"],
        usage: "",
        help: "跳过本题 / skip this question",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
    CommandSpec {
        name: "cancel",
        aliases: &["取消"],
        usage: "",
        help: "放弃作答 / stop answering",
        who: Who::Anyone,
        changes_state: crate::registry::never,
    },
];

/// The canonical name and arguments of a survey-related command line
/// (`/start PAYLOAD` too), for callers that bypass the gateway.
pub fn parse(text: &str) -> Option<(&'static str, Vec<String>)> {
    let rest = text.trim_start().strip_prefix(['/', '!', '／'])?;
    let mut words = rest.lines().next().unwrap_or("").split_whitespace();
    let word = words.next()?.split('@').next()?.to_lowercase();
    let args = words.map(str::to_owned).collect();
    if word == "start" || word == "开始" {
        return Some(("start", args));
    }
    let spec = COMMANDS.iter().find(|c| c.name == word || c.aliases.contains(&word.as_str()))?;
    Some((spec.name, args))
}

impl Feature for SurveyFeature {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "surveys",
            commands: COMMANDS,
            buttons: &["sv:"],
            deep_links: &["s", "S"],
            jobs: &[REMIND_JOB, CLOSE_JOB],
            ..Declaration::default()
        }
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
        match inv.name {
            "survey" => self.surveys.command(ev, &person, &inv.args),
            name => self.surveys.control(ev, &person, name),
        }
    }

    fn button(&self, cx: &Cx, ev: &Inbound, data: &str) -> Result<Handled> {
        Ok(self.surveys.answer_button(ev, &cx.person(ev)?, data)?.unwrap_or_default())
    }

    fn deep_link(&self, cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
        self.surveys.start(ev, &cx.person(ev)?, payload)
    }

    fn conversation(&self, cx: &Cx, ev: &Inbound) -> Result<Option<Handled>> {
        self.surveys.answer_text(ev, &cx.person(ev)?)
    }
}
