//! `treecast campaign check|launch|list|status|mark` and `/api/v1/campaign/...`.

use std::path::Path;

use serde::Deserialize;

use super::store;
use super::{launch, require, status};
use crate::admin::{args, DefinitionText, LaunchText, OutFile, Reply};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Act, Actor, Event};
use crate::store::Writes;

pub const OPS: &[&str] = &["campaign.check", "campaign.launch", "campaign.list", "campaign.status", "campaign.mark"];

#[derive(Deserialize)]
struct Status {
    id: u64,
    org: Option<String>,
    /// The compliance table as files.
    csv: Option<String>,
    xlsx: Option<String>,
    /// The form submissions as files.
    forms_csv: Option<String>,
    forms_xlsx: Option<String>,
}

#[derive(Deserialize)]
struct Mark {
    id: u64,
    step: usize,
    orgs: Vec<String>,
    #[serde(default)]
    undo: bool,
}

pub fn run(cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
    let text = match op {
        "campaign.check" => {
            let d: DefinitionText = args(op, a)?;
            let def = launch::check(cx, &d.name, &d.text)?;
            msg(Msg::CampaignChecked, &[("path", &d.name), ("title", &def.title), ("n", &def.steps.len())])
        }
        "campaign.launch" => {
            let l: LaunchText = args(op, a)?;
            let by = crate::tree::people::person_by(&cx.tree, &l.by)?;
            let launched = launch::launch_text(cx, by.id, &l.name, &l.text, l.org.as_deref())?;
            cx.store().flush()?;
            format!("{}\n{}", launched.to_text(), Msg::ServeDelivers.text())
        }
        "campaign.list" => list(cx)?,
        "campaign.status" => return status(cx, args(op, a)?),
        "campaign.mark" => mark(cx, args(op, a)?)?,
        _ => return Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    };
    Ok(Reply::text(text))
}

fn list(cx: &Ctx) -> Result<String> {
    let mut out = Vec::new();
    for c in store::campaigns(cx.store())? {
        let org = cx.tree.require_id(c.org)?;
        let last = c.dues.iter().max().copied().unwrap_or(c.launched);
        out.push(format!(
            "#{} {}（{} {}，{} 个目标 targets，{} — {}）",
            c.id,
            c.def.title,
            org.code,
            org.name,
            c.targets.len(),
            show(c.launched),
            show(last)
        ));
    }
    Ok(if out.is_empty() { Msg::CampaignNone.text().to_owned() } else { out.join("\n") })
}

/// The compliance table, and the exports asked for as files.
fn status(cx: &Ctx, a: Status) -> Result<Reply> {
    let c = require(cx, a.id)?;
    // The operator reads every scope.
    let org = match a.org.as_deref() {
        Some(code) => cx.tree.require(code)?,
        None => cx.tree.require_id(c.org)?,
    };
    let s = status::compute(cx, &c, &org)?;
    let mut reply = Reply::text(s.to_text());
    let form_step = (0..c.def.steps.len()).find(|i| !c.def.steps[*i].kind.fields().is_empty());
    let mut rows = 0;
    let mut add = |path: Option<String>, table: &dyn Fn() -> Result<status::Table>, xlsx: bool| -> Result<()> {
        let Some(path) = path else { return Ok(()) };
        let t = table()?;
        let bytes = if xlsx { t.xlsx(Path::new(&path))? } else { t.csv(Path::new(&path))? };
        rows += t.rows.len();
        reply.text.push_str(&format!("\n{}", msg(Msg::FileWritten, &[("path", &path)])));
        reply.files.push(OutFile { path, bytes });
        Ok(())
    };
    add(a.csv, &|| s.table(cx), false)?;
    add(a.xlsx, &|| s.table(cx), true)?;
    let forms = || match form_step {
        Some(i) => s.forms(cx, i),
        None => Err(Error::invalid(msg(Msg::CampaignNoForm, &[("id", &c.id)]))),
    };
    add(a.forms_csv, &forms, false)?;
    add(a.forms_xlsx, &forms, true)?;
    if !reply.files.is_empty() {
        let act = Act::Exported { what: format!("campaign:{}", c.id), rows: rows as u64 };
        let mut w = Writes::default();
        events::emit(&mut w, cx.clock.now_ms(), &Event::Acted { org: org.id, by: Actor::Operator, act });
        cx.store().commit(&w)?;
    }
    Ok(reply)
}

/// The operator marks a manual step of orgs done (or takes it back).
fn mark(cx: &Ctx, a: Mark) -> Result<String> {
    let c = require(cx, a.id)?;
    let codes: Vec<&str> = a.orgs.iter().map(String::as_str).collect();
    super::commands::mark_orgs(cx, &c, a.step, &codes, None, !a.undo)
}
