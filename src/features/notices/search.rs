//! Notices as search documents: title, body and attachment names, owned by
//! the issuer (its officials and those above see it) and reaching the
//! target's roots (everyone at or below them may see it).

use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Event, Record};
use crate::notice::{Notice, NoticeKind};
use crate::registry::{SearchDoc, SearchOp};

fn doc(cx: &Ctx, n: &Notice) -> Result<SearchDoc> {
    let names: Vec<&str> = n.attachments.iter().map(|a| a.name.as_str()).collect();
    let body = if names.is_empty() { n.body.clone() } else { format!("{}\n{}", n.body, names.join(" ")) };
    Ok(SearchDoc {
        id: format!("notice:{}", n.id),
        kind: "notice".into(),
        title: n.title.clone(),
        body,
        // An issuer deleted since: no subtree sees it (operators still do).
        orgs: cx.tree.get(n.issuer)?.map(|o| o.path).into_iter().collect(),
        reach: n.target.roots.clone(),
        at: n.created,
        ..SearchDoc::default()
    })
}

pub(super) fn docs(cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
    let mut out = Vec::new();
    for r in events {
        if let Event::NoticePosted { notice, reminder_of: None, .. } = r.event {
            if let Some(n) = cx.tree.notice(notice)?.filter(|n| matches!(n.kind, NoticeKind::Notice)) {
                out.push(SearchOp::Put(doc(cx, &n)?));
            }
        }
    }
    let moved = crate::registry::moved_orgs(cx, events)?;
    // Notices of moved orgs again, under their new paths (a move is rare:
    // one pass over the notices).
    if !moved.is_empty() {
        cx.store().each_notice(|n| {
            if moved.contains(&n.issuer) && matches!(n.kind, NoticeKind::Notice) {
                out.push(SearchOp::Put(doc(cx, &n)?));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

pub(super) fn all(cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
    cx.store().each_notice(|n| if matches!(n.kind, NoticeKind::Notice) { put(doc(cx, &n)?) } else { Ok(()) })
}
