//! Each operator subcommand as an admin operation and its JSON arguments,
//! with the files it names read here, on the operator's side, so the same
//! operation runs on the store or through a running server's admin API.

use std::path::Path;

use serde_json::{json, Value};
use treecast::catalogue::{msg, Msg};
use treecast::cli;

use crate::args::{CampaignCmd, MsgCmd, NoticeCmd, OrgCmd, PersonCmd, SurveyCmd, TreeCmd};

pub type Op = (&'static str, Value);

/// A text file, with the catalogue's sentences when it cannot be read.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!(msg(Msg::FileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(msg(Msg::NotUtf8, &[("path", &path.display()), ("byte", &e.utf8_error().valid_up_to())]))
    })
}

fn named(path: &Path, text: String) -> Value {
    json!({ "name": path.display().to_string(), "csv": text })
}

pub fn tree(t: TreeCmd) -> anyhow::Result<Op> {
    Ok(match t {
        TreeCmd::Import { file } => ("tree.import", named(&file, read_text(&file)?)),
        TreeCmd::Export { file } => ("tree.export", json!({ "file": file.display().to_string() })),
        TreeCmd::Generate { schools, branches, csv } => {
            let schools = match schools {
                Some(p) => Some(named(&p, read_schools(&p)?)),
                None => None,
            };
            let csv = csv.map(|p| p.display().to_string());
            ("tree.generate", json!({ "schools": schools, "branches": branches, "csv": csv }))
        }
        TreeCmd::Stats => ("tree.stats", json!({})),
        TreeCmd::Show { code } => ("tree.show", json!({ "code": code })),
        TreeCmd::Move { code, parent } => ("tree.move", json!({ "code": code, "parent": parent })),
        TreeCmd::Rename { code, name } => ("tree.rename", json!({ "code": code, "name": name })),
        TreeCmd::Delete { code, cascade } => ("tree.delete", json!({ "code": code, "cascade": cascade })),
    })
}

fn read_schools(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!(msg(Msg::SchoolListUnreadable, &[("path", &path.display()), ("error", &e)])))
}

pub fn org(o: OrgCmd) -> anyhow::Result<Op> {
    Ok(match o {
        OrgCmd::Invite { code, under, level, csv } => {
            let csv = csv.map(|p| p.display().to_string());
            ("org.invite", json!({ "code": code, "under": under, "level": level, "csv": csv }))
        }
        OrgCmd::Channels { under, level, unbound } => {
            ("org.channels", json!({ "under": under, "level": level, "unbound": unbound }))
        }
        OrgCmd::Bind { code, chat } => ("org.bind", json!({ "code": code, "chat": chat })),
        OrgCmd::Unbind { chat } => ("org.unbind", json!({ "chat": chat })),
        OrgCmd::Modules { code } => ("modules.list", json!({ "code": code })),
        OrgCmd::Brand { under } => ("org.brand", json!({ "under": under })),
        OrgCmd::Module { code, module, mode } => {
            ("modules.switch", json!({ "code": code, "module": module, "mode": mode }))
        }
        OrgCmd::ModuleDefault { module, level, state } => {
            let on = match state.as_str() {
                "on" => true,
                "off" => false,
                _ => anyhow::bail!(Msg::ModulesUsage.text()),
            };
            ("modules.default", json!({ "module": module, "level": level, "on": on }))
        }
        OrgCmd::BindConsole { level } => ("org.bind_console", json!({ "level": level })),
        OrgCmd::ImportChannels { file } => ("org.import_channels", named(&file, read_text(&file)?)),
        OrgCmd::ImportHistory { file, org, format } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!(msg(Msg::FileUnreadable, &[("path", &file.display()), ("error", &e)])))?;
            let name = file.display().to_string();
            ("archive.import", json!({ "org": org, "name": name, "bytes": base64(&bytes), "format": format }))
        }
        OrgCmd::BindList { code, list, mut members, members_file } => {
            members.extend(cli::address_file(members_file.as_deref())?);
            ("org.bind_list", json!({ "code": code, "list": list, "members": members }))
        }
        OrgCmd::Members { code, list, mut add, add_file, mut remove, remove_file } => {
            add.extend(cli::address_file(add_file.as_deref())?);
            remove.extend(cli::address_file(remove_file.as_deref())?);
            ("org.members", json!({ "code": code, "list": list, "add": add, "remove": remove }))
        }
    })
}

pub fn person(p: PersonCmd) -> Op {
    let PersonCmd::Add { name, identities, official, member, prefer } = p;
    let args =
        json!({ "name": name, "identities": identities, "official": official, "member": member, "prefer": prefer });
    ("person.add", args)
}

