//! The operator's org tree, channels and people: `treecast tree|org|person`
//! on the command line and `/api/v1/tree|org|person/...` in the admin API.
//! No chat commands: officials use /tree, /invite and /bind (`account`).

mod channels;
mod migrate;
pub mod ops;
mod web;

use serde::Deserialize;

use crate::admin::{args, OutFile, Reply};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::registry::{Declaration, Feature, SearchDoc, SearchKind, SearchOp};
use crate::tree::{export, generate, import};

pub struct Orgs;

const OPS: &[&str] = &[
    "tree.import",
    "tree.export",
    "tree.generate",
    "tree.stats",
    "tree.show",
    "tree.move",
    "tree.rename",
    "tree.delete",
    "org.bind_console",
    "org.invite",
    "org.channels",
    "org.bind",
    "org.unbind",
    "org.bind_list",
    "org.members",
    "org.import_channels",
    "person.add",
];

/// A CSV given as text; `name` is how it was called (its path), for messages.
#[derive(Deserialize)]
struct Import {
    name: String,
    csv: String,
}

/// Where the operator wants the exported CSV.
#[derive(Deserialize)]
struct Export {
    file: String,
}

#[derive(Deserialize)]
struct Generate {
    /// The school list's name and text (None: the built-in list).
    schools: Option<Import>,
    branches: usize,
    /// Where the operator wants the CSV instead of importing it.
    csv: Option<String>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

/// One org's code, or with `under` and `level` every such org's.
#[derive(Deserialize)]
struct Invite {
    code: Option<String>,
    under: Option<String>,
    level: Option<String>,
    csv: Option<String>,
}

#[derive(Deserialize)]
struct Channels {
    under: Option<String>,
    level: Option<String>,
    #[serde(default)]
    unbound: bool,
}

#[derive(Deserialize)]
struct Bind {
    code: String,
    chat: String,
}

#[derive(Deserialize)]
struct Chat {
    chat: String,
}

#[derive(Deserialize)]
struct Move {
    code: String,
    parent: String,
}

#[derive(Deserialize)]
struct Rename {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct Delete {
    code: String,
    #[serde(default)]
    cascade: bool,
}

#[derive(Deserialize)]
struct Level {
    level: String,
}

#[derive(Deserialize)]
struct BindList {
    code: String,
    list: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct Members {
    code: String,
    list: String,
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

impl Feature for Orgs {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "orgs",
            admin: OPS,
            search_kinds: &[SearchKind { kind: "org", label: "组织 org", aliases: &[] }],
            web_nav: &[("/tree", "组织树", "Tree")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    /// Every org, public, by name, code and pinyin initials (orgs change by
    /// import, which is not in the event log: `search rebuild` picks them up).
    fn search_docs(&self, cx: &Ctx, events: &[crate::events::Record]) -> Result<Vec<SearchOp>> {
        use crate::events::Event;
        let mut out = Vec::new();
        for r in events {
            match &r.event {
                Event::OrgsChanged { all: true, .. } => self.search_all(cx, &mut |d| {
                    out.push(SearchOp::Put(d));
                    Ok(())
                })?,
                Event::OrgsChanged { orgs, all: false } => {
                    for id in orgs {
                        // As it stands now: gone since, or an import rolled back.
                        let op = match cx.tree.get(*id)? {
                            Some(o) => SearchOp::Put(org_doc(cx, o)?),
                            None => SearchOp::Remove(format!("org:{id}")),
                        };
                        out.push(op);
                    }
                }
                Event::OrgsMoved { orgs } => {
                    for id in orgs {
                        let Some(top) = cx.tree.get(*id)? else { continue };
                        for o in cx.tree.subtree(&top) {
                            out.push(SearchOp::Put(org_doc(cx, o?)?));
                        }
                    }
                }
                Event::OrgsRemoved { orgs } => out.extend(orgs.iter().map(|id| SearchOp::Remove(format!("org:{id}")))),
                _ => {}
            }
        }
        Ok(out)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        for root in cx.tree.roots()? {
            for o in cx.tree.subtree(&root) {
                put(org_doc(cx, o?)?)?;
            }
        }
        Ok(())
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
        let tree = &cx.tree;
        let text = match op {
            "tree.import" => {
                let i: Import = args(op, a)?;
                let pb = crate::progress::progress_bar(0, "importing");
                let report = import::import_string(tree, &i.name, i.csv, pb.as_ref())?;
                pb.inspect(|pb| pb.finish_and_clear());
                tree.store.flush()?;
                format!("{}: {report}", i.name)
            }
            "tree.export" => {
                let file = args::<Export>(op, a)?.file;
                let mut bytes = Vec::new();
                let n = export::export(tree, &mut bytes)?;
                let text = msg(Msg::TreeExported, &[("orgs", &n), ("path", &file)]);
                return Ok(Reply { text, files: vec![OutFile { path: file, bytes }] });
            }
            "tree.generate" => return generate_tree(cx, args(op, a)?),
            "tree.stats" => ops::tree_stats(tree)?,
            "tree.show" => ops::tree_show(tree, &args::<Code>(op, a)?.code)?,
            "tree.move" => {
                let m: Move = args(op, a)?;
                let shown = ops::tree_show(tree, &tree.move_org(&m.code, &m.parent)?.code)?;
                msg(Msg::OrgMoved, &[("org", &shown)])
            }
            "tree.rename" => {
                let r: Rename = args(op, a)?;
                msg(Msg::OrgRenamed, &[("name", &tree.rename(&r.code, &r.name)?.name)])
            }
            "tree.delete" => {
                let d: Delete = args(op, a)?;
                msg(Msg::OrgsDeleted, &[("n", &tree.delete(&d.code, d.cascade)?)])
            }
            "org.bind_console" => ops::org_bind_console(tree, &args::<Level>(op, a)?.level)?,
            "org.invite" => return invite(cx, args(op, a)?),
            "org.channels" => {
                let c: Channels = args(op, a)?;
                channels::list(cx, c.under.as_deref(), c.level.as_deref(), c.unbound)?
            }
            "org.bind" => {
                let b: Bind = args(op, a)?;
                channels::bind(cx, &b.code, &b.chat)?
            }
            "org.unbind" => channels::unbind(cx, &args::<Chat>(op, a)?.chat)?,
            "org.bind_list" => {
                let b: BindList = args(op, a)?;
                ops::org_bind_list(tree, &b.code, &b.list, &b.members)?
            }
            "org.members" => {
                let m: Members = args(op, a)?;
                ops::org_list_members(tree, &m.code, &m.list, &m.add, &m.remove)?
            }
            "person.add" => ops::person_add(tree, &args::<ops::NewPerson>(op, a)?)?,
            "org.import_channels" => {
                let i: Import = args(op, a)?;
                migrate::import_channels(cx, &i.name, &i.csv)?
            }
            _ => return Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
        };
        Ok(Reply::text(text))
    }
}

/// One org's bind code, or (`under` + `level`) one for every such org.
fn invite(cx: &Ctx, i: Invite) -> Result<Reply> {
    match (i.code, i.under, i.level) {
        (Some(code), None, None) if i.csv.is_none() => Ok(Reply::text(ops::org_invite(&cx.tree, &cx.config, &code)?)),
        (None, Some(under), Some(level)) => channels::invite_many(cx, &under, &level, i.csv),
        _ => Err(Error::invalid(Msg::InviteWhich.text())),
    }
}

/// The national tree from a school list: imported, or written as CSV.
fn generate_tree(cx: &Ctx, g: Generate) -> Result<Reply> {
    let (list, source) = match &g.schools {
        Some(s) => (generate::parse_schools(&s.csv, std::path::Path::new(&s.name))?, s.name.clone()),
        None => (generate::schools(None)?, "universities.csv".to_owned()),
    };
    let csv = generate::national_csv(&list, g.branches);
    if let Some(path) = g.csv {
        let text = msg(Msg::GeneratedCsv, &[("path", &path), ("schools", &list.len()), ("branches", &g.branches)]);
        return Ok(Reply { text, files: vec![OutFile { path, bytes: csv.into_bytes() }] });
    }
    let pb = crate::progress::progress_bar(0, "generating");
    let report = import::import_string(&cx.tree, &source, csv, pb.as_ref())?;
    pb.inspect(|pb| pb.finish_and_clear());
    cx.tree.store.flush()?;
    let text = msg(Msg::GeneratedTree, &[("schools", &list.len()), ("branches", &g.branches), ("report", &report)]);
    Ok(Reply::text(text))
}

#[cfg(test)]
mod tests;

/// An org as a search document: its name (and pinyin initials), code,
/// level and the names above it; public, under its own path.
fn org_doc(cx: &Ctx, o: crate::tree::Org) -> Result<SearchDoc> {
    let level = cx.tree.levels.get(o.level).map_or(String::new(), |l| l.name.clone());
    let chain: Vec<String> = cx.tree.ancestors(&o)?.into_iter().map(|a| a.name).collect();
    Ok(SearchDoc {
        id: format!("org:{}", o.id),
        kind: "org".into(),
        title: o.name.clone(),
        body: format!("{} {level} {}", o.code, chain.join(" ")),
        initials_of: Some(o.name),
        orgs: vec![o.path],
        public: true,
        ..Default::default()
    })
}
