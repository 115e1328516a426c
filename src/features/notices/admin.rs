//! `treecast notice post|status` and `/api/v1/notice/...`.

use serde::Deserialize;

use crate::admin::{args, Attached, Reply};
use crate::catalogue::{msg, Msg};
use crate::cli::{self, PostArgs};
use crate::context::Ctx;
use crate::error::{Error, Result};

pub const OPS: &[&str] = &["notice.post", "notice.status", "notice.remind", "notice.list"];

#[derive(Deserialize)]
struct Post {
    org: String,
    title: String,
    body: String,
    author: String,
    #[serde(default)]
    levels: Vec<String>,
    #[serde(default)]
    only: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    no_ack: bool,
    deadline: Option<String>,
    #[serde(default)]
    attachments: Vec<Attached>,
}

#[derive(Deserialize)]
struct Status {
    id: u64,
    org: Option<String>,
}

#[derive(Deserialize)]
struct Remind {
    id: u64,
    /// The reminding official, as platform:user.
    by: String,
}

#[derive(Deserialize)]
struct List {
    #[serde(default = "twenty")]
    last: usize,
}

fn twenty() -> usize {
    20
}

pub fn run(cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
    match op {
        "notice.post" => {
            let p: Post = args(op, a)?;
            let attachments = p.attachments.into_iter().map(Attached::into_attachment).collect();
            let post = PostArgs {
                org: p.org,
                title: p.title,
                body: p.body,
                author: p.author,
                levels: p.levels,
                only: p.only,
                exclude: p.exclude,
                no_ack: p.no_ack,
                deadline: p.deadline,
                attachments,
            };
            let text = cli::notice_post(&cx.tree, &cx.config, post)?;
            cx.waker.wake();
            Ok(Reply::text(text))
        }
        "notice.status" => {
            let s: Status = args(op, a)?;
            Ok(Reply::text(cli::notice_status(&cx.tree, s.id, s.org.as_deref())?))
        }
        "notice.remind" => {
            let r: Remind = args(op, a)?;
            let by = cli::person_by(&cx.tree, &r.by)?;
            let n = cx.tree.remind(by.id, r.id)?;
            cx.tree.store.flush()?;
            cx.waker.wake();
            Ok(Reply::text(msg(Msg::ReminderQueued, &[("reminder", &n.id), ("id", &r.id)])))
        }
        "notice.list" => list(cx, args::<List>(op, a)?.last),
        _ => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    }
}

/// The last notices, newest first: id, title, issuer, when, delivery and acks.
fn list(cx: &Ctx, last: usize) -> Result<Reply> {
    let tree = &cx.tree;
    let mut out = Vec::new();
    for n in tree.store.latest_notices(last)? {
        let issuer = tree.require_id(n.issuer)?;
        let st = tree.status(None, n.id, None, 0)?;
        let top = &st.rows[0];
        let what = match n.kind {
            crate::notice::NoticeKind::Reminder { of } => msg(Msg::NoticeListReminder, &[("of", &of)]),
            crate::notice::NoticeKind::Notice => String::new(),
        };
        out.push(msg(
            Msg::NoticeListRow,
            &[
                ("id", &n.id),
                ("title", &n.title),
                ("what", &what),
                ("code", &issuer.code),
                ("name", &issuer.name),
                ("at", &crate::clock::show(n.created)),
                ("delivered", &top.delivered),
                ("channels", &top.channels),
                ("acked", &top.acked),
                ("orgs", &top.orgs),
            ],
        ));
    }
    Ok(Reply::text(if out.is_empty() { Msg::NoNoticesYet.text().to_owned() } else { out.join("\n") }))
}
