//! Delivery through workers on NATS JetStream (`[cluster]` in the config).
//!
//! The planner (`treecast serve`, the one process that owns the sled store
//! and the tree) walks fan-outs and keeps the outbox as always; for the
//! platforms in `[cluster] platforms` its outbox hands each attempt to
//! JetStream instead of an adapter (`planner.rs`). `treecast worker`
//! processes each own some bot accounts (a lease in a KV bucket), pull those
//! accounts' jobs, keep the accounts' quotas, deliver through their own
//! adapters and write each outcome to a KV bucket the planner watches
//! (`worker.rs`).
//!
//! What JetStream guarantees is used as it is: a work-queue stream with one
//! subject per account (`outbox.<platform>.<account>`); publish
//! de-duplication by `Nats-Msg-Id` (the attempt's key), so a planner that
//! publishes again after a crash adds no second job; acks with AckWait and
//! `max_ack_pending` as the in-flight bound; redelivery when a worker dies.
//! Outcomes live in a KV bucket under the same key, so whoever asks again
//! (a restarted planner, a worker given a redelivered job) finds the answer
//! instead of sending again.

mod deliver;
mod lease;
pub mod planner;
pub mod worker;

#[cfg(test)]
mod tests;

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use serde::{Deserialize, Serialize};
use treecast_wire::{Delivered, DeliveryError, Outbound, Platform};

use crate::catalogue::{msg, Msg};
use crate::config::ClusterConfig;
use crate::error::{Error, Result};

/// The work-queue stream of delivery jobs.
pub const JOBS: &str = "TREECAST_OUTBOX";
/// Outcomes by attempt key.
pub const OUTCOMES: &str = "treecast-outcomes";
/// Account leases (`<platform>.<account>`) and worker heartbeats (`w.<id>`).
pub const LEASES: &str = "treecast-leases";
/// How long JetStream remembers a published attempt's id: a planner that
/// restarts within this publishes nothing twice.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 3600);
/// How long an outcome waits for the planner to read it.
const OUTCOME_AGE: Duration = Duration::from_secs(24 * 3600);

/// One attempt at one delivery, as a worker receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The attempt's key: the outcome is stored under it.
    pub key: String,
    pub msg: Outbound,
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Sent { message_ids: Vec<String> },
    Transient { retry_after_ms: Option<u64>, reason: String },
    Permanent { reason: String },
    Moved { new_id: String },
}

impl Outcome {
    pub fn of(r: &std::result::Result<Delivered, DeliveryError>) -> Outcome {
        match r {
            Ok(d) => Outcome::Sent { message_ids: d.message_ids.clone() },
            Err(DeliveryError::Transient { retry_after, reason }) => {
                Outcome::Transient { retry_after_ms: retry_after.map(|d| d.as_millis() as u64), reason: reason.clone() }
            }
            // A worker waits out rate limits itself; one reported anyway
            // is a transient failure with its hint.
            Err(DeliveryError::RateLimited { retry_after, reason, .. }) => {
                Outcome::Transient { retry_after_ms: Some(retry_after.as_millis() as u64), reason: reason.clone() }
            }
            Err(DeliveryError::Permanent { reason }) => Outcome::Permanent { reason: reason.clone() },
            Err(DeliveryError::Moved { new_id }) => Outcome::Moved { new_id: new_id.clone() },
        }
    }

    pub fn into_result(self) -> std::result::Result<Delivered, DeliveryError> {
        match self {
            Outcome::Sent { message_ids } => Ok(Delivered { message_ids }),
            Outcome::Transient { retry_after_ms, reason } => {
                Err(DeliveryError::Transient { retry_after: retry_after_ms.map(Duration::from_millis), reason })
            }
            Outcome::Permanent { reason } => Err(DeliveryError::Permanent { reason }),
            Outcome::Moved { new_id } => Err(DeliveryError::Moved { new_id }),
        }
    }

    pub fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Sent { .. })
    }
}

/// The subject an account's jobs go to. Account names are bot ids, user
/// names or addresses: anything outside NATS's token characters is hex.
pub fn subject(platform: Platform, account: &str) -> String {
    format!("outbox.{platform}.{}", token(account))
}

/// An account's lease key.
pub fn lease_key(platform: Platform, account: &str) -> String {
    format!("{platform}.{}", token(account))
}

/// A NATS subject token / KV key part for `s`: kept when it is plain
/// letters, digits, `-` and `_`, written in hex (`x...`) otherwise; the home
/// account (empty) is `home`.
pub fn token(s: &str) -> String {
    if s.is_empty() {
        return "home".to_owned();
    }
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && s != "home" && !s.starts_with('x') {
        return s.to_owned();
    }
    let mut out = String::from("x");
    for b in s.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The attempt key of delivery `id`'s attempt `n` (KV keys and message ids
/// share the same characters).
pub fn attempt_key(id: &str, n: u32) -> String {
    format!("{}.{n}", token(id))
}

/// A connection and the stream and buckets, made if missing (idempotent:
/// planner and workers all call it).
#[derive(Clone)]
pub struct Nats {
    pub js: jetstream::Context,
    pub jobs: stream::Stream,
    pub outcomes: kv::Store,
    pub leases: kv::Store,
    pub cfg: ClusterConfig,
}

fn nats_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(msg(Msg::NatsTrouble, &[("what", &what), ("error", &e)]))
}

