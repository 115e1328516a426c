//! IMAP in: connect (plain, TLS or STARTTLS), IDLE or poll, hand each new
//! mail to the core once, checkpoint after its outcome, file it away.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use treecast_wire::{shutdown_signalled, AdapterError, InboundEnvelope, Outcome, Platform, Shutdown};

use crate::checkpoint::{Checkpoint, CheckpointFile};
use crate::inbound::{self, Reading};
use crate::settings::{Processed, Security};
use crate::Inner;

/// Any byte stream async-imap can run over (plain TCP or TLS).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

type Session = async_imap::Session<Box<dyn Io>>;

/// Why a session ended.
enum Failure {
    /// Will not get better by retrying (login refused, state dir unusable).
    Fatal(String),
    /// Connection trouble: reconnect after a pause.
    Retry(String),
}

impl From<async_imap::error::Error> for Failure {
    fn from(e: async_imap::error::Error) -> Self {
        Failure::Retry(format!("IMAP: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Retry(format!("IMAP connection: {e}"))
    }
}

/// What a pass over the inbox ended with.
enum Drained {
    /// Everything new was handled; wait for more.
    Caught,
    /// The core dropped an outcome: try that mail again after a pause.
    Stalled,
    /// Shutdown, or the core is gone.
    Stop,
}

enum After {
    Done,
    Quarantine,
}

const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub(crate) async fn run(
    inner: &Inner,
    tx: mpsc::Sender<InboundEnvelope>,
    mut shutdown: Shutdown,
) -> Result<(), AdapterError> {
    let Some(password) = inner.imap_password.clone() else {
        return Err(AdapterError::new(Platform::Email, format!("{} is not set", crate::IMAP_PASSWORD_ENV)));
    };
    let mut backoff = Duration::from_secs(1);
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        match session(inner, &password, &tx, &mut shutdown, &mut backoff).await {
            Ok(()) => return Ok(()),
            Err(Failure::Fatal(m)) => return Err(AdapterError::new(Platform::Email, m)),
            Err(Failure::Retry(m)) => {
                tracing::warn!("email: {m}; reconnecting in {}s", backoff.as_secs());
                if pause(backoff, &mut shutdown).await {
                    return Ok(());
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Sleeps `d`; true when shutdown fired meanwhile.
async fn pause(d: Duration, shutdown: &mut Shutdown) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown_signalled(shutdown) => true,
    }
}

async fn session(
    inner: &Inner,
    password: &str,
    tx: &mpsc::Sender<InboundEnvelope>,
    shutdown: &mut Shutdown,
    backoff: &mut Duration,
) -> Result<(), Failure> {
    let s = &inner.settings;
    let (mut session, caps) = connect(inner, password).await?;
    *backoff = Duration::from_secs(1);
    ensure_folder(&mut session, &s.quarantine).await;
    if let Processed::MoveTo(f) = &s.processed {
        ensure_folder(&mut session, f).await;
    }
    let mailbox = session.select(&s.inbox).await?;
    let uid_validity = mailbox.uid_validity.unwrap_or(0);
    let file = CheckpointFile::new(&s.state_dir, &s.inbox);
    let mut cp = file.load().map_err(|e| Failure::Fatal(format!("email checkpoint: {e}")))?;
    if cp.uid_validity != uid_validity {
        if cp.uid_validity != 0 {
            tracing::warn!(
                "email: UIDVALIDITY of {} changed ({} -> {uid_validity}); reading it again from the start",
                s.inbox,
                cp.uid_validity
            );
        }
        cp = Checkpoint { uid_validity, last_uid: 0 };
    }
    let poll = Duration::from_secs(s.poll_seconds);
    loop {
        while session.unsolicited_responses.try_recv().is_ok() {}
        match drain(inner, &mut session, &caps, tx, shutdown, &file, &mut cp).await? {
            Drained::Stop => return Ok(()),
            Drained::Stalled => {
                if pause(poll.min(Duration::from_secs(5)), shutdown).await {
                    return Ok(());
                }
                continue;
            }
            Drained::Caught => {}
        }
        if caps.idle {
            let mut idle = session.idle();
            idle.init().await?;
            let outcome = {
                let (wait, _stop) = idle.wait_with_timeout(poll);
                tokio::select! {
                    r = wait => Some(r),
                    _ = shutdown_signalled(shutdown) => None,
                }
            };
            match outcome {
                None => return Ok(()),
                Some(r) => {
                    r?;
                }
            }
            session = idle.done().await?;
        } else {
            if pause(poll, shutdown).await {
                return Ok(());
            }
            session.noop().await?;
        }
    }
}

struct Caps {
    idle: bool,
    mv: bool,
    uidplus: bool,
}

async fn connect(inner: &Inner, password: &str) -> Result<(Session, Caps), Failure> {
    let s = &inner.settings;
    let host = s.imap_host.trim().trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((host, s.imap_port())).await?;
    let client = match s.security {
        Security::Plain => greeted(async_imap::Client::new(Box::new(tcp) as Box<dyn Io>)).await?,
        Security::Tls => greeted(async_imap::Client::new(Box::new(tls(host, tcp).await?) as Box<dyn Io>)).await?,
        Security::Starttls => {
            let mut plain = greeted(async_imap::Client::new(tcp)).await?;
            plain.run_command_and_check_ok("STARTTLS", None).await?;
            let tcp = plain.into_inner();
            async_imap::Client::new(Box::new(tls(host, tcp).await?) as Box<dyn Io>)
        }
    };
    let user = s.imap_user();
    let mut session = client
        .login(user, password)
        .await
        .map_err(|(e, _)| Failure::Fatal(format!("IMAP login as {user} on {host} was refused: {e}")))?;
    let c = session.capabilities().await?;
    let caps = Caps { idle: c.has_str("IDLE"), mv: c.has_str("MOVE"), uidplus: c.has_str("UIDPLUS") };
    Ok((session, caps))
}

async fn greeted<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(
    mut client: async_imap::Client<T>,
) -> Result<async_imap::Client<T>, Failure> {
    match client.read_response().await? {
        Some(_) => Ok(client),
        None => Err(Failure::Retry("IMAP server closed the connection before its greeting".to_owned())),
    }
}

async fn tls(host: &str, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Fatal(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name =
        ServerName::try_from(host.to_owned()).map_err(|e| Failure::Fatal(format!("email.imap_host {host:?}: {e}")))?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await?)
}

async fn ensure_folder(session: &mut Session, name: &str) {
    // CREATE fails when the folder exists; that is the common case.
    let _ = session.create(name).await;
}

#[allow(clippy::too_many_arguments)]
async fn drain(
    inner: &Inner,
    session: &mut Session,
    caps: &Caps,
    tx: &mpsc::Sender<InboundEnvelope>,
    shutdown: &mut Shutdown,
    file: &CheckpointFile,
    cp: &mut Checkpoint,
) -> Result<Drained, Failure> {
    let query = search_query(&inner.settings.processed, cp.last_uid);
    let mut uids: Vec<u32> = session.uid_search(&query).await?.into_iter().filter(|u| *u > cp.last_uid).collect();
    uids.sort_unstable();
    for uid in uids {
        let Some(raw) = fetch(session, uid).await? else {
            continue;
        };
        let reading = inbound::read(&raw, &inner.settings);
        let after = match reading.event {
            Ok(event) => {
                let (envelope, outcome) = InboundEnvelope::with_commit(event);
                tokio::select! {
                    sent = tx.send(envelope) => if sent.is_err() { return Ok(Drained::Stop) },
                    _ = shutdown_signalled(shutdown) => return Ok(Drained::Stop),
                }
                let outcome = tokio::select! {
                    o = outcome => o,
                    _ = shutdown_signalled(shutdown) => return Ok(Drained::Stop),
                };
                match outcome {
                    Ok(Outcome::Done) => After::Done,
                    Ok(Outcome::Rejected { reason }) => {
                        tracing::info!(uid, "email: the core rejected a mail ({reason}); quarantined");
                        After::Quarantine
                    }
                    Err(_) => return Ok(Drained::Stalled),
                }
            }
            Err(ref why) => {
                tell_sender(inner, &reading, why).await?;
                After::Quarantine
            }
        };
        *cp = Checkpoint { uid_validity: cp.uid_validity, last_uid: uid };
        file.save(*cp).map_err(|e| Failure::Fatal(format!("cannot write the email checkpoint: {e}")))?;
        file_away(inner, session, caps, uid, after).await?;
    }
    Ok(Drained::Caught)
}

/// New mail: UIDs above the checkpoint, not deleted, and in flag mode not
/// yet flagged (so a UIDVALIDITY reset does not hand old mail over again).
fn search_query(processed: &Processed, last_uid: u32) -> String {
    let mut q = format!("UID {}:* UNDELETED", last_uid.saturating_add(1));
    if let Processed::Flag(flag) = processed {
        let flag = flag.trim();
        let negated = match flag.to_ascii_lowercase().as_str() {
            "\\seen" => Some("UNSEEN".to_owned()),
            "\\flagged" => Some("UNFLAGGED".to_owned()),
            "\\answered" => Some("UNANSWERED".to_owned()),
            f if !f.starts_with('\\') => Some(format!("UNKEYWORD {flag}")),
            _ => None,
        };
        if let Some(n) = negated {
            q.push(' ');
            q.push_str(&n);
        }
    }
    q
}

async fn fetch(session: &mut Session, uid: u32) -> Result<Option<Vec<u8>>, Failure> {
    let mut stream = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await?;
    let mut body = None;
    while let Some(f) = stream.try_next().await? {
        if f.uid == Some(uid) {
            if let Some(b) = f.body() {
                body = Some(b.to_vec());
            }
        }
    }
    Ok(body)
}

async fn file_away(inner: &Inner, session: &mut Session, caps: &Caps, uid: u32, after: After) -> Result<(), Failure> {
    let s = &inner.settings;
    match (after, &s.processed) {
        (After::Done, Processed::Flag(flag)) => {
            let stream = session.uid_store(uid.to_string(), format!("+FLAGS ({flag})")).await?;
            let _: Vec<_> = stream.try_collect().await?;
            Ok(())
        }
        (After::Done, Processed::MoveTo(folder)) => move_to(session, caps, uid, folder).await,
        (After::Quarantine, _) => move_to(session, caps, uid, &s.quarantine).await,
    }
}

async fn move_to(session: &mut Session, caps: &Caps, uid: u32, folder: &str) -> Result<(), Failure> {
    let set = uid.to_string();
    if caps.mv {
        session.uid_mv(&set, folder).await?;
        return Ok(());
    }
    session.uid_copy(&set, folder).await?;
    let stream = session.uid_store(&set, "+FLAGS (\\Deleted)").await?;
    let _: Vec<_> = stream.try_collect().await?;
    if caps.uidplus {
        let stream = session.uid_expunge(&set).await?;
        let _: Vec<_> = stream.try_collect().await?;
    } else {
        let stream = session.expunge().await?;
        let _: Vec<_> = stream.try_collect().await?;
    }
    Ok(())
}

/// Tells the sender of an unreadable mail why, in one sentence, once.
async fn tell_sender(inner: &Inner, reading: &Reading, why: &inbound::Unreadable) -> Result<(), Failure> {
    let Some(from) = reading.from.as_deref().filter(|_| !reading.automatic) else {
        tracing::info!("email: quarantined an unreadable automatic or sender-less mail ({why:?})");
        return Ok(());
    };
    match crate::notice::send_unreadable(inner, from, reading.message_id.as_deref(), why).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_transient() => Err(Failure::Retry(format!("telling {from} about an unreadable mail: {e}"))),
        Err(e) => {
            tracing::warn!("email: could not tell {from} about an unreadable mail: {e}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_skips_checkpointed_and_flagged_mail() {
        assert_eq!(search_query(&Processed::MoveTo("Done".into()), 0), "UID 1:* UNDELETED");
        assert_eq!(search_query(&Processed::Flag("\\Seen".into()), 41), "UID 42:* UNDELETED UNSEEN");
        assert_eq!(search_query(&Processed::Flag("treecast".into()), 1), "UID 2:* UNDELETED UNKEYWORD treecast");
    }
}
