//! One conformance suite for every adapter: the recording fake and each real
//! adapter against its real peer run the same checks through a [`Harness`].
//! Checks that need a capability (private chats, threads) are skipped for an
//! adapter that does not claim it; the rest apply to every adapter.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::{Adapter, Address, Inbound, InboundEnvelope, InboundKind, Outbound, OutboundKind};

/// What a test needs from a platform besides the adapter: places to post and
/// a person on the other side.
#[async_trait::async_trait]
pub trait Harness: Send + Sync {
    fn adapter(&self) -> Arc<dyn Adapter>;
    /// A group (or list) the bot may post to.
    async fn group(&self) -> Address;
    /// A private chat with the harness's user.
    async fn direct(&self) -> Address;
    /// Texts the harness's user sees in `chat`, oldest first.
    async fn seen_in(&self, chat: &Address) -> Vec<String>;
    /// The user posts `text` in `chat`, as a reply to `reply_to` if given.
    async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>);
    /// Whether the platform itself de-duplicates a retried delivery id.
    fn dedupes(&self) -> bool;
    /// How long to wait for the peer to show something.
    fn patience(&self) -> Duration {
        Duration::from_secs(15)
    }
}

fn notice(id: &str, to: Address, body: &str) -> Outbound {
    Outbound {
        id: id.to_owned(),
        kind: OutboundKind::Notice,
        to,
        title: Some("关于开展团日活动的通知".into()),
        body: body.into(),
        footer: Some("精彩微博团，青春心连心".into()),
        buttons: Vec::new(),
        attachments: Arc::from(Vec::new()),
        in_reply_to: None,
        via: String::new(),
        unsubscribe: None,
        list_name: None,
    }
}

