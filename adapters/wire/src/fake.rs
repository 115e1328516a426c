//! A recording adapter for fast tests: it keeps what it was asked to deliver,
//! de-duplicates by delivery id (as Matrix transaction ids and Message-IDs
//! do), fails on demand, and lets a test inject inbound events.
//!
//! Its [`Capabilities`] are whatever the test says
//! ([`RecordingAdapter::with_capabilities`]); by default plain text only
//! ([`Capabilities::default`]), so a core test that relies on buttons,
//! threads or private chats has to ask for them. With a non-zero
//! `max_message_chars` it reports one message id per part of a longer text,
//! as a real adapter that splits does, while recording the delivery once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::{
    shutdown_signalled, Adapter, AdapterError, Address, Capabilities, Delivered, DeliveryError, Inbound,
    InboundEnvelope, Outbound, Platform, Shutdown,
};

/// Decides, per attempt, whether a delivery fails (for fault tests).
pub type FaultFn = dyn Fn(&Outbound, u64) -> Option<DeliveryError> + Send + Sync;

#[derive(Default)]
struct State {
    /// Every distinct delivery, in order (bodies kept unless `light`).
    delivered: Vec<Outbound>,
    /// Delivery id -> what the platform answered the first time.
    by_id: HashMap<String, Delivered>,
    /// Errors to return for the next attempts, in order.
    script: VecDeque<DeliveryError>,
    attempts: u64,
    duplicates: u64,
}

/// See the module docs.
pub struct RecordingAdapter {
    platform: Platform,
    capabilities: Capabilities,
    light: bool,
    state: Mutex<State>,
    faults: Option<Box<FaultFn>>,
    next_message: AtomicU64,
    inbound: Mutex<Option<mpsc::Sender<InboundEnvelope>>>,
    accounts: Vec<String>,
}

impl RecordingAdapter {
    pub fn new(platform: Platform) -> Self {
        RecordingAdapter {
            platform,
            capabilities: Capabilities::default(),
            light: false,
            state: Mutex::default(),
            faults: None,
            next_message: AtomicU64::new(1),
            inbound: Mutex::new(None),
            accounts: vec![String::new()],
        }
    }

    /// Claims `capabilities` (default: plain text only). A non-zero
    /// `max_message_chars` makes a longer delivery report one message id per
    /// part (`ceil(chars / max_message_chars)` of them).
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Claims several bot accounts (see [`Adapter::accounts`]); every
    /// delivery still lands in this one recorder, `Outbound::via` naming its account.
    pub fn with_accounts(mut self, names: &[&str]) -> Self {
        self.accounts = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Keeps only ids and addresses, not bodies (for large benchmarks).
    pub fn light(mut self) -> Self {
        self.light = true;
        self
    }

    /// Fails attempts as `f(msg, attempt_number)` decides.
    pub fn with_faults(mut self, f: impl Fn(&Outbound, u64) -> Option<DeliveryError> + Send + Sync + 'static) -> Self {
        self.faults = Some(Box::new(f));
        self
    }

    /// The next attempt (whatever its message) fails with `err`.
    pub fn fail_next(&self, err: DeliveryError) {
        self.state.lock().unwrap().script.push_back(err);
    }

    /// Distinct deliveries made, in order.
    pub fn delivered(&self) -> Vec<Outbound> {
        self.state.lock().unwrap().delivered.clone()
    }

    pub fn delivered_count(&self) -> usize {
        self.state.lock().unwrap().delivered.len()
    }

    /// Deliveries made to `to`.
    pub fn delivered_to(&self, to: &Address) -> Vec<Outbound> {
        let st = self.state.lock().unwrap();
        st.delivered.iter().filter(|m| &m.to == to).cloned().collect()
    }

    /// Attempts that repeated an already delivered id (and were absorbed).
    pub fn duplicates(&self) -> u64 {
        self.state.lock().unwrap().duplicates
    }

    pub fn attempts(&self) -> u64 {
        self.state.lock().unwrap().attempts
    }

    /// The platform message ids a delivery produced.
    pub fn message_ids(&self, delivery_id: &str) -> Option<Vec<String>> {
        let st = self.state.lock().unwrap();
        st.by_id.get(delivery_id).map(|d| d.message_ids.clone())
    }

    /// Sends `event` to the core as if it came from the platform; false when
    /// the adapter is not running.
    pub async fn inject(&self, event: Inbound) -> bool {
        let tx = self.inbound.lock().unwrap().clone();
        match tx {
            Some(tx) => tx.send(InboundEnvelope::new(event)).await.is_ok(),
            None => false,
        }
    }
}

#[async_trait::async_trait]
impl Adapter for RecordingAdapter {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn accounts(&self) -> Vec<String> {
        self.accounts.clone()
    }

    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let mut st = self.state.lock().unwrap();
        st.attempts += 1;
        let attempt = st.attempts;
        if let Some(err) = st.script.pop_front() {
            return Err(err);
        }
        if let Some(err) = self.faults.as_ref().and_then(|f| f(msg, attempt)) {
            return Err(err);
        }
        if let Some(done) = st.by_id.get(&msg.id) {
            let done = done.clone();
            st.duplicates += 1;
            return Ok(done);
        }
        let parts = match self.capabilities.max_message_chars {
            0 => 1,
            max => msg.plain_text().chars().count().div_ceil(max).max(1),
        };
        let first = self.next_message.fetch_add(parts as u64, Ordering::Relaxed);
        let message_ids = (first..first + parts as u64).map(|n| format!("{}-m{n}", self.platform)).collect();
        let done = Delivered { message_ids };
        st.by_id.insert(msg.id.clone(), done.clone());
        let kept = if self.light {
            Outbound { body: Arc::from(""), title: None, footer: None, ..msg.clone() }
        } else {
            msg.clone()
        };
        st.delivered.push(kept);
        Ok(done)
    }

    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, mut shutdown: Shutdown) -> Result<(), AdapterError> {
        *self.inbound.lock().unwrap() = Some(inbound);
        shutdown_signalled(&mut shutdown).await;
        *self.inbound.lock().unwrap() = None;
        Ok(())
    }
}

