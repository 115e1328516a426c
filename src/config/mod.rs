//! Configuration: a raw serde struct read from TOML, validated into `Config`.
//! Secrets never live here: adapters read them from the environment. Each
//! feature's section is a file of this folder (plain data, checked at load),
//! so the config depends on no feature and every layer may read it.

pub mod branding;
pub mod digest;
pub mod mailbox;
pub mod modules;
pub mod privacy;
pub mod services;
pub mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use treecast_wire::Platform;

pub use crate::outbox::limits::Limits;

use crate::error::{Error, Result};
use crate::tree::{LevelSpec, Levels};

pub const DEFAULT_FOOTER: &str = "精彩微博团，青春心连心";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<PathBuf>,
    footer: Option<String>,
    levels: Option<Vec<LevelSpec>>,
    #[serde(default)]
    notices: RawNotices,
    #[serde(default)]
    outbox: RawOutbox,
    #[serde(default)]
    surveys: RawSurveys,
    #[serde(default)]
    campaigns: RawSurveys,
    #[serde(default)]
    admin: RawAdmin,
    cluster: Option<RawCluster>,
    /// Who may write to whom (`mailbox.rs`), read by the mailbox feature.
    mailbox: Option<toml::Table>,
    /// The digest's settings (`digest.rs`).
    digest: Option<toml::Table>,
    /// The information services' settings (`services.rs`).
    services: Option<toml::Table>,
    /// Privacy: how long the audit log is kept (`privacy.rs`).
    privacy: Option<toml::Table>,
    /// Module defaults per level (`modules.rs`).
    modules: Option<toml::Table>,
    /// Branding of bound chats (`branding.rs`).
    branding: Option<toml::Table>,
    /// The web console (`web.rs`).
    web: Option<toml::Table>,
    console: Option<toml::Table>,
    email: Option<toml::Table>,
    matrix: Option<toml::Table>,
    telegram: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotices {
    max_attachment_bytes: Option<u64>,
    remind_before_hours: Option<u64>,
    bind_code_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbox {
    retry_base_ms: Option<u64>,
    retry_max_secs: Option<u64>,
    #[serde(default)]
    limits: BTreeMap<String, Limits>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurveys {
    dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    /// "127.0.0.1:8391" (the default); "" turns the TCP listener off.
    listen: Option<String>,
    /// The Unix socket `admin.sock` in the data dir (default on).
    socket: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    nats: Option<String>,
    replicas: Option<usize>,
    lease_secs: Option<u64>,
    ack_wait_secs: Option<u64>,
    platforms: Option<Vec<String>>,
}

/// Delivery through workers on NATS JetStream (`[cluster]`); absent, the
/// process delivers everything itself and needs no other server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Server URLs, comma-separated as NATS clients take them.
    pub nats: String,
    /// Copies of each stream and bucket (1, or 3 on a three-node cluster).
    pub replicas: usize,
    /// A worker that has not renewed its accounts' leases for this long
    /// loses them to another worker.
    pub lease: Duration,
    /// A job a worker took and has not answered for this long goes to
    /// another (JetStream's AckWait).
    pub ack_wait: Duration,
    /// The platforms delivered through workers (default: all but console).
    pub platforms: Vec<Platform>,
}

/// The admin API of `serve` (on only while `TREECAST_ADMIN_TOKEN` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminConfig {
    pub listen: Option<std::net::SocketAddr>,
    pub socket: bool,
}

pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8391";

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub footer: String,
    pub levels: Vec<LevelSpec>,
    pub max_attachment_bytes: u64,
    /// Automatic reminder this long before an acknowledgement deadline (0: off).
    pub remind_before: Duration,
    pub bind_code_ttl: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub limits: BTreeMap<Platform, Limits>,
    pub surveys_dir: PathBuf,
    /// Where `/campaign launch NAME` finds `NAME.toml` (`[campaigns] dir`).
    pub campaigns_dir: PathBuf,
    pub admin: AdminConfig,
    pub cluster: Option<ClusterConfig>,
    /// Who may write to which org's mailbox (`[mailbox]`).
    pub mailbox: mailbox::Rules,
    /// When the officials' daily digest goes (`[digest]`).
    pub digest: digest::Settings,
    /// Quiet hours and the bundle time of information services (`[services]`).
    pub services: services::Settings,
    /// How long each kind of data is kept (`[privacy]`).
    pub privacy: privacy::Settings,
    /// Which modules are on by default at each level (`[modules]`).
    pub modules: modules::Settings,
    /// The emblem bound chats get (`[branding]`).
    pub branding: branding::Settings,
    /// The officials' web console (`[web]`).
    pub web: web::Settings,
    /// Raw adapter tables, handed to each adapter's own settings type.
    pub adapters: BTreeMap<Platform, toml::Table>,
    /// Where the config came from, for messages.
    pub source: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("<defaults>")).expect("defaults are valid")
    }
}

