//! SMTP out: a pooled lettre transport, envelopes chunked for lists, a sent
//! log so a retried delivery skips what already went, and error sorting.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use treecast_wire::{AdapterError, DeliveryError, Platform};

use crate::compose::{chunks, Composed};
use crate::settings::{Security, Settings};

pub(crate) struct Smtp {
    /// `email.smtp_host` first, then each of `email.relays`.
    relays: Vec<AsyncSmtpTransport<Tokio1Executor>>,
    max_recipients: usize,
    sent: SentLog,
}

/// One relay's connection settings.
struct Target<'a> {
    key: String,
    host: &'a str,
    port: u16,
    security: Security,
    user: Option<&'a str>,
    password: Option<String>,
}

fn transport(t: Target<'_>, domain: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, AdapterError> {
    let err = |m: String| AdapterError::new(Platform::Email, m);
    let host = t.host.trim().trim_start_matches('[').trim_end_matches(']');
    let key = &t.key;
    let builder = match t.security {
        Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        Security::Starttls | Security::Tls => {
            let tls = TlsParameters::new(host.to_owned())
                .map_err(|e| err(format!("{key} {host:?}: cannot set up TLS: {e}")))?;
            let tls = if t.security == Security::Tls { Tls::Wrapper(tls) } else { Tls::Required(tls) };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(tls)
        }
    };
    let mut builder = builder
        .port(t.port)
        .hello_name(ClientId::Domain(domain.to_owned()))
        .timeout(Some(Duration::from_secs(60)))
        .pool_config(PoolConfig::new().max_size(4));
    if let (Some(user), Some(pass)) = (t.user, t.password) {
        builder = builder.credentials(Credentials::new(user.to_owned(), pass));
    }
    Ok(builder.build())
}

impl Smtp {
    /// `password` is the main relay's; each extra relay's comes from its
    /// own environment variable ([`crate::settings::Relay::password_env`]).
    pub(crate) fn new(settings: &Settings, password: Option<String>) -> Result<Self, AdapterError> {
        let domain = settings.domain();
        let mut relays = vec![transport(
            Target {
                key: "email.smtp_host".to_owned(),
                host: &settings.smtp_host,
                port: settings.smtp_port(),
                security: settings.security,
                user: settings.smtp_user(),
                password,
            },
            domain,
        )?];
        for r in &settings.relays {
            let security = r.security.unwrap_or(settings.security);
            let target = Target {
                key: format!("email.relays {:?}", r.name),
                host: &r.host,
                port: r.port.unwrap_or_else(|| crate::settings::default_smtp_port(security)),
                security,
                user: r.user(settings),
                password: crate::settings::secret(&r.password_env()),
            };
            relays.push(transport(target, domain)?);
        }
        Ok(Smtp {
            relays,
            max_recipients: settings.max_recipients,
            sent: SentLog::open(settings.state_dir.join("sent.log"))?,
        })
    }

    /// The relay for one envelope: stable for its key, so a retry goes where
    /// the first try went.
    fn relay(&self, key: &str) -> &AsyncSmtpTransport<Tokio1Executor> {
        &self.relays[relay_index(key, self.relays.len())]
    }

