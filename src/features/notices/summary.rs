//! What follows a notice by itself: the author's summary when its fan-out
//! ends (a subscriber of the event log) and the reminder shortly before its
//! acknowledgement deadline (a scheduled job).

use treecast_wire::Outbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Event, Record};
use crate::notice::fanout::DeliveryState;
use crate::notice::NoticeKind;
use crate::outbox::queue::{self, Queued};
use crate::registry::Subscriber;
use crate::schedule::Job;
use crate::store::Writes;

/// Tells each notice's author how its fan-out ended.
pub(super) struct AuthorSummary;

impl Subscriber for AuthorSummary {
    fn name(&self) -> &'static str {
        "notices.summary"
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut w = Writes::default();
        for r in events {
            if let Event::FanoutFinished { notice } = r.event {
                if let Some(q) = summary(cx, notice)? {
                    queue::put(cx.store(), &mut w, &q)?;
                }
            }
        }
        Ok(w)
    }
}

/// Keeps, for each notice posted, the targeted orgs without a channel in its
/// audience (`Tree::unreached`, up to the notice's horizon): the walk of its
/// whole target runs here, apart, instead of in the official's post.
pub(super) struct Unreached;

impl Subscriber for Unreached {
    fn name(&self) -> &'static str {
        "notices.unreached"
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut w = Writes::default();
        for r in events {
            let Event::NoticePosted { notice, .. } = r.event else { continue };
            // Kept once: a notice from before this subscriber keeps what it had.
            if cx.tree.unreached_kept(notice)? {
                continue;
            }
            let (Some(n), Some(horizon)) = (cx.tree.notice(notice)?, cx.store().horizon(notice)?) else { continue };
            let u = cx.tree.unreached(&n.target, horizon)?;
            cx.tree.keep_unreached(notice, &u, &mut w);
        }
        Ok(w)
    }

    fn apart(&self) -> bool {
        true
    }
}

/// The author's end-of-fan-out summary, with up to 20 failed chats.
fn summary(cx: &Ctx, id: u64) -> Result<Option<Queued>> {
    let tree = &cx.tree;
    let Some(notice) = tree.notice(id)? else { return Ok(None) };
    let Some(author) = tree.person(notice.author)? else { return Ok(None) };
    let Some(to) = author.private_address() else { return Ok(None) };
    let c = tree.store.counts(notice.id, notice.issuer)?;
    let mut text = msg(
        Msg::FanoutSummary,
        &[("id", &notice.id), ("title", &notice.title), ("delivered", &c.delivered), ("failed", &c.failed)],
    );
    let failed = tree.store.failed_channels(notice.id)?;
    for ch in failed.iter().take(20) {
        if let (Some(row), Some(channel)) = (tree.store.delivery(notice.id, *ch)?, tree.channel(*ch)?) {
            let org = tree.require_id(row.org)?;
            if let DeliveryState::Failed { reason } = row.state {
                text.push_str(&format!("\n - {} ({}): {reason}", org.name, channel.address));
            }
        }
    }
    if failed.len() > 20 {
        text.push_str(&format!("\n {}", msg(Msg::AndMore, &[("n", &(failed.len() - 20))])));
    }
    let mut out = Outbound::reply(format!("n{}-summary", notice.id), to, text);
    out.title = Some(msg(Msg::FanoutSummaryTitle, &[("title", &notice.title)]).into());
    Ok(Some(Queued::new(out)))
}

/// The automatic reminder of notice `payload` before its deadline, to the
/// orgs that have not acknowledged; skipped once the deadline has passed.
pub(super) fn auto_remind(cx: &Ctx, job: &Job) -> Result<Writes> {
    let mut w = Writes::default();
    let id = crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?;
    let Some(mut n) = cx.tree.notice(id)? else { return Ok(w) };
    let open = n.ack_deadline.is_some_and(|d| cx.now() < d);
    if n.ack_required && open && !n.auto_reminded && matches!(n.kind, NoticeKind::Notice) {
        cx.tree.reminder_writes(&n, n.author, &mut w)?;
        n.auto_reminded = true;
        cx.tree.notice_update_writes(&n, &mut w);
    }
    Ok(w)
}
