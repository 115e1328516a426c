//! A person's part in notices, for `/mydata` and `/forget`: the notices
//! they posted, the acknowledgements they gave for an org (the org's
//! acknowledgement stands; their name goes) and the replies they sent
//! (the thread stays with its author; who replied goes).

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::Result;
use crate::store::Writes;
use crate::tree::people::{Person, Role};

pub fn held(cx: &Ctx, p: &Person) -> Result<Vec<String>> {
    let mut posted = 0;
    cx.store().each_notice(|n| {
        posted += usize::from(n.author == p.id);
        Ok(())
    })?;
    Ok(if posted == 0 { Vec::new() } else { vec![msg(Msg::MyDataNotices, &[("n", &posted)])] })
}

fn replied_as(p: &Person, platform: treecast_wire::Platform, user: &str) -> bool {
    p.identities.iter().any(|i| i.platform == platform && i.user.eq_ignore_ascii_case(user))
}

pub fn forget(cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
    let gone = Msg::ForgottenAuthor.text();
    let roles = cx.tree.roles_of(p.id)?;
    // A member acknowledges for their own branch only: one lookup a notice.
    // An official may have acknowledged for any org below theirs: every row.
    let official = roles.iter().any(|(_, r)| *r == Role::Official);
    let branches: Vec<u32> = roles.iter().map(|(o, _)| o.id).collect();
    let store = cx.store();
    store.each_notice(|n| {
        let rows: Vec<(u32, crate::notice::ack::AckRow)> = if official {
            store.acks(n.id).collect::<Result<_>>()?
        } else {
            let mut rows = Vec::new();
            for org in &branches {
                rows.extend(store.ack(n.id, *org)?.map(|r| (*org, r)));
            }
            rows
        };
        for (org, mut row) in rows {
            if row.person == Some(p.id) {
                row.person = None;
                row.by = gone.to_owned();
                store.put_ack_row(w, n.id, org, &row);
            }
        }
        Ok(())
    })?;
    store.each_thread(|mut t| {
        if replied_as(p, t.replier.platform, &t.replier.user) {
            t.replier.user.clear();
            t.replier.name = gone.to_owned();
            w.put_thread(&t);
        }
        Ok(())
    })
}