    /// Sends `m` in envelopes of at most `max_recipients`, skipping envelopes
    /// a previous attempt already handed to the server.
    pub(crate) async fn send(&self, m: &Composed) -> Result<(), DeliveryError> {
        for chunk in chunks(&m.recipients, self.max_recipients) {
            let key = format!("{} {:016x}", m.message_id, fnv(chunk.iter().map(|a| a.as_ref())));
            if self.sent.contains(&key) {
                continue;
            }
            match self.envelope(m, chunk, &key).await {
                Ok(()) => self.sent.record(&key),
                Err(DeliveryError::Permanent { reason }) if chunk.len() > 1 => {
                    self.one_by_one(m, chunk, &reason).await?;
                    self.sent.record(&key);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn envelope(&self, m: &Composed, to: &[lettre::Address], key: &str) -> Result<(), DeliveryError> {
        let envelope = Envelope::new(Some(m.from.clone()), to.to_vec())
            .map_err(|e| DeliveryError::permanent(format!("bad envelope: {e}")))?;
        self.relay(key).send_raw(&envelope, &m.bytes).await.map(|_| ()).map_err(|e| map_error(&e))
    }

    /// A permanent refusal of a multi-recipient envelope may be one bad
    /// member: send to each member alone, so the others still get the mail.
    /// Refused members are logged (the wire contract has no per-member result);
    /// when the first two members are refused alone too, the message itself is.
    async fn one_by_one(&self, m: &Composed, chunk: &[lettre::Address], reason: &str) -> Result<(), DeliveryError> {
        let mut refused = Vec::new();
        for (i, to) in chunk.iter().enumerate() {
            let key = format!("{} {:016x}", m.message_id, fnv(std::iter::once(to.as_ref())));
            if self.sent.contains(&key) {
                continue;
            }
            match self.envelope(m, std::slice::from_ref(to), &key).await {
                Ok(()) => self.sent.record(&key),
                Err(DeliveryError::Permanent { reason: r }) => refused.push(format!("{to}: {r}")),
                Err(e) => return Err(e),
            }
            // The first two members both refused: blame the message, not them.
            if i == 1 && refused.len() == 2 {
                return Err(DeliveryError::permanent(reason.to_owned()));
            }
        }
        if !refused.is_empty() {
            tracing::warn!(message_id = %m.message_id, "email: {} list member(s) refused: {}", refused.len(), refused.join("; "));
        }
        Ok(())
    }

    /// Sends one message to one address without logging it (quarantine notices).
    pub(crate) async fn send_once(
        &self,
        from: lettre::Address,
        to: lettre::Address,
        bytes: &[u8],
    ) -> Result<(), DeliveryError> {
        let key = to.to_string();
        let envelope =
            Envelope::new(Some(from), vec![to]).map_err(|e| DeliveryError::permanent(format!("bad envelope: {e}")))?;
        self.relay(&key).send_raw(&envelope, bytes).await.map(|_| ()).map_err(|e| map_error(&e))
    }
}

/// 5xx replies are permanent; 4xx replies, timeouts, TLS and connection
/// trouble are transient.
pub fn map_error(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let code = e.status().map(|c| c.to_string());
    classify(code.as_deref(), e.is_permanent(), &e.to_string())
}

/// The sorting rule on its own: a reply code (like "452"), whether lettre
/// called it permanent, and the text.
pub fn classify(code: Option<&str>, permanent: bool, text: &str) -> DeliveryError {
    let class = code.and_then(|c| c.chars().next());
    if permanent || class == Some('5') {
        return DeliveryError::permanent(format!("SMTP server refused the message: {text}"));
    }
    DeliveryError::transient(format!("SMTP: {text}"))
}

/// Which of `n` relays an envelope key goes to.
fn relay_index(key: &str, n: usize) -> usize {
    (fnv(std::iter::once(key)) % n.max(1) as u64) as usize
}

/// FNV-1a over the recipients, stable across builds and platforms.
fn fnv<'a>(items: impl Iterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for s in items {
        for b in s.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Envelopes already accepted by the server: `<message-id> <recipients hash>`
/// per line in `state_dir/sent.log`.
struct SentLog {
    path: PathBuf,
    done: Mutex<HashSet<String>>,
}

impl SentLog {
    fn open(path: PathBuf) -> Result<Self, AdapterError> {
        let err = |m: String| AdapterError::new(Platform::Email, m);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(format!("email.state_dir {}: {e}", dir.display())))?;
        }
        let done = match std::fs::read_to_string(&path) {
            Ok(s) => s.lines().map(str::to_owned).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => return Err(err(format!("cannot read {}: {e}", path.display()))),
        };
        Ok(SentLog { path, done: Mutex::new(done) })
    }

    fn contains(&self, key: &str) -> bool {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).contains(key)
    }

    fn record(&self, key: &str) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.insert(key.to_owned());
        let line = format!("{key}\n");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), "email: cannot record a sent message: {e}");
        }
    }
}

#[cfg(test)]
mod relay_tests {
    use super::relay_index;

    #[test]
    fn envelopes_spread_over_the_relays_and_a_retry_goes_to_the_same_one() {
        let keys: Vec<String> = (0..3000).map(|i| format!("<n{i}@example.test> {i:016x}")).collect();
        let mut counts = [0usize; 3];
        for k in &keys {
            let i = relay_index(k, 3);
            assert_eq!(i, relay_index(k, 3), "stable for one key");
            counts[i] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "about a third each: {counts:?}");
        assert!(keys.iter().all(|k| relay_index(k, 1) == 0), "one relay takes everything");
    }
}