/// The conformance harness for the recording adapter: what the "platform"
/// shows is what was delivered, and a user's words are injected.
pub struct FakeHarness {
    pub adapter: Arc<RecordingAdapter>,
}

impl FakeHarness {
    pub fn new(platform: Platform) -> Self {
        Self::of(RecordingAdapter::new(platform))
    }

    /// A harness over a configured adapter (capabilities, faults).
    pub fn of(adapter: RecordingAdapter) -> Self {
        FakeHarness { adapter: Arc::new(adapter) }
    }
}

#[async_trait::async_trait]
impl crate::conformance::Harness for FakeHarness {
    fn adapter(&self) -> Arc<dyn Adapter> {
        self.adapter.clone()
    }

    async fn group(&self) -> Address {
        Address::group(self.adapter.platform, "fake-group")
    }

    async fn direct(&self) -> Address {
        Address::direct(self.adapter.platform, "fake-user")
    }

    async fn seen_in(&self, chat: &Address) -> Vec<String> {
        self.adapter.delivered_to(chat).iter().map(Outbound::plain_text).collect()
    }

    async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>) {
        let mut event = Inbound::text(chat.clone(), "fake-user", text);
        event.in_reply_to = reply_to.map(str::to_owned);
        assert!(self.adapter.inject(event).await, "fake adapter is not running");
    }

    fn dedupes(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance;

    #[tokio::test]
    async fn recording_adapter_passes_conformance() {
        let h = FakeHarness::new(Platform::Console);
        conformance::run_all(&h).await;
        assert_eq!(h.adapter.duplicates(), 1, "the dedupe check retried once");
    }

    fn rich() -> Capabilities {
        Capabilities {
            buttons: true,
            reactions: true,
            threads: true,
            private_chats: true,
            max_message_chars: 1000,
            ..Capabilities::default()
        }
    }

    #[tokio::test]
    async fn recording_adapter_with_every_capability_passes_conformance() {
        let h = FakeHarness::of(RecordingAdapter::new(Platform::Matrix).with_capabilities(rich()));
        conformance::run_all(&h).await;
        assert_eq!(h.adapter.duplicates(), 1, "the dedupe check retried once");
        let dm = Address::direct(Platform::Matrix, "fake-user");
        assert_eq!(h.adapter.delivered_to(&dm).len(), 1, "the direct-message check ran");
        let split =
            h.adapter.delivered().into_iter().find(|m| m.id.starts_with("conf-split")).expect("split check ran");
        assert!(h.adapter.message_ids(&split.id).unwrap().len() > 1, "the long text was split");
    }

    #[tokio::test]
    async fn capabilities_default_to_plain_text_and_can_be_set() {
        assert_eq!(RecordingAdapter::new(Platform::Telegram).capabilities(), Capabilities::default());
        let a = RecordingAdapter::new(Platform::Telegram).with_capabilities(rich());
        assert_eq!(a.capabilities(), rich());
    }

    #[tokio::test]
    async fn a_text_past_the_split_length_reports_one_id_per_part() {
        let caps = Capabilities { max_message_chars: 10, ..Capabilities::default() };
        let a = RecordingAdapter::new(Platform::Telegram).with_capabilities(caps);
        let to = Address::group(Platform::Telegram, "-100");
        let one = a.deliver(&Outbound::reply("d1", to.clone(), "请按时参加团日活动。")).await.unwrap();
        assert_eq!(one.message_ids.len(), 1, "ten characters fit");
        let three = a.deliver(&Outbound::reply("d2", to.clone(), "青".repeat(21))).await.unwrap();
        assert_eq!(three.message_ids.len(), 3);
        assert_eq!(a.deliver(&Outbound::reply("d2", to, "青".repeat(21))).await.unwrap(), three, "retry");
        assert_eq!(a.delivered_count(), 2, "each delivery is recorded once, whole");
        assert_eq!(a.delivered()[1].body.chars().count(), 21);
    }

    #[tokio::test]
    async fn scripted_failure_comes_first_then_success() {
        let a = RecordingAdapter::new(Platform::Telegram);
        a.fail_next(DeliveryError::Transient {
            retry_after: Some(std::time::Duration::from_secs(2)),
            reason: "429".into(),
        });
        let msg = Outbound::reply("d1", Address::group(Platform::Telegram, "-100"), "hi");
        assert!(a.deliver(&msg).await.unwrap_err().is_transient());
        assert!(a.deliver(&msg).await.is_ok());
        assert_eq!(a.delivered_count(), 1);
        assert_eq!(a.attempts(), 2);
    }
}