pub fn notice(n: NoticeCmd) -> anyhow::Result<Op> {
    Ok(match n {
        NoticeCmd::Post { org, title, body_file, author, levels, only, exclude, no_ack, deadline, attach } => {
            let (body, attachments) = body_and_files(&body_file, &attach)?;
            let args = json!({
                "org": org, "title": title, "body": body, "author": author, "levels": levels, "only": only,
                "exclude": exclude, "no_ack": no_ack, "deadline": deadline, "attachments": attachments,
            });
            ("notice.post", args)
        }
        NoticeCmd::Status { id, org } => ("notice.status", json!({ "id": id, "org": org })),
        NoticeCmd::Remind { id, by } => ("notice.remind", json!({ "id": id, "by": by })),
        NoticeCmd::List { last } => ("notice.list", json!({ "last": last })),
    })
}

/// A body file's text and the attached files as the admin API carries them.
fn body_and_files(body_file: &Path, attach: &[std::path::PathBuf]) -> anyhow::Result<(String, Vec<Value>)> {
    let body = std::fs::read_to_string(body_file)
        .map_err(|e| anyhow::anyhow!(msg(Msg::FileUnreadable, &[("path", &body_file.display()), ("error", &e)])))?;
    let mut attachments = Vec::new();
    for p in attach {
        let data = std::fs::read(p)
            .map_err(|e| anyhow::anyhow!(msg(Msg::FileUnreadable, &[("path", &p.display()), ("error", &e)])))?;
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        attachments.push(json!({ "name": name, "bytes": base64(&data) }));
    }
    Ok((body, attachments))
}

pub fn letters(m: MsgCmd) -> anyhow::Result<Op> {
    Ok(match m {
        MsgCmd::Send { by, to, from, report, title, body_file, attach } => {
            let (body, attachments) = body_and_files(&body_file, &attach)?;
            let args = json!({
                "by": by, "to": to, "from": from, "report": report, "title": title, "body": body,
                "attachments": attachments,
            });
            ("mailbox.send", args)
        }
        MsgCmd::Inbox { by, org } => ("mailbox.inbox", json!({ "by": by, "org": org })),
    })
}

fn base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn definition(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!(msg(Msg::SurveyFileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    Ok(json!({ "name": path.display().to_string(), "text": text }))
}

pub fn survey(c: SurveyCmd) -> anyhow::Result<Op> {
    Ok(match c {
        SurveyCmd::Check { file } => ("survey.check", definition(&file)?),
        SurveyCmd::Launch { file, org, by } => {
            let mut args = definition(&file)?;
            args["org"] = json!(org);
            args["by"] = json!(by);
            ("survey.launch", args)
        }
        SurveyCmd::List => ("survey.list", json!({})),
        SurveyCmd::Results { id, org, csv, xlsx } => {
            let path = |p: Option<std::path::PathBuf>| p.map(|p| p.display().to_string());
            ("survey.results", json!({ "id": id, "org": org, "csv": path(csv), "xlsx": path(xlsx) }))
        }
        SurveyCmd::Close { id } => ("survey.close", json!({ "id": id })),
    })
}

pub fn campaign(c: CampaignCmd) -> anyhow::Result<Op> {
    let path = |p: Option<std::path::PathBuf>| p.map(|p| p.display().to_string());
    Ok(match c {
        CampaignCmd::Check { file } => ("campaign.check", named_text(&file)?),
        CampaignCmd::Launch { file, org, by } => {
            let mut args = named_text(&file)?;
            args["org"] = json!(org);
            args["by"] = json!(by);
            ("campaign.launch", args)
        }
        CampaignCmd::List => ("campaign.list", json!({})),
        CampaignCmd::Status { id, org, csv, xlsx, forms_csv, forms_xlsx } => {
            let args = json!({
                "id": id, "org": org, "csv": path(csv), "xlsx": path(xlsx),
                "forms_csv": path(forms_csv), "forms_xlsx": path(forms_xlsx),
            });
            ("campaign.status", args)
        }
        CampaignCmd::Mark { id, step, orgs, undo } => {
            ("campaign.mark", json!({ "id": id, "step": step, "orgs": orgs, "undo": undo }))
        }
    })
}

/// A definition file as `{name, text}`, with the catalogue's sentences when unreadable.
fn named_text(path: &Path) -> anyhow::Result<Value> {
    Ok(json!({ "name": path.display().to_string(), "text": read_text(path)? }))
}
