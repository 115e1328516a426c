//! Posting a notice from the web console: the form (with files), a preview
//! of how each platform shows it, and the post itself, as in chat.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::notice::{Draft, Notice};
use crate::tree::auth::Action;
use crate::tree::Org;
use crate::web::page::{render, Chrome};
use crate::web::{after_action, Viewer, Web};

/// What the posting form sends.
#[derive(Debug, Default)]
struct PostForm {
    csrf: String,
    org: String,
    title: String,
    body: String,
    levels: Vec<String>,
    ack: bool,
    deadline: String,
    files: Vec<treecast_wire::Attachment>,
}

async fn read_form(mut mp: Multipart, limit: u64) -> Result<PostForm> {
    let mut f = PostForm::default();
    let bad = |e: &dyn std::fmt::Display| Error::invalid(msg(Msg::WebBadForm, &[("error", e)]));
    while let Some(field) = mp.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "files" {
            let file = field.file_name().unwrap_or("").to_owned();
            let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let data = field.bytes().await.map_err(|e| bad(&e))?;
            if file.is_empty() && data.is_empty() {
                continue;
            }
            if data.len() as u64 > limit {
                return Err(Error::invalid(msg(
                    Msg::AttachmentsTooBig,
                    &[("size", &(data.len() / 1024)), ("limit", &(limit / 1024))],
                )));
            }
            f.files.push(treecast_wire::Attachment { name: file, content_type: mime, data: data.to_vec() });
            continue;
        }
        let text = field.text().await.map_err(|e| bad(&e))?;
        match name.as_str() {
            "csrf" => f.csrf = text,
            "org" => f.org = text,
            "title" => f.title = text.trim().to_owned(),
            "body" => f.body = text,
            "levels" => f.levels.push(text),
            "ack" => f.ack = true,
            "deadline" => f.deadline = text,
            _ => {}
        }
    }
    Ok(f)
}

/// The form as a draft, checked as chat checks one.
fn draft(cx: &Ctx, v: &Viewer, f: &PostForm) -> Result<(Org, Draft)> {
    let org = v.org(&cx.tree, Some(&f.org))?;
    if let Some(p) = v.person_id() {
        cx.tree.check(p, Action::PostNotice, &org)?;
    } else {
        return Err(Error::denied(Msg::NotAnOfficial.text()));
    }
    if f.title.is_empty() {
        return Err(Error::invalid(Msg::NoticeNeedsTitle.text()));
    }
    let ack_deadline = match f.deadline.trim() {
        "" => None,
        d => Some(crate::notice::parse_deadline(d)?),
    };
    let d = Draft {
        issuer_code: org.code.clone(),
        title: f.title.clone(),
        body: f.body.replace("\r\n", "\n"),
        attachments: f.files.clone(),
        levels: f.levels.clone(),
        ack_required: f.ack,
        ack_deadline,
        ..Draft::default()
    };
    Ok((org, d))
}

#[derive(Template)]
#[template(path = "features/notices/web/post.html")]
struct PostPage {
    c: Chrome,
    orgs: Vec<(String, String)>,
    /// (key, name) of each level below the first org.
    levels: Vec<(String, String)>,
}

pub(super) async fn form(State(web): State<Web>, v: Viewer) -> Response {
    web.blocking(v.lang, move |web| {
        let tree = &web.ctx.tree;
        let first = v.orgs.first().map(|o| o.level).unwrap_or(0);
        let levels =
            tree.levels.iter().filter(|(i, _)| *i > first).map(|(_, l)| (l.key.clone(), l.name.clone())).collect();
        let orgs = v.orgs.iter().map(|o| (o.code.clone(), o.name.clone())).collect();
        Ok(render(&PostPage { c: v.chrome(web, "/post"), orgs, levels }))
    })
    .await
}

#[derive(Template)]
#[template(path = "features/notices/web/preview.html")]
struct Preview {
    c: Chrome,
    org: String,
    title: String,
    body: String,
    footer: String,
    ack: bool,
    files: Vec<String>,
    channels: i64,
    error: String,
}

pub(super) async fn preview(State(web): State<Web>, v: Viewer, mp: Multipart) -> Response {
    let limit = web.ctx.config.max_attachment_bytes;
    let form = read_form(mp, limit).await;
    web.blocking(v.lang, move |web| {
        let c = v.chrome(web, "/post");
        let f = form?;
        v.check_csrf(&f.csrf)?;
        let p = match draft(&web.ctx, &v, &f) {
            Ok((org, d)) => {
                let target = web.ctx.tree.resolve_target(&org, &d)?;
                let (channels, _) = web.ctx.tree.expected(&target, &org)?;
                Preview {
                    c,
                    org: org.name,
                    title: d.title,
                    body: d.body,
                    footer: web.ctx.rules().footer.to_string(),
                    ack: d.ack_required,
                    files: d.attachments.iter().map(|a| a.name.clone()).collect(),
                    channels,
                    error: String::new(),
                }
            }
            Err(e) => Preview {
                error: v.lang.sentence(&e.to_string()),
                c,
                org: String::new(),
                title: String::new(),
                body: String::new(),
                footer: String::new(),
                ack: false,
                files: Vec::new(),
                channels: 0,
            },
        };
        Ok(render(&p))
    })
    .await
}

pub(super) async fn post_notice(State(web): State<Web>, headers: HeaderMap, v: Viewer, mp: Multipart) -> Response {
    let limit = web.ctx.config.max_attachment_bytes;
    let form = read_form(mp, limit).await;
    web.blocking(v.lang, move |web| {
        let f = form?;
        v.check_csrf(&f.csrf)?;
        let (_, d) = draft(&web.ctx, &v, &f)?;
        let p = v.person_id().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        let n: Notice = web.ctx.tree.post(p, d, &web.ctx.rules())?;
        web.ctx.waker.wake();
        tracing::info!(target: "treecast::web", person = p, notice = n.id, "notice posted from the web console");
        Ok(after_action(&headers, &format!("/notice/{}?done=posted", n.id)))
    })
    .await
}
