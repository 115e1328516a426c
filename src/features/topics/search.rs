//! Topics and their posts as search documents: seen by the topic's whole
//! subtree, as `/topic` shows them; a forgotten person's posts are put again
//! under the name they are shown with now.

use super::store::{self, Post, Topic};
use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Event, Record};
use crate::registry::{SearchDoc, SearchOp};

pub(super) fn docs(cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
    let mut out = Vec::new();
    for r in events {
        match r.event {
            Event::TopicOpened { topic, .. } => {
                if let Some(t) = store::topic(cx.store(), topic)? {
                    out.extend(topic_doc(cx, &t)?.map(SearchOp::Put));
                }
            }
            Event::TopicPosted { topic, post, .. } => {
                let t = store::topic(cx.store(), topic)?;
                if let (Some(t), Some(p)) = (t, store::post(cx.store(), topic, post)?) {
                    out.extend(post_doc(cx, &t, &p)?.map(SearchOp::Put));
                }
            }
            // Their posts again, signed as forgotten (the index held their name).
            Event::PersonForgotten { person } => {
                let gone = format!("gone{person}");
                store::each_topic(cx.store(), |t| {
                    for p in store::posts(cx.store(), t.id)?.into_iter().filter(|p| p.who == gone) {
                        out.extend(post_doc(cx, &t, &p)?.map(SearchOp::Put));
                    }
                    Ok(())
                })?;
            }
            _ => {}
        }
    }
    Ok(out)
}

pub(super) fn all(cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
    store::each_topic(cx.store(), |t| {
        if let Some(d) = topic_doc(cx, &t)? {
            put(d)?;
        }
        for p in store::posts(cx.store(), t.id)? {
            if let Some(d) = post_doc(cx, &t, &p)? {
                put(d)?;
            }
        }
        Ok(())
    })
}

/// A topic for search: seen by everyone in its subtree.
fn topic_doc(cx: &Ctx, t: &Topic) -> Result<Option<SearchDoc>> {
    let Some(host) = cx.tree.get(t.org)? else { return Ok(None) };
    Ok(Some(SearchDoc {
        id: format!("topic:{}", t.id),
        kind: "topic".into(),
        title: format!("#{}#", t.tag),
        body: t.about.clone(),
        orgs: vec![host.path],
        reach: vec![t.org],
        at: t.opened,
        ..SearchDoc::default()
    }))
}

/// A post for search: seen by the topic's whole subtree, as `/topic` shows it.
fn post_doc(cx: &Ctx, t: &Topic, p: &Post) -> Result<Option<SearchDoc>> {
    let Some(host) = cx.tree.get(t.org)? else { return Ok(None) };
    Ok(Some(SearchDoc {
        id: format!("topic:{}:{}", t.id, p.id),
        kind: "topic".into(),
        title: format!("#{}# {}", t.tag, p.name),
        body: p.text.clone(),
        orgs: vec![host.path],
        reach: vec![t.org],
        at: p.at,
        ..SearchDoc::default()
    }))
}
