//! Letters as search documents: seen by the officials of the sending and
//! the receiving org (and those above them), nobody else.

use super::letters::{self, Letter};
use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Event, Record};
use crate::registry::{SearchDoc, SearchOp};

fn doc(cx: &Ctx, l: &Letter) -> Result<SearchDoc> {
    let mut orgs = Vec::new();
    for party in [l.from, l.to] {
        // An org deleted since: its side no longer sees the letter.
        orgs.extend(cx.tree.get(party.org())?.map(|o| o.path));
    }
    let body = if l.file_names.is_empty() { l.body.clone() } else { format!("{}\n{}", l.body, l.file_names.join(" ")) };
    Ok(SearchDoc {
        id: format!("letter:{}", l.id),
        kind: "letter".into(),
        title: l.title.clone(),
        body,
        orgs,
        at: l.at,
        ..SearchDoc::default()
    })
}

pub(super) fn docs(cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
    let mut out = Vec::new();
    for r in events {
        if let Event::LetterSent { letter, .. } = r.event {
            if let Some(l) = letters::get(cx.store(), letter)? {
                out.push(SearchOp::Put(doc(cx, &l)?));
            }
        }
    }
    let moved = crate::registry::moved_orgs(cx, events)?;
    // Letters of moved orgs again, under their new paths.
    if !moved.is_empty() {
        letters::each(cx.store(), |l| {
            if moved.contains(&l.from.org()) || moved.contains(&l.to.org()) {
                out.push(SearchOp::Put(doc(cx, &l)?));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

pub(super) fn all(cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
    letters::each(cx.store(), |l| put(doc(cx, &l)?))
}
