//! `treecast survey check|launch|list|results|close` and `/api/v1/survey/...`.

use std::path::Path;

use serde::Deserialize;

use super::{def, Surveys};
use crate::admin::{args, DefinitionText, LaunchText, OutFile, Reply};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Act, Actor, Event};
use crate::store::Writes;
use crate::tree::people::person_by;
use crate::tree::Tree;

impl Surveys {
    /// The survey engine with the config's surveys dir and notice rules.
    pub fn from_config(tree: &Tree, cfg: &crate::config::Config) -> Surveys {
        let s = Surveys::new(tree.clone());
        s.set_dir(cfg.surveys_dir.clone());
        s.set_rules(cfg.notice_rules());
        s
    }
}

pub const OPS: &[&str] = &["survey.check", "survey.launch", "survey.list", "survey.results", "survey.close"];

#[derive(Deserialize)]
struct Results {
    id: u64,
    org: Option<String>,
    /// Where the operator wants the exports written.
    csv: Option<String>,
    xlsx: Option<String>,
}

#[derive(Deserialize)]
struct Id {
    id: u64,
}

pub fn run(cx: &Ctx, surveys: &Surveys, op: &str, a: serde_json::Value) -> Result<Reply> {
    let tree = &cx.tree;
    let text = match op {
        "survey.check" => {
            let d: DefinitionText = args(op, a)?;
            let def = def::parse(&d.name, &d.text)?;
            msg(Msg::SurveyChecked, &[("path", &d.name), ("title", &def.title), ("n", &def.questions.len())])
        }
        "survey.launch" => {
            let l: LaunchText = args(op, a)?;
            let by = person_by(tree, &l.by)?;
            let launched = surveys.launch_text(by.id, &l.name, &l.text, l.org.as_deref())?;
            tree.store.flush()?;
            cx.waker.wake();
            format!("{}\n{}", launched.to_text(), Msg::ServeDelivers.text())
        }
        "survey.list" => list(tree, surveys)?,
        "survey.results" => return results(surveys, args(op, a)?),
        "survey.close" => close(tree, surveys, args::<Id>(op, a)?.id)?,
        _ => return Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    };
    Ok(Reply::text(text))
}

/// Results rolled up, and the exports the operator asked for as files.
fn results(surveys: &Surveys, a: Results) -> Result<Reply> {
    let r = surveys.results_in(None, a.id, a.org.as_deref())?;
    let mut reply = Reply::text(r.to_text(40));
    if let Some(path) = a.csv {
        let bytes = r.csv_bytes(Path::new(&path))?;
        reply.text.push_str(&format!("\n{}", msg(Msg::FileWritten, &[("path", &path)])));
        reply.files.push(OutFile { path, bytes });
    }
    if let Some(path) = a.xlsx {
        let bytes = r.xlsx_bytes(Path::new(&path))?;
        reply.text.push_str(&format!("\n{}", msg(Msg::FileWritten, &[("path", &path)])));
        reply.files.push(OutFile { path, bytes });
    }
    if !reply.files.is_empty() {
        // Answers left treecast: the audit log keeps who, when and how many.
        let what = format!("survey:{}", r.survey.id);
        let act = Act::Exported { what, rows: (r.responses.len() * reply.files.len()) as u64 };
        let mut w = Writes::default();
        events::emit(&mut w, surveys.now() * 1000, &Event::Acted { org: r.scope.id, by: Actor::Operator, act });
        surveys.tree.store.commit(&w)?;
    }
    Ok(reply)
}

fn list(tree: &Tree, surveys: &Surveys) -> Result<String> {
    let mut out = String::new();
    for s in surveys.all()? {
        let org = tree.require_id(s.org)?;
        out.push_str(&format!(
            "#{} 《{}》 {} {}, {} – {}{}\n",
            s.id,
            s.def.title,
            org.code,
            org.name,
            super::clock::show(s.opens),
            super::clock::show(s.closes),
            if s.def.anonymous { Msg::SurveyAnonymous.text() } else { "" }
        ));
    }
    Ok(if out.is_empty() { Msg::NoSurveysYet.text().into() } else { out.trim_end().to_owned() })
}

fn close(tree: &Tree, surveys: &Surveys, id: u64) -> Result<String> {
    let s = surveys.close(None, id)?;
    tree.store.flush()?;
    let closes = super::clock::show(s.closes);
    Ok(msg(Msg::SurveyClosedAt, &[("id", &s.id), ("title", &s.def.title), ("closes", &closes)]))
}
