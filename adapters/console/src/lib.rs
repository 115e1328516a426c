//! The console adapter: the embedded default. It prints what each chat sees
//! and, in `serve`, reads people's messages from standard input as
//! `user@chat: text` (a group), `user: text` (a private chat), with
//! `^MSGID` before the colon to reply to a message the bot printed.
//! It can also keep a delivery log that survives a crash, and de-duplicates
//! by delivery id, as a real platform with idempotent sends would.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use tokio::sync::mpsc;
use treecast_wire::{
    shutdown_signalled, Adapter, AdapterError, Address, ButtonAction, Capabilities, ChatKind, Delivered, DeliveryError,
    Inbound, InboundEnvelope, Outbound, Platform, Shutdown,
};

/// The `[console]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Print nothing (benchmarks, crash tests).
    #[serde(default)]
    pub quiet: bool,
    /// Read people's messages from standard input.
    #[serde(default)]
    pub stdin: bool,
    /// Append every distinct delivery to this file (`id<TAB>address`), and
    /// read it back at start so a restarted process still de-duplicates.
    #[serde(default)]
    pub record: Option<PathBuf>,
    /// Print only these chats (by id); every chat when absent.
    #[serde(default)]
    pub show_only: Option<Vec<String>>,
}

/// What the console does: plain text in a box, private and group chats, and
/// replies by `^MSGID` (see the module docs).
pub const CAPABILITIES: Capabilities = Capabilities {
    // Buttons are printed as `[label]` lines, but stdin has no way to press one.
    buttons: false,
    reactions: false,
    subjects: false,
    // `user ^m7: text` replies to m7; the bot's own `in_reply_to` is not printed.
    threads: true,
    // `StartPrivate` is printed as "(send /start <payload> to the bot)".
    deep_links: false,
    edits: false,
    // `user: text` is a private chat; `Direct` deliveries print as 私聊.
    private_chats: true,
    // One box per delivery, however long.
    max_message_chars: 0,
    group_messages_per_minute: 0,
    // A group's picture and description are printed.
    branding: true,
};

pub struct ConsoleAdapter {
    settings: Settings,
    state: Mutex<State>,
    next: AtomicU64,
}

#[derive(Default)]
struct State {
    delivered: HashMap<String, Delivered>,
    log: Option<std::fs::File>,
    printed: Vec<String>,
}

impl ConsoleAdapter {
    pub fn new(settings: Settings) -> Result<ConsoleAdapter, AdapterError> {
        let mut state = State::default();
        if let Some(path) = &settings.record {
            let err = |e: std::io::Error| AdapterError::new(Platform::Console, format!("{}: {e}", path.display()));
            if path.exists() {
                let f = std::fs::File::open(path).map_err(err)?;
                for line in std::io::BufReader::new(f).lines() {
                    let line = line.map_err(err)?;
                    if let Some((id, rest)) = line.split_once('\t') {
                        let msg = rest.rsplit('\t').next().unwrap_or("").to_owned();
                        state.delivered.insert(id.to_owned(), Delivered { message_ids: vec![msg] });
                    }
                }
            }
            state.log = Some(OpenOptions::new().create(true).append(true).open(path).map_err(err)?);
        }
        let next = state.delivered.len() as u64 + 1;
        Ok(ConsoleAdapter { settings, state: Mutex::new(state), next: AtomicU64::new(next) })
    }

    /// Everything printed so far (the demo and tests read it).
    pub fn transcript(&self) -> Vec<String> {
        self.state.lock().unwrap().printed.clone()
    }

    pub fn delivered_count(&self) -> usize {
        self.state.lock().unwrap().delivered.len()
    }
}

/// How a chat shows a message: a box with the chat's name, the message id to
/// reply to, title, body, footer and buttons.
pub fn render(msg: &Outbound, message_id: &str) -> String {
    let place = match msg.to.kind {
        ChatKind::Group => format!("群 {}", msg.to.id),
        ChatKind::Direct => format!("私聊 {}", msg.to.id),
        ChatKind::List => format!("邮件列表 {}", msg.to.id),
    };
    let mut s = format!("┌─ {place}  [{message_id}]\n");
    if msg.kind == treecast_wire::OutboundKind::Brand {
        // Not a message: what the chat's picture and description became.
        for a in msg.attachments.iter() {
            s.push_str(&format!("│ 〔群头像 picture: {} ({} bytes)〕\n", a.name, a.data.len()));
        }
        for line in msg.body.lines() {
            s.push_str(&format!("│ 〔群简介 description〕{line}\n"));
        }
        s.push_str("└─");
        return s;
    }
    if let Some(t) = &msg.title {
        s.push_str(&format!("│ 【{t}】\n"));
    }
    for line in msg.body.lines() {
        s.push_str(&format!("│ {line}\n"));
    }
    if let Some(f) = &msg.footer {
        s.push_str(&format!("│ —— {f}\n"));
    }
    for b in &msg.buttons {
        let how = match &b.action {
            ButtonAction::Callback(_) => String::new(),
            ButtonAction::Url(u) => format!(" {u}"),
            ButtonAction::StartPrivate(p) => format!(" (send /start {p} to the bot)"),
        };
        s.push_str(&format!("│ [{}]{how}\n", b.label));
    }
    s.push('└');
    s.push('─');
    s
}

