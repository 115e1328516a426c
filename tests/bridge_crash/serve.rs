//! `treecast serve` for the bridge crash test: its config, the store it
//! starts from, and the process killed and started again.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use treecast::config::Config;
use treecast::features::bridge::store::{put_switch, Switch};
use treecast::store::Writes;
use treecast::tree::import;
use treecast::tree::people::Role;
use treecast_wire::{Address, Platform};

use super::{env_port, mail, BIN, BOT_MAIL, BOT_MAILBOX, LIST, MEMBERS, ORG};

/// `treecast serve` as a child process, with its secrets in the environment
/// and its stderr in a file per start.
pub struct Server {
    pub cfg: PathBuf,
    pub logs: PathBuf,
    pub env: Vec<(&'static str, String)>,
    pub child: Option<Child>,
    pub starts: usize,
    pub t0: Instant,
}

impl Server {
    fn log_path(&self) -> PathBuf {
        self.logs.join(format!("serve-{}.log", self.starts))
    }

    pub fn say(&self, what: &str) {
        eprintln!("[{:6.1} s] {what}", self.t0.elapsed().as_secs_f64());
    }

    /// Starts serve and waits until it says it is serving (adapters connected).
    pub async fn start(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path()).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(&self.cfg).arg("serve").current_dir(env!("CARGO_MANIFEST_DIR"));
        for var in [
            "TREECAST_TELEGRAM_TOKENS",
            "TREECAST_TELEGRAM_TOKEN_FILE",
            "TREECAST_MATRIX_ACCESS_TOKEN",
            "TREECAST_MATRIX_AS_TOKEN",
            "TREECAST_MATRIX_STORE_PASSPHRASE",
            "TREECAST_SMTP_PASSWORD",
            "TREECAST_ADMIN_TOKEN",
            "TREECAST_DATA_DIR",
            "TREECAST_LOG_FORMAT",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v)));
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).spawn().expect("start treecast serve");
        self.child = Some(child);
        let path = self.log_path();
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains("Serving from") {
                break;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("serve exited ({status}) before serving:\n{text}");
            }
            assert!(started.elapsed() < Duration::from_secs(60), "serve did not start within 60 s:\n{text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.say(&format!("serve #{} up in {:.1} s", self.starts, started.elapsed().as_secs_f64()));
    }

    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("serve runs");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    /// SIGTERM, and waits for a clean exit.
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("serve runs");
        Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "serve did not stop within 30 s of SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last lines of every start's log (for a failure message).
    pub fn tails(&self) -> String {
        let mut out = String::new();
        for i in 1..=self.starts {
            let text = std::fs::read_to_string(self.logs.join(format!("serve-{i}.log"))).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&format!("--- serve #{i} (last 15 of {} lines)\n", lines.len()));
            for l in &lines[lines.len().saturating_sub(15)..] {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The config: the three adapters against the peers, secrets left to the
/// environment, quick retries.
pub fn write_config(dir: &Path, api: &str, hs: &str, bot_uid: &str) -> PathBuf {
    let imap = env_port("TREECAST_TEST_IMAP_PORT", 1143);
    let smtp = env_port("TREECAST_TEST_SMTP_PORT", 2525);
    let toml = format!(
        r#"data_dir = {data:?}

[outbox]
retry_base_ms = 500

[telegram]
api_url = {api:?}
poll_timeout_secs = 1

[matrix]
homeserver = {hs:?}
user_id = {bot_uid:?}
store_dir = {matrix:?}
sync_timeout_secs = 2

[email]
address = {BOT_MAIL:?}
display_name = "团委互通"
imap_host = "127.0.0.1"
imap_port = {imap}
imap_user = {BOT_MAILBOX:?}
smtp_host = "127.0.0.1"
smtp_port = {smtp}
smtp_user = ""
security = "plain"
state_dir = {email:?}
poll_seconds = 5
trusted_authserv_ids = ["mail.example.test"]
"#,
        data = dir.join("data"),
        matrix = dir.join("matrix"),
        email = dir.join("email"),
    );
    let path = dir.join("treecast.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// The store, written before serve first starts: the sample tree, an
/// official of the branch, its three chats bound, bridging on. Returns the
/// list's channel id.
pub fn prepare_store(cfg_path: &Path, group: i64, room: &str) -> u64 {
    let cfg = Config::load(cfg_path).unwrap();
    let tree = treecast::cli::open_tree(&cfg).unwrap();
    let csv = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sample-orgs.csv")).unwrap();
    import::import_str(&tree, "sample-orgs.csv", &csv, None).unwrap();
    let org = tree.require(ORG).unwrap();
    let official = tree.add_person("互通测试 王老师").unwrap();
    tree.grant(official.id, &org, Role::Official).unwrap();
    tree.bind(&org, Address::group(Platform::Telegram, group.to_string())).unwrap();
    tree.bind(&org, Address::group(Platform::Matrix, room)).unwrap();
    let members = MEMBERS.iter().map(|m| format!("{m}@{}", mail::DOMAIN)).collect();
    let list = tree.bind(&org, Address::list(LIST, members)).unwrap();
    let mut w = Writes::default();
    let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    put_switch(&mut w, org.id, &Switch { on: true, by: official.id, at });
    tree.store.commit(&w).unwrap();
    tree.store.flush().unwrap();
    list.id
}
