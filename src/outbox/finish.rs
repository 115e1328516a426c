//! The worker's outcomes: each finished delivery recorded (sent, moved,
//! retried, failed), runs ended, and resolved state committed in groups.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};

use treecast_wire::{Delivered, DeliveryError, LimitScope, Outbound};

use super::limits::{backoff, Lane};
use super::queue::Queued;
use super::run::{self, Job, JobKind};
use super::{Done, Worker, COMMIT_EVERY, MAX_TRIES};
use crate::error::Result;
use crate::msgref::MsgRef;

impl Worker {
    /// `done`, and every other delivery already finished, up to a commit's
    /// worth: one turn of the loop (its timers, its walk) per group of
    /// outcomes instead of one per delivery.
    pub(super) fn finish_ready(&mut self, done: Done) -> Result<()> {
        self.finish(done)?;
        for _ in 1..COMMIT_EVERY {
            match self.inflight.next().now_or_never() {
                Some(Some(done)) => self.finish(done)?,
                _ => break,
            }
        }
        Ok(())
    }

    pub(super) fn finish(&mut self, done: Done) -> Result<()> {
        if let Some(n) = self.in_flight_per.get_mut(&done.job.lane) {
            *n = n.saturating_sub(1);
        }
        let Done { job, result } = done;
        match job.kind {
            JobKind::Notice { .. } => self.finish_notice(job, result),
            JobKind::Private { .. } => self.finish_private(job, result),
        }
    }

    /// The platform's rate limit said wait: the chat (or the whole
    /// account) is held exactly `retry_after`, and the send does not count
    /// as a try. Returns when the job may go again.
    fn rate_limited(&mut self, lane: &Lane, chat: &str, retry_after: Duration, scope: LimitScope) -> Instant {
        // At least a millisecond, so a platform answering 0 cannot spin the loop.
        let until = Instant::now() + retry_after.max(Duration::from_millis(1));
        crate::metrics::retried(lane.platform, "rate_limited", true);
        self.retries.retried(lane.platform, true);
        self.lane_limits(lane).hold(chat, scope, until);
        until
    }

