//! The dispatcher's promise to adapters: an outcome only for what is stored.

use tokio::sync::{mpsc, watch};
use treecast_wire::{Inbound, InboundEnvelope, Outcome};

use crate::notice::tests::{bed, Bed};

/// Sends `ev` the way the email adapter does and waits for the outcome;
/// None when the gateway dropped it (the adapter reads the mail again).
async fn offer(tx: &mpsc::Sender<InboundEnvelope>, ev: Inbound) -> Option<Outcome> {
    let (env, outcome) = InboundEnvelope::with_commit(ev);
    tx.send(env).await.unwrap();
    outcome.await.ok()
}

#[tokio::test]
async fn a_failed_commit_reaches_the_adapter_as_not_handled_and_the_retry_is_stored_once() {
    let b = bed().await;
    let (tx, rx) = mpsc::channel(8);
    let (stop, sd) = watch::channel(false);
    let serving = tokio::spawn(b.gw.clone().serve(rx, sd));
    let post = || {
        let mut ev = Inbound::text(Bed::dm("hnu"), "hnu", "/notice 提交失败测试\n正文");
        ev.message_id = "<m1@mail.test>".into();
        ev
    };
    let notices = |b: &Bed| b.tree.store.notices.len();
    let before = notices(&b);

    // The notice's own write fails: no outcome, nothing stored, no answer.
    // (Settled first, so no background commit takes the injected failure.)
    b.settle().await;
    b.tree.store.inject_commit_failures(1);
    assert_eq!(offer(&tx, post()).await, None);
    assert_eq!(notices(&b), before);

    // The group flush fails after a reading command: no outcome either.
    b.settle().await;
    b.tree.store.inject_commit_failures(1);
    assert_eq!(offer(&tx, Inbound::text(Bed::dm("hnu"), "hnu", "/whoami")).await, None);

    // Offered again, as the email adapter does: stored once, answered once.
    assert_eq!(offer(&tx, post()).await, Some(Outcome::Done));
    assert_eq!(notices(&b), before + 1);
    b.settle().await;
    let answers: Vec<_> = b.to(&Bed::dm("hnu")).into_iter().filter(|m| m.body.contains("going out to")).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    stop.send(true).unwrap();
    serving.await.unwrap();
    b.stop().await;
}

#[tokio::test]
async fn a_store_failure_without_a_retrying_adapter_still_answers_the_sender() {
    let b = bed().await;
    b.settle().await;
    b.tree.store.inject_commit_failures(1);
    let out = b.gw.handle_batch(&[Inbound::text(Bed::dm("hnu"), "hnu", "/notice 标题\n正文")], &[false]).await;
    assert_eq!(out.unwrap(), [Some(Outcome::Done)]);
    b.settle().await;
    assert!(b.to(&Bed::dm("hnu")).iter().any(|m| m.body.contains("try again later")));
    b.stop().await;
}

/// Answers to one chat keep the order of the events that caused them, even
/// when the first answer needs a retry (it used to arrive a second after the
/// second answer).
#[tokio::test]
async fn answers_to_one_chat_keep_their_order_through_a_retry() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use treecast_wire::fake::RecordingAdapter;
    use treecast_wire::{DeliveryError, Platform};
    let failed_once = AtomicBool::new(false);
    let adapter = RecordingAdapter::new(Platform::Console).with_faults(move |m, _| {
        let first = m.body.contains("你好") && !failed_once.swap(true, Ordering::SeqCst);
        first.then(|| DeliveryError::Transient {
            retry_after: Some(std::time::Duration::from_millis(30)),
            reason: "429".into(),
        })
    });
    let b = crate::notice::tests::bed_with(adapter).await;
    let evs = [Inbound::text(Bed::dm("li"), "li", "/start"), Inbound::text(Bed::dm("li"), "li", "/whoami")];
    b.gw.handle_batch(&evs, &[false, false]).await.unwrap();
    b.settle().await;
    let got: Vec<String> = b.to(&Bed::dm("li")).into_iter().map(|m| m.body.chars().take(12).collect()).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("你好") && got[1].starts_with("li (#"), "{got:?}");
    b.stop().await;
}

/// The author's summary comes from the durable `FanoutFinished` event: a
/// failed subscriber commit (as a crash there would leave it) does not lose
/// it, and catching up again does not send it twice. It used to be queued by
/// the worker after the fan-out's state, so a kill in between lost it.
#[tokio::test]
async fn the_authors_summary_is_made_once_from_the_event_log_even_after_a_failed_commit() {
    let b = bed().await;
    b.settle().await;
    // Hold the subscribers back: their next commit fails.
    let n = b.post(
        "hunan",
        crate::notice::Draft {
            issuer_code: "43".into(),
            title: "汇总测试".into(),
            body: "正文".into(),
            ack_required: true,
            ..Default::default()
        },
    );
    let n = n.unwrap();
    let summaries = |b: &Bed| b.chat.delivered().into_iter().filter(|m| m.id == format!("n{}-summary", n.id)).count();
    for _ in 0..500 {
        if b.tree.store.active_notices().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    b.tree.store.inject_commit_failures(1);
    let _ = b.app.catch_up();
    b.settle().await;
    b.app.catch_up().unwrap();
    b.settle().await;
    assert_eq!(summaries(&b), 1);
    b.stop().await;
}