async fn wait_for_text(h: &dyn Harness, chat: &Address, needle: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + h.patience();
    loop {
        let seen = h.seen_in(chat).await;
        if seen.iter().any(|t| t.contains(needle)) || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{tag}-{nanos}")
}

/// A notice reaches a group with its Chinese title, body and footer intact.
pub async fn delivers_notice_with_footer(h: &dyn Harness) {
    let group = h.group().await;
    let marker = unique("通知正文");
    let msg = notice(&unique("conf-notice"), group.clone(), &format!("请各团支部按时参加。{marker}"));
    let done = h.adapter().deliver(&msg).await.expect("delivery should succeed");
    assert!(!done.message_ids.is_empty(), "a delivery must report the platform message id");
    let seen = wait_for_text(h, &group, &marker).await;
    let text = seen.iter().find(|t| t.contains(&marker)).expect("the notice should be seen in the group");
    assert!(text.contains("关于开展团日活动的通知"), "title missing: {text}");
    assert!(text.contains("精彩微博团，青春心连心"), "footer missing: {text}");
}

/// Delivering the same id twice posts once where the platform can tell.
pub async fn retried_delivery_is_not_posted_twice(h: &dyn Harness) {
    if !h.dedupes() {
        return;
    }
    let group = h.group().await;
    let marker = unique("重复");
    let msg = notice(&unique("conf-dup"), group.clone(), &marker);
    let a = h.adapter().deliver(&msg).await.expect("first delivery");
    let b = h.adapter().deliver(&msg).await.expect("retried delivery");
    assert_eq!(a.message_ids.first(), b.message_ids.first(), "a retry must name the same message");
    wait_for_text(h, &group, &marker).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = h.seen_in(&group).await;
    assert_eq!(seen.iter().filter(|t| t.contains(&marker)).count(), 1, "posted twice: {seen:?}");
}

/// A private message reaches the person (where the adapter claims
/// [`Capabilities::private_chats`](crate::Capabilities::private_chats)).
pub async fn delivers_direct_message(h: &dyn Harness) {
    if !h.adapter().capabilities().private_chats {
        return;
    }
    let dm = h.direct().await;
    let marker = unique("私信");
    let msg = Outbound { kind: OutboundKind::Private, ..notice(&unique("conf-dm"), dm.clone(), &marker) };
    h.adapter().deliver(&msg).await.expect("direct delivery");
    let seen = wait_for_text(h, &dm, &marker).await;
    assert!(seen.iter().any(|t| t.contains(&marker)), "DM not seen: {seen:?}");
}

/// A user's reply to a delivered notice comes back as an `Inbound` naming it
/// (where the adapter claims [`Capabilities::threads`](crate::Capabilities::threads)).
pub async fn reply_comes_back_with_reference(h: &dyn Harness) {
    if !h.adapter().capabilities().threads {
        return;
    }
    let group = h.group().await;
    let (tx, mut rx) = mpsc::channel::<InboundEnvelope>(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let adapter = h.adapter();
    let runner = tokio::spawn(async move { adapter.run(tx, stop_rx).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let msg = notice(&unique("conf-reply"), group.clone(), &unique("回复测试"));
    let done = h.adapter().deliver(&msg).await.expect("delivery");
    let replied_to = done.message_ids.last().cloned().expect("message id");
    let answer = unique("已收到，谢谢");
    h.user_says(&group, &answer, Some(&replied_to)).await;

    let got: Inbound = loop {
        let env = tokio::time::timeout(h.patience(), rx.recv())
            .await
            .expect("the reply should arrive in time")
            .expect("adapter stopped early");
        if env.event.text.contains(&answer) {
            if let Some(c) = env.committed {
                let _ = c.send(crate::Outcome::Done);
            }
            break env.event;
        }
    };
    let _ = stop_tx.send(true);
    let _ = runner.await;
    assert_eq!(got.kind, InboundKind::Message);
    assert_eq!(got.in_reply_to.as_deref(), Some(replied_to.as_str()), "reply must reference the notice");
    assert!(!got.sender.id.is_empty(), "sender must be named");
}

/// A message far past one platform message's size arrives whole, in order.
pub async fn long_message_arrives_whole(h: &dyn Harness) {
    let group = h.group().await;
    let head = unique("长通知开头");
    let tail = unique("长通知结尾");
    let body = format!("{head}\n{}\n{tail}", "青年志愿服务活动安排。".repeat(900));
    let msg = notice(&unique("conf-long"), group.clone(), &body);
    h.adapter().deliver(&msg).await.expect("long delivery");
    let seen = wait_for_text(h, &group, &tail).await;
    let joined: String = seen.concat();
    let (a, b) = (joined.find(&head), joined.find(&tail));
    assert!(a.is_some() && b.is_some() && a < b, "long message not whole and in order");
    let chars: usize =
        seen.iter().filter(|t| t.contains("青年志愿服务")).map(|t| t.matches("青年志愿服务活动安排").count()).sum();
    assert_eq!(chars, 900, "every repeated sentence must arrive exactly once");
}

/// An adapter states its capabilities the same way every time (the core
/// asks once and keeps the answer), and they agree with its platform.
pub async fn capabilities_are_stable(h: &dyn Harness) {
    let (a, b) = (h.adapter(), h.adapter());
    let first = a.capabilities();
    assert_eq!(first, a.capabilities(), "capabilities changed between two calls");
    assert_eq!(first, b.capabilities(), "two handles on the adapter disagree about its capabilities");
    let msg = notice(&unique("conf-caps"), h.group().await, "能力");
    a.deliver(&msg).await.expect("delivery");
    assert_eq!(first, a.capabilities(), "capabilities changed after a delivery");
}

/// The sentence [`text_past_the_split_length_arrives_whole`] repeats: its
/// characters outside the BMP cost the most wherever a platform counts in
/// UTF-16 units or bytes.
const SPLIT_SENTENCE: &str = "𠮷青年志愿者报到🎉。";

/// A text longer than the adapter's `max_message_chars` (twice as long, in
/// characters costly on every platform) is delivered, split as the adapter
/// likes, never refused, and arrives whole and in order. Skipped for an
/// adapter that never splits (`max_message_chars == 0`);
/// [`long_message_arrives_whole`] covers those.
pub async fn text_past_the_split_length_arrives_whole(h: &dyn Harness) {
    let max = h.adapter().capabilities().max_message_chars;
    if max == 0 {
        return;
    }
    let group = h.group().await;
    let head = unique("超长开头");
    let tail = unique("超长结尾");
    let count = (2 * max).div_ceil(SPLIT_SENTENCE.chars().count()) + 1;
    let body = format!("{head}\n{}\n{tail}", SPLIT_SENTENCE.repeat(count));
    let msg = notice(&unique("conf-split"), group.clone(), &body);
    assert!(!h.adapter().capabilities().fits_one_message(&msg.plain_text()));
    let done = h.adapter().deliver(&msg).await.unwrap_or_else(|e| {
        panic!("a text past max_message_chars ({max}) must be split, not refused: {e}");
    });
    assert!(!done.message_ids.is_empty(), "a split delivery must report its message ids");
    let seen = wait_for_text(h, &group, &tail).await;
    let joined: String = seen.concat();
    let (a, b) = (joined.find(&head), joined.find(&tail));
    assert!(a.is_some() && b.is_some() && a < b, "split text not whole and in order");
    let got: usize = seen.iter().map(|t| t.matches(SPLIT_SENTENCE).count()).sum();
    assert_eq!(got, count, "every sentence must arrive exactly once");
}

/// Runs every check in turn.
pub async fn run_all(h: &dyn Harness) {
    capabilities_are_stable(h).await;
    delivers_notice_with_footer(h).await;
    retried_delivery_is_not_posted_twice(h).await;
    delivers_direct_message(h).await;
    reply_comes_back_with_reference(h).await;
    long_message_arrives_whole(h).await;
    text_past_the_split_length_arrives_whole(h).await;
}