impl Nats {
    pub async fn connect(cfg: &ClusterConfig) -> Result<Nats> {
        let servers = cfg
            .nats
            .split(',')
            .map(|u| u.trim().parse::<async_nats::ServerAddr>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| nats_err(&format!("`{}` is not a list of NATS server URLs", cfg.nats), e))?;
        let client = async_nats::ConnectOptions::new()
            .name("treecast")
            .retry_on_initial_connect()
            .connect(servers)
            .await
            .map_err(|e| nats_err(&format!("cannot connect to {}", cfg.nats), e))?;
        let js = jetstream::new(client);
        // A cluster just started elects its JetStream leader within a
        // second or two; until then making streams fails.
        let mut tries = 0;
        loop {
            match Self::setup(&js, cfg).await {
                Ok(n) => return Ok(n),
                Err(e) if tries < 40 => {
                    tries += 1;
                    tracing::debug!(error = %e, "JetStream not ready yet");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn setup(js: &jetstream::Context, cfg: &ClusterConfig) -> Result<Nats> {
        let js = js.clone();
        let jobs = js
            .get_or_create_stream(stream::Config {
                name: JOBS.to_owned(),
                subjects: vec!["outbox.>".to_owned()],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: DUPLICATE_WINDOW,
                num_replicas: cfg.replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| nats_err("the jobs stream", e))?;
        let outcomes = bucket(&js, OUTCOMES, OUTCOME_AGE, cfg.replicas).await?;
        let leases = bucket(&js, LEASES, cfg.lease, cfg.replicas).await?;
        Ok(Nats { js, jobs, outcomes, leases, cfg: cfg.clone() })
    }

    /// The outcome stored under `key`, if any.
    pub async fn outcome(&self, key: &str) -> Result<Option<Outcome>> {
        let v = self.outcomes.get(key).await.map_err(|e| nats_err("reading an outcome", e))?;
        Ok(v.and_then(|b| serde_json::from_slice(&b).ok()))
    }
}

/// A KV bucket, made if missing. Made as the stream a bucket is (the
/// shape async-nats's `create_key_value` writes) rather than through it:
/// that call first reads the account's info, whose 2.9 form async-nats
/// 0.51 cannot parse.
///
/// Reads go to the stream's leader, not "direct" to any replica: a
/// follower may not have the newest outcome or lease yet, and a stale "no
/// outcome" would send a message twice. A bucket made with direct reads
/// by an earlier version is changed.
async fn bucket(js: &jetstream::Context, name: &str, max_age: Duration, replicas: usize) -> Result<kv::Store> {
    let config = stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: false,
        discard: stream::DiscardPolicy::New,
        duplicate_window: max_age.min(Duration::from_secs(120)),
        ..Default::default()
    };
    let made = js.get_or_create_stream(config.clone()).await.map_err(|e| nats_err(&format!("the {name} bucket"), e))?;
    if made.cached_info().config.allow_direct {
        js.update_stream(config).await.map_err(|e| nats_err(&format!("the {name} bucket"), e))?;
    }
    js.get_key_value(name).await.map_err(|e| nats_err(&format!("the {name} bucket"), e))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn names_keep_to_the_characters_nats_allows() {
        assert_eq!(subject(Platform::Telegram, "123456"), "outbox.telegram.123456");
        assert_eq!(subject(Platform::Telegram, ""), "outbox.telegram.home");
        assert_eq!(lease_key(Platform::Matrix, "@bot:example.org"), "matrix.x40626f743a6578616d706c652e6f7267");
        assert_eq!(token("home"), "x686f6d65", "a real account named home is not the home account");
        assert_eq!(token("x1"), "x7831", "nor is one that looks like hex");
        assert_eq!(attempt_key("n12-c34-ab", 2), "n12-c34-ab.2");
        assert_eq!(attempt_key("团日", 0), "xe59ba2e697a5.0");
    }

    /// A job keeps a list's name on its way to a worker; a job from a
    /// planner that sends none reads as having none.
    #[test]
    fn jobs_carry_the_list_name() {
        use treecast_wire::Address;
        let mut msg = Outbound::reply("n1-c2-t", Address::list("branch-a@lists.example.test", vec![]), "通知");
        msg.list_name = Some("湖南大学团委 软件工程2023级1班团支部".into());
        let job = Job { key: attempt_key(&msg.id, 0), msg };
        let json = serde_json::to_value(&job).unwrap();
        let back: Job = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.msg, job.msg);
        let mut old = json;
        old["msg"].as_object_mut().unwrap().remove("list_name");
        let back: Job = serde_json::from_value(old).unwrap();
        assert_eq!(back.msg.list_name, None);
    }

    #[test]
    fn outcomes_round_trip_the_delivery_result() {
        let cases = [
            Ok(Delivered { message_ids: vec!["-100:5".into()] }),
            Err(DeliveryError::Transient { retry_after: Some(Duration::from_millis(1500)), reason: "502".into() }),
            Err(DeliveryError::permanent("the bot was removed from this chat")),
            Err(DeliveryError::Moved { new_id: "-1002".into() }),
        ];
        for r in cases {
            let o = Outcome::of(&r);
            let back: Outcome = serde_json::from_slice(&serde_json::to_vec(&o).unwrap()).unwrap();
            assert_eq!(back.into_result(), r);
        }
    }
}
