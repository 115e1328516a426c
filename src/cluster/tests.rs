//! Against a real nats-server (Debian's, installed by
//! `scripts/peers/nats.sh install`): each test starts its own server on a
//! free port with a store of its own, so tests share nothing.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;
use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{
    Adapter, AdapterError, Address, Capabilities, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform,
    Shutdown,
};

use super::worker::{owners, Worker};
use super::{planner, Nats};
use crate::config::{ClusterConfig, Config};

const NEEDS: &str = "needs nats-server: scripts/peers/nats.sh install";

/// A nats-server of the test's own, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}: {NEEDS}"));
        let url = format!("nats://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, url, _dir: dir }
    }

    fn config(&self, lease_secs: u64) -> Config {
        let text = format!(
            "[cluster]\nnats = {:?}\nlease_secs = {lease_secs}\nack_wait_secs = 5\nplatforms = [\"console\"]\n[outbox]\nretry_base_ms = 5\nretry_max_secs = 1\n",
            self.url
        );
        Config::parse(&text, std::path::Path::new("cluster-test.toml")).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cluster(cfg: &Config) -> ClusterConfig {
    cfg.cluster.clone().unwrap()
}

/// A worker over `adapter`, running until the returned sender fires or the
/// task is aborted (a crash: nothing acked, no lease given back).
async fn worker(cfg: &Config, adapter: Arc<dyn Adapter>) -> (String, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let w = Worker::new(cfg, HashMap::from([(Platform::Console, adapter)])).await.unwrap();
    let id = w.id.clone();
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(async move { w.run(rx).await.unwrap() });
    (id, stop, task)
}

/// Waits until `f` holds, or fails saying `what`.
async fn until(what: &str, patience: Duration, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out after {patience:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: scripts/peers/nats.sh install"]
async fn accounts_spread_over_workers_and_move_when_a_worker_stops_renewing() {
    let server = Server::start();
    let cfg = server.config(2);
    let nats = Nats::connect(&cluster(&cfg)).await.unwrap();
    let bots: Arc<dyn Adapter> = Arc::new(RecordingAdapter::new(Platform::Console).with_accounts(&["", "b", "c", "d"]));
    let (one, _stop1, task1) = worker(&cfg, bots.clone()).await;
    until("the only worker holds all four accounts", Duration::from_secs(10), async || {
        let o = owners(&nats).await.unwrap();
        o.len() == 4 && o.values().all(|w| *w == one)
    })
    .await;

    let (two, _stop2, _task2) = worker(&cfg, bots.clone()).await;
    until("a second worker gets its share", Duration::from_secs(15), async || {
        let o = owners(&nats).await.unwrap();
        o.len() == 4 && o.values().filter(|w| **w == two).count() == 2
    })
    .await;

    // The first worker crashes: it renews nothing and gives nothing back.
    task1.abort();
    let crashed = Instant::now();
    until("the survivor takes over every account", Duration::from_secs(15), async || {
        let o = owners(&nats).await.unwrap();
        o.len() == 4 && o.values().all(|w| *w == two)
    })
    .await;
    let took = crashed.elapsed();
    // A lease of 2 s lapses, then the survivor's next look (every 2/3 s) takes it.
    assert!(took < Duration::from_secs(8), "takeover took {took:?}");
}

/// The platform accepts the message, then the answer takes `lag`: a worker
/// killed meanwhile has posted but recorded nothing.
struct SlowAnswer {
    inner: Arc<RecordingAdapter>,
    lag: Duration,
}

#[async_trait::async_trait]
impl Adapter for SlowAnswer {
    fn platform(&self) -> Platform {
        Platform::Console
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        let r = self.inner.deliver(m).await;
        tokio::time::sleep(self.lag).await;
        r
    }
    async fn run(&self, _: tokio::sync::mpsc::Sender<InboundEnvelope>, _: Shutdown) -> Result<(), AdapterError> {
        Ok(())
    }
}

/// Delivers like the outbox does: asks again while the answer is "not yet".
async fn deliver(a: &dyn Adapter, m: &Outbound) -> Delivered {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match a.deliver(m).await {
            Ok(d) => return d,
            Err(DeliveryError::RateLimited { retry_after, .. }) if Instant::now() < deadline => {
                tokio::time::sleep(retry_after.min(Duration::from_millis(200))).await
            }
            Err(e) => panic!("{}: {e}", m.id),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: scripts/peers/nats.sh install"]
async fn a_crashed_workers_jobs_are_redelivered_and_posted_once_per_delivery_id() {
    let server = Server::start();
    let cfg = server.config(2);
    // The platform de-duplicates by delivery id, as Matrix and email do.
    let platform = Arc::new(RecordingAdapter::new(Platform::Console));
    let slow: Arc<dyn Adapter> = Arc::new(SlowAnswer { inner: platform.clone(), lag: Duration::from_millis(300) });
    let (_, _stop1, task1) = worker(&cfg, slow.clone()).await;

    let planner =
        planner::wrap(HashMap::from([(Platform::Console, platform.clone() as Arc<dyn Adapter>)]), &cluster(&cfg))
            .await
            .unwrap()
            .remove(&Platform::Console)
            .unwrap();
    let msgs: Vec<Outbound> = (0..60)
        .map(|i| Outbound::reply(format!("n1-c{i}-t"), Address::group(Platform::Console, format!("g{i}")), "团日通知"))
        .collect();
    let sending = tokio::spawn(async move {
        let sends: FuturesUnordered<_> = msgs.iter().map(|m| deliver(planner.as_ref(), m)).collect();
        sends.count().await
    });

    // Kill the worker while deliveries are posted but unanswered.
    until("the first worker is posting", Duration::from_secs(15), async || platform.attempts() >= 10).await;
    task1.abort();
    let posted_by_the_dead = platform.attempts();
    let (_, _stop2, _task2) = worker(&cfg, slow.clone()).await;
    let done = tokio::time::timeout(Duration::from_secs(60), sending).await.expect("every delivery answered").unwrap();

    assert_eq!(done, 60);
    assert_eq!(platform.delivered_count(), 60, "each delivery id posted once");
    let mut ids: Vec<String> = platform.delivered().into_iter().map(|m| m.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60);
    assert!(
        platform.duplicates() >= 1,
        "the dead worker's unanswered jobs ({posted_by_the_dead} posted by then) came again and were absorbed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: scripts/peers/nats.sh install"]
async fn a_notice_fans_out_through_two_workers_and_the_status_is_recorded() {
    let server = Server::start();
    let cfg = server.config(2);
    let platform = Arc::new(RecordingAdapter::new(Platform::Console).with_accounts(&["", "b"]));
    let (_, stop1, t1) = worker(&cfg, platform.clone()).await;
    let (_, stop2, t2) = worker(&cfg, platform.clone()).await;
    let local: HashMap<Platform, Arc<dyn Adapter>> = HashMap::from([
        (Platform::Console, platform.clone() as Arc<dyn Adapter>),
        (Platform::Email, platform.clone() as Arc<dyn Adapter>),
    ]);
    let b = crate::notice::tests::bed_with_adapters(
        planner::wrap(local, &cluster(&cfg)).await.unwrap(),
        platform.clone(),
        cfg.clone(),
    )
    .await;
    for code in ["4143010533", "4143010533-001", "4143010533-002"] {
        let org = b.tree.require(code).unwrap();
        b.tree.bind_via(&org, crate::notice::tests::Bed::group(code), "b", crate::events::Actor::Operator).unwrap();
    }
    let n = b.post("hunan", crate::notice::tests::draft_for("43", "集群投递")).unwrap();
    b.settle().await;
    let st = b.tree.status(None, n.id, None, 5).unwrap();
    assert_eq!((st.rows[0].delivered, st.rows[0].failed), (6, 0));
    let copies: Vec<Outbound> =
        platform.delivered().into_iter().filter(|m| m.id.starts_with(&format!("n{}-c", n.id))).collect();
    assert_eq!(copies.len(), 6, "each group once");
    assert_eq!(copies.iter().filter(|m| m.via == "b").count(), 3, "湖南大学's groups went through account b");
    stop1.send(true).unwrap();
    stop2.send(true).unwrap();
    t1.await.unwrap();
    t2.await.unwrap();
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: scripts/peers/nats.sh install"]
async fn a_restarted_planner_finds_the_answers_and_publishes_nothing_twice() {
    let server = Server::start();
    let cfg = server.config(2);
    let platform = Arc::new(RecordingAdapter::new(Platform::Console));
    let (_, stop, task) = worker(&cfg, platform.clone()).await;
    let local = || HashMap::from([(Platform::Console, platform.clone() as Arc<dyn Adapter>)]);
    let msgs: Vec<Outbound> = (0..10)
        .map(|i| Outbound::reply(format!("n2-c{i}-t"), Address::group(Platform::Console, format!("g{i}")), "通知"))
        .collect();
    let first = planner::wrap(local(), &cluster(&cfg)).await.unwrap().remove(&Platform::Console).unwrap();
    for m in &msgs {
        deliver(first.as_ref(), m).await;
    }
    // The worker goes, so nothing could answer a job published again.
    stop.send(true).unwrap();
    task.await.unwrap();
    drop(first);
    // A new planner (a restart: nothing in memory) asks for the same attempts.
    let again = planner::wrap(local(), &cluster(&cfg)).await.unwrap().remove(&Platform::Console).unwrap();
    for m in &msgs {
        let d = tokio::time::timeout(Duration::from_secs(10), again.deliver(m)).await.expect("answered at once");
        assert_eq!(d.unwrap().message_ids, platform.message_ids(&m.id).unwrap(), "the first answer");
    }
    assert_eq!((platform.attempts(), platform.delivered_count()), (10, 10), "nothing was sent twice");
}

/// One worker's view of the platform: records, per account, which worker
/// has sends under way, and fails if two workers ever overlap on one.
struct Overlap {
    inner: Arc<RecordingAdapter>,
    me: usize,
    lag: Duration,
    /// account -> (worker, sends under way)
    busy: Arc<std::sync::Mutex<HashMap<String, (usize, usize)>>>,
    overlaps: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl Adapter for Overlap {
    fn platform(&self) -> Platform {
        Platform::Console
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    fn accounts(&self) -> Vec<String> {
        self.inner.accounts()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        {
            let mut busy = self.busy.lock().unwrap();
            let e = busy.entry(m.via.clone()).or_insert((self.me, 0));
            if e.1 > 0 && e.0 != self.me {
                self.overlaps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if e.1 == 0 {
                e.0 = self.me;
            }
            e.1 += 1;
        }
        tokio::time::sleep(self.lag).await;
        let r = self.inner.deliver(m).await;
        self.busy.lock().unwrap().get_mut(&m.via).expect("entered above").1 -= 1;
        r
    }
    async fn run(&self, _: tokio::sync::mpsc::Sender<InboundEnvelope>, _: Shutdown) -> Result<(), AdapterError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: scripts/peers/nats.sh install"]
async fn an_account_handed_back_mid_fan_out_never_has_two_workers_sending() {
    const N: usize = 64;
    let server = Server::start();
    // Four sends at a time per account, each answered after 3 s (longer
    // than the 2 s lease): about 12 s in all.
    let mut cfg = server.config(2);
    for l in cfg.limits.values_mut() {
        l.max_in_flight = 4;
    }
    let platform = Arc::new(RecordingAdapter::new(Platform::Console).with_accounts(&["", "b", "c", "d"]));
    let busy = Arc::default();
    let overlaps = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let view = |me| -> Arc<dyn Adapter> {
        Arc::new(Overlap {
            inner: platform.clone(),
            me,
            lag: Duration::from_millis(3000),
            busy: Arc::clone(&busy),
            overlaps: overlaps.clone(),
        })
    };
    let (_, _stop1, _t1) = worker(&cfg, view(1)).await;
    let nats = Nats::connect(&cluster(&cfg)).await.unwrap();
    until("the first worker holds all four accounts", Duration::from_secs(10), async || {
        owners(&nats).await.unwrap().len() == 4
    })
    .await;

    let planner =
        planner::wrap(HashMap::from([(Platform::Console, platform.clone() as Arc<dyn Adapter>)]), &cluster(&cfg))
            .await
            .unwrap()
            .remove(&Platform::Console)
            .unwrap();
    let msgs: Vec<Outbound> = (0..N)
        .map(|i| {
            let mut m =
                Outbound::reply(format!("n1-c{i}-h"), Address::group(Platform::Console, format!("g{i}")), "通知");
            m.via = ["", "b", "c", "d"][i % 4].to_owned();
            m
        })
        .collect();
    let sending = tokio::spawn(async move {
        let sends: FuturesUnordered<_> = msgs.iter().map(|m| deliver(planner.as_ref(), m)).collect();
        sends.count().await
    });
    // Mid fan-out a second worker joins: the first hands two accounts back.
    until("the fan-out is under way", Duration::from_secs(15), async || platform.attempts() >= 8).await;
    let (two, _stop2, _t2) = worker(&cfg, view(2)).await;
    until("the second worker gets its share", Duration::from_secs(20), async || {
        owners(&nats).await.unwrap().values().filter(|w| **w == two).count() == 2
    })
    .await;
    assert!(platform.delivered_count() < N, "the hand-back happened mid fan-out");
    let done = tokio::time::timeout(Duration::from_secs(90), sending).await.expect("every delivery answered").unwrap();

    assert_eq!(done, N);
    assert_eq!(platform.delivered_count(), N, "each delivery posted once");
    assert_eq!(
        overlaps.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "two workers sent for one account at the same time"
    );
}
