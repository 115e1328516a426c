//! The micro-interviews' moderation queue (微访谈待审) in the web console:
//! for each interview the viewer moderates (officials of the host org and
//! above), the questions waiting, each with approve and reject buttons that
//! do what `/interview approve|reject` does, the asker told the same way.

use askama::Template;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::commands::decide;
use super::moderates;
use super::store::{self, State};
use crate::catalogue::Msg;
use crate::error::Error;
use crate::events::{Act, Actor, Event};
use crate::store::Writes;
use crate::web::page::{render, Chrome};
use crate::web::{after_action, Checked, Viewer, Web};

pub fn routes() -> Router<Web> {
    Router::new().route("/interviews", get(queue)).route("/interviews/question/{id}/{verdict}", post(judge))
}

pub struct Waiting {
    pub id: u64,
    pub from: String,
    pub asker: String,
    pub text: String,
    pub at: u64,
}

pub struct Moderated {
    pub id: u64,
    pub title: String,
    pub org: String,
    pub guest: String,
    pub closes: u64,
    pub waiting: Vec<Waiting>,
}

#[derive(Template)]
#[template(path = "features/interviews/web/queue.html")]
struct Queue {
    c: Chrome,
    interviews: Vec<Moderated>,
}

#[derive(serde::Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: String,
}

async fn queue(AxState(web): AxState<Web>, v: Viewer, Query(d): Query<Done>) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let p = v.person.clone().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        let mut interviews = Vec::new();
        let mut audit = Writes::default();
        store::each_interview(cx.store(), |iv| {
            if iv.closed || !moderates(cx, &p, &iv)? {
                return Ok(());
            }
            let org = cx.tree.require_id(iv.org)?;
            let mut waiting = Vec::new();
            for q in store::questions(cx.store(), iv.id)?.into_iter().filter(|q| q.state == State::Submitted) {
                let from = cx.tree.get(q.from)?.map(|o| o.name).unwrap_or_default();
                waiting.push(Waiting { id: q.id, from, asker: q.asker_name, text: q.text, at: q.at });
            }
            if iv.hide_askers && !waiting.is_empty() {
                // The moderators see the hidden names: the audit log keeps that they did, as in chat.
                let act = Act::ReadPersonal { what: format!("interview {} askers", iv.id), rows: waiting.len() as u64 };
                crate::events::emit(
                    &mut audit,
                    cx.clock.now_ms(),
                    &Event::Acted { org: org.id, by: Actor::Person(p.id), act },
                );
            }
            interviews.push(Moderated {
                id: iv.id,
                title: iv.title,
                org: org.name,
                guest: iv.guest_name,
                closes: iv.closes,
                waiting,
            });
            Ok(())
        })?;
        cx.store().commit(&audit)?;
        let mut c = v.chrome(web, "/interviews");
        c.flash = match d.done.as_str() {
            "approved" => v.lang.sentence(Msg::WebQuestionApproved.text()),
            "rejected" => v.lang.sentence(Msg::WebQuestionRejected.text()),
            _ => String::new(),
        };
        Ok(render(&Queue { c, interviews }))
    })
    .await
}

#[derive(serde::Deserialize)]
struct Verdict {
    #[serde(default)]
    reason: String,
}

async fn judge(
    AxState(web): AxState<Web>,
    headers: HeaderMap,
    Path((id, verdict)): Path<(u64, String)>,
    Checked(v, f): Checked<Verdict>,
) -> Response {
    web.blocking(v.lang, move |web| {
        let cx = &web.ctx;
        let p = v.person.clone().ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))?;
        let approve = match verdict.as_str() {
            "approve" => true,
            "reject" => false,
            _ => return Err(Error::not_found(Msg::WebNoSuchPage.text())),
        };
        let (_, told) = decide(cx, &p, id, approve, f.reason.trim())?;
        if let Some(q) = told {
            cx.store().enqueue(vec![q])?;
            cx.waker.wake();
        }
        let done = if approve { "approved" } else { "rejected" };
        Ok(after_action(&headers, &format!("/interviews?done={done}")))
    })
    .await
}
