//! Receiving updates: a `getUpdates` long-polling loop, or teloxide's axum
//! webhook listener; both hand each update to [`handle`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{webhooks, AsUpdateStream, UpdateListener};
use tokio::sync::mpsc;
use treecast_wire::{
    shutdown_signalled, AdapterError, Attachment, InboundEnvelope, InboundKind, Outcome, Platform, Shutdown,
    MAX_FETCH_BYTES,
};

use crate::errors::redact;
use crate::inbound::{to_inbound, BotIdentity};

/// What the receiving side needs.
pub(crate) struct Context {
    pub bot: Bot,
    pub token: String,
    pub me: BotIdentity,
    pub answer: String,
    /// The account name events from this bot carry (`Inbound::account`).
    pub account: String,
}

const ALLOWED: [AllowedUpdate; 4] =
    [AllowedUpdate::Message, AllowedUpdate::EditedMessage, AllowedUpdate::CallbackQuery, AllowedUpdate::MyChatMember];

/// How long a button press waits for the core before being answered anyway
/// (Telegram shows a spinner until then and drops answers after ~15 s).
const ANSWER_WAIT: Duration = Duration::from_secs(8);

/// The answer when the core dropped the press without committing it.
const NOT_TAKEN: &str = "未能处理，请稍后再试 / Not processed, please try again";
/// The answer when the core has not committed within [`ANSWER_WAIT`].
const STILL_WORKING: &str = "已收到，正在处理 / Received, processing";

/// Whether the core still listens, and the commit of what was sent to it.
enum Flow {
    Continue,
    Sent(tokio::sync::oneshot::Receiver<Outcome>),
    Stop,
}

pub(crate) async fn poll(
    ctx: Arc<Context>,
    timeout_secs: u32,
    inbound: mpsc::Sender<InboundEnvelope>,
    mut shutdown: Shutdown,
) -> Result<(), AdapterError> {
    let mut offset: i32 = 0;
    let mut backoff = Duration::from_secs(1);
    loop {
        let req = ctx.bot.get_updates().offset(offset).timeout(timeout_secs).allowed_updates(ALLOWED);
        let result = tokio::select! {
            _ = shutdown_signalled(&mut shutdown) => break,
            r = req.send() => r,
        };
        let pause = match result {
            Ok(updates) => {
                backoff = Duration::from_secs(1);
                let mut stop = false;
                let mut pending = Vec::new();
                for update in updates {
                    let id = update.id.0 as i32;
                    match handle(&ctx, update, &inbound).await {
                        Flow::Stop => {
                            stop = true;
                            break;
                        }
                        Flow::Sent(committed) => pending.push((id, committed)),
                        Flow::Continue => {}
                    }
                    offset = offset.max(id + 1);
                }
                // The next request's offset tells Telegram to forget these
                // updates: only once the core has committed them, so a crash
                // before that sees them again (at most once more) instead of
                // losing them. One the core dropped is fetched again.
                for (id, committed) in pending {
                    if committed.await.is_err() {
                        offset = offset.min(id);
                        break;
                    }
                }
                if stop {
                    break;
                }
                continue;
            }
            Err(teloxide::RequestError::RetryAfter(s)) => s.duration(),
            Err(e) => {
                tracing::warn!(error = %redact(&e.to_string(), &ctx.token), "telegram getUpdates failed; retrying");
                let pause = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                pause
            }
        };
        tokio::select! {
            _ = shutdown_signalled(&mut shutdown) => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    confirm(&ctx.bot, offset).await;
    Ok(())
}

/// Tells Telegram the updates before `offset` are handled, so a restart
/// does not see them again.
async fn confirm(bot: &Bot, offset: i32) {
    if offset == 0 {
        return;
    }
    let req = bot.get_updates().offset(offset).timeout(0).limit(1).allowed_updates(ALLOWED);
    let _ = tokio::time::timeout(Duration::from_secs(5), req.send()).await;
}

pub(crate) async fn webhook(
    ctx: Arc<Context>,
    listen: SocketAddr,
    url: url::Url,
    inbound: mpsc::Sender<InboundEnvelope>,
    mut shutdown: Shutdown,
) -> Result<(), AdapterError> {
    let error = |m: String| AdapterError::new(Platform::Telegram, m);
    let tcp = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| error(format!("cannot listen for the webhook on {listen}: {e}")))?;
    let options = webhooks::Options::new(listen, url.clone());
    let (mut listener, stopped, router) = webhooks::axum_to_router(ctx.bot.clone(), options)
        .await
        .map_err(|e| error(redact(&format!("Telegram refused the webhook {url}: {e}"), &ctx.token)))?;
    let stop = listener.stop_token();
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, router).with_graceful_shutdown(stopped).await {
            tracing::error!(error = %e, "telegram webhook server failed");
        }
    });
    {
        let stream = listener.as_stream();
        tokio::pin!(stream);
        loop {
            let next = tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => break,
                n = stream.next() => n,
            };
            let Some(Ok(update)) = next else { break };
            if let Flow::Stop = handle(&ctx, update, &inbound).await {
                break;
            }
        }
    }
    stop.stop();
    let _ = server.await;
    Ok(())
}