impl Config {
    /// Reads and validates a config file; `TREECAST_DATA_DIR` overrides `data_dir`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config { path: path.to_owned(), message: format!("cannot read the file ({e})") })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| Error::Config { path: path.to_owned(), message: one_line(&e.to_string()) })?;
        Self::from_raw(raw, path)
    }

    fn from_raw(raw: RawConfig, path: &Path) -> Result<Config> {
        let levels = raw.levels.unwrap_or_else(Levels::default_specs);
        Levels::from_specs(&levels).map_err(|e| Error::Config { path: path.to_owned(), message: e.to_string() })?;
        let footer = raw.footer.unwrap_or_else(|| DEFAULT_FOOTER.to_owned());
        let data_dir = std::env::var_os("TREECAST_DATA_DIR")
            .map(PathBuf::from)
            .or(raw.data_dir)
            .unwrap_or_else(|| PathBuf::from("treecast-data"));
        let adapters = adapter_tables(path, [raw.console, raw.email, raw.matrix, raw.telegram])?;
        Ok(Config {
            data_dir,
            footer,
            levels,
            max_attachment_bytes: raw.notices.max_attachment_bytes.unwrap_or(10 * 1024 * 1024),
            remind_before: Duration::from_secs(3600 * raw.notices.remind_before_hours.unwrap_or(24)),
            bind_code_ttl: Duration::from_secs(3600 * raw.notices.bind_code_hours.unwrap_or(72)),
            retry_base: Duration::from_millis(raw.outbox.retry_base_ms.unwrap_or(2_000)),
            retry_max: Duration::from_secs(raw.outbox.retry_max_secs.unwrap_or(3_600)),
            limits: limits(path, raw.outbox.limits)?,
            surveys_dir: raw.surveys.dir.unwrap_or_else(|| PathBuf::from("config/surveys")),
            campaigns_dir: raw.campaigns.dir.unwrap_or_else(|| PathBuf::from("config/campaigns")),
            admin: admin(path, raw.admin)?,
            cluster: raw.cluster.map(|c| cluster(path, c)).transpose()?,
            mailbox: mailbox::Rules::from_table(raw.mailbox.as_ref())?,
            digest: digest::Settings::from_table(raw.digest.as_ref())?,
            services: services::Settings::from_table(raw.services.as_ref())?,
            privacy: privacy::Settings::from_table(raw.privacy.as_ref())?,
            modules: modules::Settings::from_table(raw.modules.as_ref())?,
            branding: branding::Settings::from_table(raw.branding.as_ref())?
                .relative_to(path.parent().unwrap_or(Path::new(""))),
            web: web::Settings::from_table(raw.web.as_ref())?,
            adapters,
            source: path.to_owned(),
        })
    }

    /// The rules every notice is posted under: footer, attachment limit,
    /// how long before a deadline the reminder goes.
    pub fn notice_rules(&self) -> crate::notice::NoticeRules {
        crate::notice::NoticeRules {
            footer: self.footer.as_str().into(),
            max_attachment_bytes: self.max_attachment_bytes,
            remind_before: self.remind_before,
        }
    }

    /// What the outbox delivers under: each platform's limits (through
    /// workers, `[cluster]`, the worker owning an account keeps its quota
    /// and here only the jobs out at once are bounded), retries, footer.
    pub fn outbox_settings(&self) -> crate::outbox::Settings {
        let limits = Platform::ALL
            .into_iter()
            .map(|p| {
                let l = self.limits.get(&p).cloned().unwrap_or(Limits::default_for(p));
                let by_workers = self.cluster.as_ref().is_some_and(|c| c.platforms.contains(&p));
                (p, if by_workers { Limits { max_in_flight: l.max_in_flight * 2, ..Limits::OFF } } else { l })
            })
            .collect();
        crate::outbox::Settings {
            limits,
            retry_base: self.retry_base,
            retry_max: self.retry_max,
            footer: self.footer.as_str().into(),
        }
    }

    pub fn levels(&self) -> Levels {
        Levels::from_specs(&self.levels).expect("validated at load")
    }

    /// Whether a platform's section is present (and not `enabled = false`).
    pub fn enabled(&self, p: Platform) -> bool {
        self.adapters.get(&p).map(|t| t.get("enabled").and_then(|v| v.as_bool()).unwrap_or(true)).unwrap_or(false)
    }

    /// A platform's table without the core's own `enabled` key.
    pub fn adapter_table(&self, p: Platform) -> toml::Table {
        let mut t = self.adapters.get(&p).cloned().unwrap_or_default();
        t.remove("enabled");
        t
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A config error at `key` of the file at `path`.
fn bad(path: &Path, key: &str, msg: &str) -> Error {
    Error::Config { path: path.to_owned(), message: format!("{key}: {msg}") }
}

/// `[outbox.limits.PLATFORM]` over each platform's defaults.
fn limits(path: &Path, raw: BTreeMap<String, Limits>) -> Result<BTreeMap<Platform, Limits>> {
    let mut limits: BTreeMap<Platform, Limits> =
        Platform::ALL.into_iter().map(|p| (p, Limits::default_for(p))).collect();
    for (name, l) in raw {
        let key = format!("outbox.limits.{name}");
        let p = Platform::parse(&name)
            .ok_or_else(|| bad(path, &key, "not a platform (console, email, matrix, telegram)"))?;
        if l.per_second < 0.0 || l.per_chat_per_second < 0.0 || l.per_group_per_minute < 0.0 {
            return Err(bad(path, &key, "limits cannot be negative"));
        }
        if l.max_in_flight == 0 {
            return Err(bad(path, &format!("{key}.max_in_flight"), "must be at least 1"));
        }
        limits.insert(p, l);
    }
    Ok(limits)
}

/// `[admin]`: where the admin API listens (none when empty) and its socket.
fn admin(path: &Path, raw: RawAdmin) -> Result<AdminConfig> {
    let listen = raw.listen.unwrap_or_else(|| DEFAULT_ADMIN_LISTEN.to_owned());
    let listen = match listen.trim() {
        "" => None,
        l => Some(l.parse().map_err(|_| bad(path, "admin.listen", "write an address and port, e.g. 127.0.0.1:8391"))?),
    };
    Ok(AdminConfig { listen, socket: raw.socket.unwrap_or(true) })
}

/// `[cluster]`, checked.
fn cluster(path: &Path, c: RawCluster) -> Result<ClusterConfig> {
    let nats = c.nats.unwrap_or_default().trim().to_owned();
    if nats.is_empty() {
        return Err(bad(path, "cluster.nats", "write the NATS server URL, e.g. nats://127.0.0.1:4222"));
    }
    let replicas = c.replicas.unwrap_or(1);
    if !(1..=5).contains(&replicas) {
        return Err(bad(path, "cluster.replicas", "must be 1 to 5 (3 on a three-node cluster)"));
    }
    let lease = Duration::from_secs(c.lease_secs.unwrap_or(6));
    let ack_wait = Duration::from_secs(c.ack_wait_secs.unwrap_or(30));
    if lease < Duration::from_secs(2) || ack_wait < Duration::from_secs(5) {
        return Err(bad(path, "cluster", "lease_secs must be at least 2 and ack_wait_secs at least 5"));
    }
    let platforms = match c.platforms {
        None => vec![Platform::Email, Platform::Matrix, Platform::Telegram],
        Some(names) => names
            .iter()
            .map(|n| {
                Platform::parse(n).ok_or_else(|| {
                    bad(
                        path,
                        "cluster.platforms",
                        &format!("`{n}` is not a platform (console, email, matrix, telegram)"),
                    )
                })
            })
            .collect::<Result<_>>()?,
    };
    Ok(ClusterConfig { nats, replicas, lease, ack_wait, platforms })
}

/// The adapters' own sections (console, email, matrix, telegram), none
/// holding a secret: those come from the environment.
fn adapter_tables(path: &Path, tables: [Option<toml::Table>; 4]) -> Result<BTreeMap<Platform, toml::Table>> {
    let mut adapters = BTreeMap::new();
    let platforms = [Platform::Console, Platform::Email, Platform::Matrix, Platform::Telegram];
    for (p, t) in platforms.into_iter().zip(tables) {
        let Some(t) = t else { continue };
        for secret in ["password", "token", "access_token", "secret"] {
            if t.contains_key(secret) {
                return Err(bad(
                    path,
                    &format!("{p}.{secret}"),
                    "secrets must not be written in the config; set the environment variable instead (see config/treecast.example.toml)",
                ));
            }
        }
        adapters.insert(p, t);
    }
    Ok(adapters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/treecast.example.toml");
        let c = Config::load(&path).unwrap();
        assert_eq!(c.footer, DEFAULT_FOOTER);
        assert_eq!(c.limits[&Platform::Telegram].per_second, 30.0);
        assert_eq!(c.levels.len(), 4);
        // Its emblem is the one beside it, wherever the process runs.
        let emblem = c.branding.emblem.as_deref().unwrap();
        assert_eq!(emblem, path.parent().unwrap().join("emblem.png"));
        assert!(emblem.exists(), "{}", emblem.display());
    }

    #[test]
    fn errors_name_the_key_and_the_file() {
        let p = Path::new("bad.toml");
        let e = Config::parse("[outbox.limits.fax]\nper_second = 1\n", p).unwrap_err().to_string();
        assert!(e.contains("bad.toml: outbox.limits.fax: not a platform"), "{e}");
        let e = Config::parse("foter = 'x'\n", p).unwrap_err().to_string();
        assert!(e.contains("bad.toml: ") && e.contains("foter"), "{e}");
        let e = Config::parse("[telegram]\ntoken = 'abc'\n", p).unwrap_err().to_string();
        assert!(e.contains("telegram.token") && e.contains("environment"), "{e}");
        assert!(!e.contains("abc"), "a secret must not be echoed: {e}");
        let e = Config::parse("[[levels]]\nkey='a'\nname='A'\nnaming='('\n", p).unwrap_err().to_string();
        assert!(e.contains("levels[0].naming"), "{e}");
    }

    #[test]
    fn a_wrong_mailbox_table_stops_the_start_in_one_sentence() {
        let p = Path::new("c.toml");
        assert_eq!(Config::parse("", p).unwrap().mailbox, mailbox::Rules::default());
        let e = Config::parse("[mailbox]\nmember = ['everyone']\n", p).unwrap_err().to_string();
        assert!(e.contains("[mailbox]") && e.contains("everyone"), "{e}");
    }

    #[test]
    fn the_cluster_section_is_optional_and_checked() {
        let p = Path::new("c.toml");
        assert_eq!(Config::parse("", p).unwrap().cluster, None, "no section, no NATS");
        let c = Config::parse("[cluster]\nnats = 'nats://a:4222,nats://b:4222'\nreplicas = 3\n", p).unwrap();
        let c = c.cluster.unwrap();
        assert_eq!(
            (c.nats.as_str(), c.replicas, c.lease.as_secs(), c.ack_wait.as_secs()),
            ("nats://a:4222,nats://b:4222", 3, 6, 30)
        );
        assert_eq!(c.platforms, [Platform::Email, Platform::Matrix, Platform::Telegram], "all but the console");
        for (text, says) in [
            ("[cluster]\n", "c.toml: cluster.nats: write the NATS server URL"),
            ("[cluster]\nnats = 'nats://a'\nplatforms = ['fax']\n", "cluster.platforms: `fax` is not a platform"),
            ("[cluster]\nnats = 'nats://a'\nreplicas = 0\n", "cluster.replicas: must be 1 to 5"),
            ("[cluster]\nnats = 'nats://a'\nlease_secs = 1\n", "lease_secs must be at least 2"),
        ] {
            let e = Config::parse(text, p).unwrap_err().to_string();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
