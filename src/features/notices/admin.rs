//! `treecast notice post|status` and `/api/v1/notice/...`.

use serde::Deserialize;

use crate::admin::{args, Reply};
use crate::catalogue::{msg, Msg};
use crate::cli::{self, PostArgs};
use crate::error::{Error, Result};
use crate::registry::Ctx;

pub const OPS: &[&str] = &["notice.post", "notice.status"];

/// An attached file as the operator gave it: its name and bytes.
#[derive(Deserialize)]
struct Attached {
    name: String,
    #[serde(with = "crate::admin::base64_bytes")]
    bytes: Vec<u8>,
}

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

pub fn run(cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
    match op {
        "notice.post" => {
            let p: Post = args(op, a)?;
            let attachments = p
                .attachments
                .into_iter()
                .map(|f| treecast_wire::Attachment {
                    name: f.name,
                    content_type: "application/octet-stream".into(),
                    data: f.bytes,
                })
                .collect();
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
        _ => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    }
}