/// A message's file, downloaded through the Bot API; one larger than the
/// fetch limit is not downloaded but comes with its declared size, which
/// the core refuses by size. A failed download is logged and the message
/// goes on without it.
async fn fetch(ctx: &Context, m: &teloxide::types::Message) -> Option<Attachment> {
    let (id, name, size, content_type) = crate::inbound::file_of(m)?;
    if size > MAX_FETCH_BYTES {
        return Some(Attachment::too_large(name, size));
    }
    let got = async {
        let file = ctx.bot.get_file(id).await.map_err(|e| e.to_string())?;
        let mut data = Vec::new();
        ctx.bot.download_file(&file.path, &mut data).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(data)
    };
    match got.await {
        Ok(data) => Some(Attachment { name, content_type, data }),
        Err(e) => {
            tracing::warn!(file = %name, error = %redact(&e, &ctx.token), "could not download a file from Telegram");
            None
        }
    }
}

/// Sends the update's event (if any) to the core; answers button presses.
async fn handle(ctx: &Arc<Context>, update: Update, inbound: &mpsc::Sender<InboundEnvelope>) -> Flow {
    if let UpdateKind::Error(raw) = &update.kind {
        tracing::warn!(update = update.id.0, raw = %raw, "telegram update teloxide could not parse; skipped");
        return Flow::Continue;
    }
    let Some(mut event) = to_inbound(&update, &ctx.me) else { return Flow::Continue };
    event.account = ctx.account.clone();
    if let UpdateKind::Message(m) = &update.kind {
        event.attachments.extend(fetch(ctx, m).await);
    }
    let callback = match (&update.kind, &event.kind) {
        (UpdateKind::CallbackQuery(q), InboundKind::Button { .. }) => Some(q.id.clone()),
        _ => None,
    };
    let Some(query) = callback else {
        let (envelope, committed) = InboundEnvelope::with_commit(event);
        return match inbound.send(envelope).await {
            Ok(()) => Flow::Sent(committed),
            Err(_) => Flow::Stop,
        };
    };
    let (envelope, outcome) = InboundEnvelope::with_commit(event);
    if inbound.send(envelope).await.is_err() {
        return Flow::Stop;
    }
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let text = match tokio::time::timeout(ANSWER_WAIT, outcome).await {
            Ok(Ok(Outcome::Done)) => ctx.answer.clone(),
            Ok(Ok(Outcome::Rejected { reason })) => reason.chars().take(190).collect(),
            Ok(Err(_)) => NOT_TAKEN.to_owned(),
            Err(_) => STILL_WORKING.to_owned(),
        };
        if let Err(e) = ctx.bot.answer_callback_query(query).text(text).await {
            tracing::debug!(error = %redact(&e.to_string(), &ctx.token), "telegram answerCallbackQuery failed");
        }
    });
    Flow::Continue
}
