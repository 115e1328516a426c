//! Rate limits as the platforms answer them: a 429 for one chat holds only
//! that chat, an account-wide one only that account, neither counts as a
//! try, and each bot account keeps its own quota.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{Address, DeliveryError, LimitScope, OutboundKind, Platform};

use crate::notice::tests::{bed_with, bed_with_config, draft_for, test_config_with, Bed};

/// Successful sends, as (account, chat, when).
type Log = Arc<Mutex<Vec<(String, String, Instant)>>>;

/// An adapter that logs every successful notice send and answers a rate
/// limit where `limit(account, chat, attempt)` says so.
fn adapter(
    log: &Log,
    limit: impl Fn(&str, &str, u64) -> Option<(Duration, LimitScope)> + Send + Sync + 'static,
) -> RecordingAdapter {
    let log = log.clone();
    RecordingAdapter::new(Platform::Console).with_accounts(&["", "b"]).with_faults(move |m, attempt| {
        if m.kind != OutboundKind::Notice {
            return None;
        }
        if let Some((retry_after, scope)) = limit(&m.via, &m.to.id, attempt) {
            return Some(DeliveryError::RateLimited { retry_after, scope, reason: "429 Too Many Requests".into() });
        }
        log.lock().unwrap().push((m.via.clone(), m.to.id.clone(), Instant::now()));
        None
    })
}

/// Moves the groups of 湖南大学 (4143010533 and its branches) to account "b".
fn rebind_hnu_via_b(b: &Bed) {
    for code in ["4143010533", "4143010533-001", "4143010533-002"] {
        let org = b.tree.require(code).unwrap();
        b.tree.bind_via(&org, Bed::group(code), "b", crate::events::Actor::Operator).unwrap();
    }
}

fn tries(b: &Bed, notice: u64, code: &str) -> u32 {
    let ch = b.tree.channel_by_address(&Bed::group(code)).unwrap().unwrap();
    b.tree.store.delivery(notice, ch.id).unwrap().unwrap().tries
}

#[tokio::test]
async fn a_chat_rate_limit_holds_only_that_chat_and_never_counts_as_a_try() {
    let log: Log = Arc::default();
    let first_429: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = first_429.clone();
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    // 湖南大学's first branch: one 2 s pause, then 44 answers of 1 ms: more
    // than the 40 tries after which a failure is given up.
    let b = bed_with(adapter(&log, move |_, chat, _| {
        if chat != "4143010533-001" {
            return None;
        }
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match n {
            0 => {
                *seen.lock().unwrap() = Some(Instant::now());
                Some((Duration::from_secs(2), LimitScope::Chat))
            }
            1..=44 => Some((Duration::from_millis(1), LimitScope::Chat)),
            _ => None,
        }
    }))
    .await;
    let n = b.post("hunan", draft_for("43", "限流测试")).unwrap();
    b.settle().await;

    let st = b.tree.status(None, n.id, None, 5).unwrap();
    assert_eq!((st.rows[0].delivered, st.rows[0].failed), (6, 0), "45 rate limits did not give up");
    assert_eq!(tries(&b, n.id, "4143010533-001"), 1, "only the send that went through counts");
    let paused_at = first_429.lock().unwrap().expect("the chat was rate limited");
    let log = log.lock().unwrap().clone();
    let (held, others): (Vec<_>, Vec<_>) = log.iter().partition(|(_, chat, _)| chat == "4143010533-001");
    assert_eq!((held.len(), others.len()), (1, 5));
    assert!(held[0].2 >= paused_at + Duration::from_secs(2), "the chat waited exactly its retry_after");
    for (_, chat, at) in &others {
        assert!(*at < paused_at + Duration::from_secs(2), "{chat} was held back by another chat's 429");
    }
    b.stop().await;
}