    pub(super) fn finish_notice(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let JobKind::Notice { notice, ref channel, tries, .. } = job.kind else { unreachable!() };
        if !self.runs.contains_key(&notice) {
            return Ok(());
        }
        if let Err(DeliveryError::RateLimited { retry_after, scope, reason }) = &result {
            let until = self.rate_limited(&job.lane, &channel.address.id, *retry_after, *scope);
            let run = self.runs.get_mut(&notice).expect("checked");
            let at_ms = run::unix_ms() + (until - Instant::now()).as_millis() as u64;
            run.resolve_retry(&mut self.pending, &job, at_ms, reason.clone(), false)?;
            let again = run.job_for(channel.clone(), tries);
            self.defer(again, until);
            return self.after_outcome(notice);
        }
        let platform = job.lane.platform;
        let run = self.runs.get_mut(&notice).expect("checked");
        match result {
            Ok(d) => {
                self.ob.stats.delivered.fetch_add(1, Ordering::Relaxed);
                crate::metrics::delivered(platform, "notice");
                self.pending_refs.push((
                    platform,
                    d.message_ids.clone(),
                    MsgRef::Delivery { notice, channel: channel.id },
                ));
                run.resolve_sent(&self.ob.tree, &mut self.pending, &job, d.message_ids)?;
            }
            Err(DeliveryError::Moved { new_id }) => {
                if let Some(ch) = self.ob.tree.migrate(channel.id, &new_id)? {
                    let job = run.job_for(ch, tries);
                    self.ready.entry(job.lane.clone()).or_default().push_front(job);
                }
            }
            Err(DeliveryError::Transient { retry_after, reason }) if tries + 1 < MAX_TRIES => {
                self.ob.stats.retried.fetch_add(1, Ordering::Relaxed);
                crate::metrics::retried(platform, "notice", false);
                self.retries.retried(platform, false);
                let wait = backoff(tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                let at_ms = run::unix_ms() + wait.as_millis() as u64;
                run.resolve_retry(&mut self.pending, &job, at_ms, reason, true)?;
                let again = run.job_for(channel.clone(), tries + 1);
                self.defer(again, Instant::now() + wait);
            }
            Err(e) => {
                self.ob.stats.failed.fetch_add(1, Ordering::Relaxed);
                self.retries.failed(platform);
                let reason = match e {
                    DeliveryError::Transient { reason, .. } => format!("gave up after {MAX_TRIES} tries: {reason}"),
                    DeliveryError::Permanent { reason } => reason,
                    DeliveryError::Moved { new_id } => format!("moved to {new_id}"),
                    DeliveryError::RateLimited { reason, .. } => reason,
                };
                crate::metrics::failed(platform, "notice", &reason);
                run.resolve_failed(&self.ob.tree, &mut self.pending, &job, reason)?;
            }
        }
        self.after_outcome(notice)
    }

    fn after_outcome(&mut self, notice: u64) -> Result<()> {
        if self.pending.len == 1 {
            self.pending_since = Instant::now();
        }
        self.maybe_finish(notice)
    }

    pub(super) fn finish_private(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let lane = job.lane.clone();
        let JobKind::Private { seq, mut q } = job.kind else { unreachable!() };
        let platform = lane.platform;
        match result {
            Ok(d) => {
                self.ob.stats.private_sent.fetch_add(1, Ordering::Relaxed);
                crate::metrics::delivered(platform, "private");
                let tree = &self.ob.tree;
                if let Some(r) = &q.on_sent {
                    tree.store.record_msgref(platform, &d.message_ids, r)?;
                }
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
                self.pass_turn(&q.msg.to, seq);
            }
            Err(DeliveryError::RateLimited { retry_after, scope, .. }) => {
                // Not a try: the message keeps its count and its turn in the chat.
                let until = self.rate_limited(&lane, &q.msg.to.id, retry_after, scope);
                q.next_at_ms = run::unix_ms() + (until - Instant::now()).as_millis() as u64;
                self.ob.tree.store.update_queued(seq, &q)?;
                self.defer(Job::private(seq, q), until);
            }
            Err(DeliveryError::Transient { retry_after, .. }) if q.tries + 1 < MAX_TRIES => {
                crate::metrics::retried(platform, "private", false);
                self.retries.retried(platform, false);
                let wait = backoff(q.tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                q.tries += 1;
                q.next_at_ms = run::unix_ms() + wait.as_millis() as u64;
                self.ob.tree.store.update_queued(seq, &q)?;
                self.defer(Job::private(seq, q), Instant::now() + wait);
            }
            Err(e) => {
                let tree = &self.ob.tree;
                crate::metrics::failed(platform, "private", &e.to_string());
                self.retries.failed(platform);
                tracing::warn!(to = %q.msg.to.for_logs(), error = %e, "private message could not be delivered");
                let follow = match q.fallback.take() {
                    Some(f) => fallback(tree, &q, f, &e)?,
                    None => Vec::new(),
                };
                tree.store.enqueue(follow)?;
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
                self.pass_turn(&q.msg.to, seq);
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
        self.flusher.soon();
        Ok(())
    }
}

/// What goes when a private message cannot be delivered: its fallback (to
/// the chat it came from, `{reason}` replaced by why the delivery failed,
/// an adapter's reason naming what to fix, Chinese first), and the note to
/// whoever should hear of it.
fn fallback(tree: &crate::tree::Tree, q: &Queued, f: crate::store::Fallback, e: &DeliveryError) -> Result<Vec<Queued>> {
    let why = match e {
        DeliveryError::Permanent { reason } => reason.clone(),
        other => other.to_string(),
    };
    let body = f.body.replace("{reason}", &why);
    let mut msg = Outbound::reply(format!("{}-fb", q.msg.id), f.to.clone(), body);
    msg.kind = q.msg.kind;
    // Through the account that is in that chat.
    msg.via = tree.channel_by_address(&f.to)?.map(|c| c.account).unwrap_or_default();
    msg.in_reply_to = f.in_reply_to.clone();
    let mut fq = Queued::new(msg);
    fq.on_sent = q.on_sent.clone();
    let mut follow = vec![fq];
    if let Some((to, text)) = f.tell {
        follow.push(Queued::new(Outbound::reply(format!("{}-told", q.msg.id), to, text)));
    }
    Ok(follow)
}