#[async_trait::async_trait]
impl Adapter for ConsoleAdapter {
    fn platform(&self) -> Platform {
        Platform::Console
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let mut st = self.state.lock().unwrap();
        if let Some(done) = st.delivered.get(&msg.id) {
            return Ok(done.clone());
        }
        let mid = format!("m{}", self.next.fetch_add(1, Ordering::Relaxed));
        if let Some(log) = st.log.as_mut() {
            // One write per line: appends of this size are atomic, and the
            // kernel keeps them if the process is killed right after.
            let line = format!("{}\t{}\t{mid}\n", msg.id, msg.to);
            log.write_all(line.as_bytes()).map_err(|e| DeliveryError::transient(format!("delivery log: {e}")))?;
        }
        let done = Delivered { message_ids: vec![mid.clone()] };
        st.delivered.insert(msg.id.clone(), done.clone());
        let shown = self.settings.show_only.as_ref().is_none_or(|ids| ids.contains(&msg.to.id));
        if !self.settings.quiet && shown {
            let text = render(msg, &mid);
            println!("{text}");
            st.printed.push(text);
        }
        Ok(done)
    }

    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, mut shutdown: Shutdown) -> Result<(), AdapterError> {
        if !self.settings.stdin {
            shutdown_signalled(&mut shutdown).await;
            return Ok(());
        }
        // A thread of its own reads stdin: tokio's stdin reads on a blocking
        // task that the runtime waits for at shutdown, so `serve` would not
        // stop on SIGTERM until someone typed a line. This thread is left
        // blocked when the process ends.
        let (tx, mut lines) = mpsc::channel::<std::io::Result<String>>(16);
        std::thread::Builder::new()
            .name("console-stdin".into())
            .spawn(move || {
                for line in std::io::stdin().lines() {
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| AdapterError::new(Platform::Console, e.to_string()))?;
        loop {
            let line = tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => return Ok(()),
                l = lines.recv() => l.transpose().map_err(|e| AdapterError::new(Platform::Console, e.to_string()))?,
            };
            let Some(line) = line else { return Ok(()) };
            match parse_line(&line) {
                Some(ev) => {
                    if inbound.send(InboundEnvelope::new(ev)).await.is_err() {
                        return Ok(());
                    }
                }
                None if line.trim().is_empty() => {}
                None => {
                    eprintln!("console: write `user@group: text`, `user: text`, or `user ^m12: text` to reply to m12")
                }
            }
        }
    }
}