#[tokio::test]
async fn an_account_rate_limit_holds_only_that_account() {
    let log: Log = Arc::default();
    let first_429: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = first_429.clone();
    // One send in flight per account, so the 429 is answered before the
    // account's next send would start.
    let cfg = test_config_with("[outbox.limits.console]\nmax_in_flight = 1\n");
    let limited = adapter(&log, move |account, _, _| {
        let mut s = seen.lock().unwrap();
        (account.is_empty() && s.is_none()).then(|| {
            *s = Some(Instant::now());
            (Duration::from_secs(2), LimitScope::Account)
        })
    });
    let b = bed_with_config(limited, cfg).await;
    rebind_hnu_via_b(&b);
    let n = b.post("hunan", draft_for("43", "账号限流测试")).unwrap();
    b.settle().await;

    let st = b.tree.status(None, n.id, None, 5).unwrap();
    assert_eq!((st.rows[0].delivered, st.rows[0].failed), (6, 0));
    let paused_at = first_429.lock().unwrap().expect("account \"\" was rate limited");
    let until = paused_at + Duration::from_secs(2);
    let log = log.lock().unwrap().clone();
    let on_b: Vec<_> = log.iter().filter(|(a, _, _)| a == "b").collect();
    let on_home: Vec<_> = log.iter().filter(|(a, _, _)| a.is_empty()).collect();
    assert_eq!((on_b.len(), on_home.len()), (3, 3));
    assert!(on_b.iter().all(|(_, _, at)| *at < until), "account b was held by another account's 429");
    assert!(on_home.iter().all(|(_, _, at)| *at >= until), "the limited account waited its retry_after");
    for code in ["43", "4143010534", "4143010534-001"] {
        assert_eq!(tries(&b, n.id, code), 1, "{code}: the rate limit was not a try");
    }
    b.stop().await;
}

#[tokio::test]
async fn each_account_keeps_its_own_quota() {
    let log: Log = Arc::default();
    let mut cfg = test_config_with("[outbox.limits.console]\nper_second = 4\n");
    cfg.limits.get_mut(&Platform::Console).unwrap().max_in_flight = 8;
    let b = bed_with_config(adapter(&log, |_, _, _| None), cfg).await;
    rebind_hnu_via_b(&b);
    for i in 0..4 {
        b.post("hunan", draft_for("43", &format!("配额测试{i}"))).unwrap();
    }
    b.settle().await;

    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 24);
    let start = log.iter().map(|e| e.2).min().unwrap();
    // Each account: never more than 4 sends in a second (the window is 3%
    // longer than the platform's, see limits.rs).
    for account in ["", "b"] {
        let times: Vec<Instant> = log.iter().filter(|e| e.0 == account).map(|e| e.2).collect();
        assert_eq!(times.len(), 12);
        for t in &times {
            let in_second = times.iter().filter(|u| **u >= *t && **u < *t + Duration::from_secs(1)).count();
            assert!(in_second <= 4, "account {account:?}: {in_second} sends within a second");
        }
    }
    // The two accounts send side by side: a shared quota would allow 4.
    let first_second = log.iter().filter(|e| e.2 < start + Duration::from_secs(1)).count();
    assert!(first_second >= 6, "{first_second} sends in the first second across two accounts");
    b.stop().await;
}

#[test]
fn a_rebinding_through_another_bot_moves_the_channel_to_it() {
    let tree = crate::tree::tests::small_tree();
    let org = tree.require("43").unwrap();
    let a = Address::group(Platform::Telegram, "-1001");
    let first = tree.bind_via(&org, a.clone(), "111", crate::events::Actor::Operator).unwrap();
    let again = tree.bind_via(&org, a.clone(), "222", crate::events::Actor::Operator).unwrap();
    assert_eq!(first.id, again.id, "the same channel");
    assert_eq!(tree.channel_by_address(&a).unwrap().unwrap().account, "222");
}

/// A rate-limited send keeps its try count, so its success must still clear
/// the retry mark: found by the Telegram kill -9 benchmark, where a
/// restarted worker re-sent chats that had once been rate limited.
#[tokio::test]
async fn a_restart_after_a_rate_limited_send_succeeded_sends_nothing_again() {
    let log: Log = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let b = bed_with(adapter(&log, move |_, chat, _| {
        let first = chat == "4143010534-001" && calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        first.then_some((Duration::from_millis(5), LimitScope::Chat))
    }))
    .await;
    let n = b.post("hunan", draft_for("43", "重启不重发")).unwrap();
    b.settle().await;
    assert_eq!(log.lock().unwrap().len(), 6);
    assert!(b.tree.store.retries(n.id).unwrap().is_empty(), "no retry mark is left on a delivered row");
    let app = b.app.clone();
    let chat = b.chat.clone();
    b.stop().await;
    // A new worker over the same store, stopped before it starts: one pass.
    let mut adapters: std::collections::HashMap<Platform, Arc<dyn treecast_wire::Adapter>> = Default::default();
    adapters.insert(Platform::Console, chat.clone());
    adapters.insert(Platform::Email, chat.clone());
    let (stop, rx) = tokio::sync::watch::channel(true);
    app.outbox(adapters).run(rx).await.unwrap();
    drop(stop);
    assert_eq!(log.lock().unwrap().len(), 6, "nothing was sent again");
    assert_eq!(chat.duplicates(), 0);
}
