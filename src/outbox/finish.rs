//! The worker's outcomes: each finished delivery recorded (sent, moved,
//! retried, failed), runs ended, and resolved state committed in groups.

use std::sync::atomic::Ordering;
use std::time::Instant;

use treecast_wire::{Delivered, DeliveryError, Outbound};

use super::limits::backoff;
use super::queue::Queued;
use super::run::{self, Job, JobKind};
use super::{Done, Worker, MAX_TRIES};
use crate::error::Result;
use crate::msgref::MsgRef;

impl Worker {
    pub(super) fn finish(&mut self, done: Done) -> Result<()> {
        let p = done.job.platform;
        if let Some(n) = self.in_flight_per.get_mut(&p) {
            *n = n.saturating_sub(1);
        }
        let Done { job, result } = done;
        match job.kind {
            JobKind::Notice { .. } => self.finish_notice(job, result),
            JobKind::Private { .. } => self.finish_private(job, result),
        }
    }

    pub(super) fn finish_notice(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let JobKind::Notice { notice, ref channel, tries, .. } = job.kind else { unreachable!() };
        let Some(run) = self.runs.get_mut(&notice) else { return Ok(()) };
        match result {
            Ok(d) => {
                self.ob.stats.delivered.fetch_add(1, Ordering::Relaxed);
                crate::metrics::delivered(job.platform, "notice");
                self.pending_refs.push((
                    job.platform,
                    d.message_ids.clone(),
                    MsgRef::Delivery { notice, channel: channel.id },
                ));
                run.resolve_sent(&self.ob.tree, &mut self.pending, &job, d.message_ids)?;
            }
            Err(DeliveryError::Moved { new_id }) => {
                if let Some(ch) = self.ob.tree.migrate(channel.id, &new_id)? {
                    let job = run.job_for(ch, tries);
                    self.ready.entry(job.platform).or_default().push_front(job);
                }
            }
            Err(DeliveryError::Transient { retry_after, reason }) if tries + 1 < MAX_TRIES => {
                self.ob.stats.retried.fetch_add(1, Ordering::Relaxed);
                crate::metrics::retried(job.platform, "notice", retry_after.is_some());
                self.retries.retried(job.platform, retry_after.is_some());
                let wait = backoff(tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                if retry_after.is_some() {
                    // The platform asked everyone to slow down, not just this chat.
                    let at = Instant::now() + retry_after.unwrap_or_default();
                    let e = self.platform_ready_at.entry(job.platform).or_insert(at);
                    *e = (*e).max(at);
                }
                let at_ms = run::unix_ms() + wait.as_millis() as u64;
                run.resolve_retry(&mut self.pending, &job, at_ms, reason)?;
                let again = run.job_for(channel.clone(), tries + 1);
                self.defer(again, Instant::now() + wait);
            }
            Err(e) => {
                self.ob.stats.failed.fetch_add(1, Ordering::Relaxed);
                crate::metrics::failed(job.platform, "notice");
                self.retries.failed(job.platform);
                let reason = match e {
                    DeliveryError::Transient { reason, .. } => format!("gave up after {MAX_TRIES} tries: {reason}"),
                    DeliveryError::Permanent { reason } => reason,
                    DeliveryError::Moved { new_id } => format!("moved to {new_id}"),
                };
                run.resolve_failed(&self.ob.tree, &mut self.pending, &job, reason)?;
            }
        }
        if self.pending.len == 1 {
            self.pending_since = Instant::now();
        }
        self.maybe_finish(notice)
    }

    pub(super) fn finish_private(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let JobKind::Private { seq, mut q } = job.kind else { unreachable!() };
        let tree = &self.ob.tree;
        match result {
            Ok(d) => {
                self.ob.stats.private_sent.fetch_add(1, Ordering::Relaxed);
                crate::metrics::delivered(job.platform, "private");
                if let Some(r) = &q.on_sent {
                    tree.store.record_msgref(job.platform, &d.message_ids, r)?;
                }
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
                self.pass_turn(&job.out.to, seq);
            }
            Err(DeliveryError::Transient { retry_after, .. }) if q.tries + 1 < MAX_TRIES => {
                crate::metrics::retried(job.platform, "private", retry_after.is_some());
                self.retries.retried(job.platform, retry_after.is_some());
                let wait = backoff(q.tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                q.tries += 1;
                q.next_at_ms = run::unix_ms() + wait.as_millis() as u64;
                tree.store.update_queued(seq, &q)?;
                let out = q.msg.clone();
                self.defer(
                    Job { platform: job.platform, out, kind: JobKind::Private { seq, q } },
                    Instant::now() + wait,
                );
            }
            Err(e) => {
                crate::metrics::failed(job.platform, "private");
                self.retries.failed(job.platform);
                tracing::warn!(to = %q.msg.to, error = %e, "private message could not be delivered");
                let mut follow = Vec::new();
                if let Some(f) = q.fallback.take() {
                    let mut msg = Outbound::reply(format!("{}-fb", q.msg.id), f.to.clone(), f.body.clone());
                    msg.kind = q.msg.kind;
                    msg.in_reply_to = f.in_reply_to.clone();
                    let mut fq = Queued::new(msg);
                    fq.on_sent = q.on_sent.clone();
                    follow.push(fq);
                    if let Some((to, text)) = f.tell {
                        follow.push(Queued::new(Outbound::reply(format!("{}-told", q.msg.id), to, text)));
                    }
                }
                tree.store.enqueue(follow)?;
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
                self.pass_turn(&job.out.to, seq);
                self.load_new()?;
            }
        }
        Ok(())
    }

    /// A run whose walk is done and whose deliveries are all resolved ends:
    /// its state is committed with a `FanoutFinished` event (the author's
    /// summary follows from it).
    pub(super) fn maybe_finish(&mut self, id: u64) -> Result<()> {
        if !self.runs.get(&id).is_some_and(|r| r.is_complete()) {
            return Ok(());
        }
        self.commit()?;
        self.runs.remove(&id);
        self.turn.retain(|x| *x != id);
        let tree = &self.ob.tree;
        tree.store.finish_fanout(id, tree.clock.now_ms())
    }

    /// Writes resolved deliveries, counters and cursors in one batch.
    pub(super) fn commit(&mut self) -> Result<()> {
        if self.pending.len == 0 && self.pending_refs.is_empty() {
            return Ok(());
        }
        let tree = &self.ob.tree;
        // Message refs first: a crash between the two writes re-sends with
        // the same delivery id, and the refs are rewritten identically.
        let mut refs = sled::Batch::default();
        for (p, ids, r) in self.pending_refs.drain(..) {
            let v = crate::store::encode(&r);
            for id in ids {
                refs.insert(crate::store::keys::msgref(p, &id), v.clone());
            }
        }
        tree.store.msgref.apply_batch(refs)?;
        let mut batch = std::mem::take(&mut self.pending);
        for run in self.runs.values_mut() {
            run.write_progress(&mut batch);
        }
        batch.commit(&tree.store, tree.clock.now_ms())?;
        Ok(())
    }
}
