//! The org mailbox on the web console's overview: each of the viewer's
//! orgs' unread letters and reports (read them with `/inbox` and `/read`
//! in chat, where answering threads them).

use askama::Template;

use super::letters::{self, party_name};
use crate::error::{Error, Result};
use crate::registry::Ctx;
use crate::tree::reads::Read;
use crate::web::page::Chrome;
use crate::web::Viewer;

pub struct Unread {
    pub org: String,
    pub count: i64,
    /// (id, from, title, at)
    pub letters: Vec<(u64, String, String, u64)>,
}

#[derive(Template)]
#[template(path = "features/mailbox/web/panel.html")]
struct Panel {
    c: Chrome,
    orgs: Vec<Unread>,
}

pub fn panel(cx: &Ctx, v: &Viewer) -> Result<Option<String>> {
    let mut orgs = Vec::new();
    for o in &v.orgs {
        if cx.tree.check_read(v.person_id(), Read::OrgMessages, o).is_err() {
            continue;
        }
        let (list, count) = letters::unread(cx.store(), o.id, 5)?;
        let letters = list
            .into_iter()
            .map(|l| Ok((l.id, party_name(&cx.tree, l.from)?, l.title, l.at)))
            .collect::<Result<Vec<_>>>()?;
        orgs.push(Unread { org: o.name.clone(), count: count as i64, letters });
    }
    if orgs.is_empty() {
        return Ok(None);
    }
    let c = Chrome { lang: v.lang, ..Chrome::default() };
    Ok(Some(Panel { c, orgs }.render().map_err(|e| Error::invalid(e.to_string()))?))
}
