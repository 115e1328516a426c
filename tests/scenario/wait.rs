//! Small helpers every peer test shares (the scenario, the bridge crash test,
//! the bridge bench): waiting for something to show up, names no run used,
//! ports from the peers' environment. Included with `#[path]`; the peer
//! modules reach them as `super::poll` etc.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `f` until it yields, failing with `what` after `patience`.
pub async fn poll<T, F, Fut>(what: &str, patience: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {patience:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A name no earlier run used.
#[allow(dead_code)] // not every includer uses each one
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}{nanos}")
}

#[allow(dead_code)] // not every includer uses each one
pub fn env_port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