/// `user@chat ^m3: text` -> an inbound message.
pub fn parse_line(line: &str) -> Option<Inbound> {
    let (head, text) = line.split_once(':')?;
    let mut words = head.split_whitespace();
    let who = words.next()?;
    let reply = words.next().and_then(|w| w.strip_prefix('^')).map(str::to_owned);
    let (user, chat) = match who.split_once('@') {
        Some((u, c)) => (u, Address::group(Platform::Console, c)),
        None => (who, Address::direct(Platform::Console, who)),
    };
    let mut ev = Inbound::text(chat, user, text.trim());
    ev.in_reply_to = reply;
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use treecast_wire::conformance::{self, Harness};

    #[test]
    fn parses_group_direct_and_reply_lines() {
        let ev = parse_line("li@计算机1班团支部 ^m7: 收到").unwrap();
        assert_eq!(ev.chat, Address::group(Platform::Console, "计算机1班团支部"));
        assert_eq!((ev.sender.id.as_str(), ev.text.as_str(), ev.in_reply_to.as_deref()), ("li", "收到", Some("m7")));
        let ev = parse_line("wang: /help").unwrap();
        assert_eq!(ev.chat.kind, ChatKind::Direct);
        assert!(parse_line("no colon here").is_none());
    }

    #[tokio::test]
    async fn capabilities_match_what_is_printed_and_read() {
        use treecast_wire::{Button, InboundKind};
        let a = ConsoleAdapter::new(Settings { quiet: true, ..Default::default() }).unwrap();
        let caps = a.capabilities();
        assert_eq!(caps, CAPABILITIES);
        let mut msg = Outbound::reply("d", Address::direct(Platform::Console, "li"), "请按时参加。\n".repeat(5000));
        msg.buttons = vec![
            Button { label: "收到".into(), action: ButtonAction::Callback("ack:1".into()) },
            Button { label: "填写".into(), action: ButtonAction::StartPrivate("survey-9".into()) },
        ];
        let shown = render(&msg, "m1");
        assert!(shown.starts_with("┌─ 私聊 li"), "a private chat");
        assert_eq!(caps.max_message_chars, 0);
        assert_eq!(shown.matches("请按时参加。").count(), 5000, "one box, however long");
        assert!(!caps.deep_links && shown.contains("(send /start survey-9 to the bot)"));
        // A button is printed, but what a person types is always a message.
        assert!(!caps.buttons && shown.contains("│ [收到]"));
        let typed = parse_line("li ^m1: [收到]").unwrap();
        assert_eq!(typed.kind, InboundKind::Message);
        assert_eq!(caps.threads, typed.in_reply_to.as_deref() == Some("m1"), "replies name the message");
        assert_eq!(a.deliver(&msg).await.unwrap().message_ids.len(), 1);
    }

    #[tokio::test]
    async fn the_delivery_log_survives_a_restart_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { quiet: true, record: Some(dir.path().join("log.tsv")), ..Default::default() };
        let msg = Outbound::reply("n1-c2", Address::group(Platform::Console, "g"), "hi");
        let first = ConsoleAdapter::new(settings.clone()).unwrap().deliver(&msg).await.unwrap();
        let again = ConsoleAdapter::new(settings.clone()).unwrap();
        assert_eq!(again.deliver(&msg).await.unwrap(), first, "same message id after restart");
        let log = std::fs::read_to_string(dir.path().join("log.tsv")).unwrap();
        assert_eq!(log.lines().count(), 1);
    }

    /// The console adapter passes the same conformance suite as the others.
    struct ConsoleHarness {
        adapter: std::sync::Arc<ConsoleAdapter>,
        injected: Slot,
    }

    type Slot = std::sync::Arc<tokio::sync::Mutex<Option<mpsc::Sender<InboundEnvelope>>>>;

    #[async_trait::async_trait]
    impl Harness for ConsoleHarness {
        fn adapter(&self) -> std::sync::Arc<dyn Adapter> {
            // The console's "platform" is its own stdin; the harness wraps
            // run() so user_says can feed it.
            std::sync::Arc::new(Tap { inner: self.adapter.clone(), slot: self.injected.clone() })
        }
        async fn group(&self) -> Address {
            Address::group(Platform::Console, "测试群")
        }
        async fn direct(&self) -> Address {
            Address::direct(Platform::Console, "student")
        }
        async fn seen_in(&self, chat: &Address) -> Vec<String> {
            let place = match chat.kind {
                ChatKind::Group => format!("群 {}", chat.id),
                _ => format!("私聊 {}", chat.id),
            };
            self.adapter
                .transcript()
                .into_iter()
                .filter(|t| t.lines().next().is_some_and(|l| l.contains(&place)))
                .collect()
        }
        async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>) {
            let mut ev = Inbound::text(chat.clone(), "student", text);
            ev.in_reply_to = reply_to.map(str::to_owned);
            let tx = self.injected.lock().await.clone().expect("adapter running");
            tx.send(InboundEnvelope::new(ev)).await.unwrap();
        }
        fn dedupes(&self) -> bool {
            true
        }
    }

    /// Forwards delivery to the console adapter and exposes run()'s sender.
    struct Tap {
        inner: std::sync::Arc<ConsoleAdapter>,
        slot: Slot,
    }

    #[async_trait::async_trait]
    impl Adapter for Tap {
        fn platform(&self) -> Platform {
            Platform::Console
        }
        fn capabilities(&self) -> Capabilities {
            self.inner.capabilities()
        }
        async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
            self.inner.deliver(msg).await
        }
        async fn run(
            &self,
            inbound: mpsc::Sender<InboundEnvelope>,
            mut shutdown: Shutdown,
        ) -> Result<(), AdapterError> {
            *self.slot.lock().await = Some(inbound);
            shutdown_signalled(&mut shutdown).await;
            Ok(())
        }
    }

    #[tokio::test]
    async fn console_passes_conformance() {
        let h = ConsoleHarness {
            adapter: std::sync::Arc::new(ConsoleAdapter::new(Settings { quiet: false, ..Default::default() }).unwrap()),
            injected: Default::default(),
        };
        conformance::run_all(&h).await;
    }
}
