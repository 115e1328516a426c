//! The wire conformance suite against the real peer: Postfix delivers to
//! Dovecot, the harness reads the recipients' mailboxes over IMAP.

mod support;

use std::sync::Arc;

use support::*;
use treecast_email::EmailAdapter;
use treecast_wire::conformance::{run_all, Harness};
use treecast_wire::{Adapter, Address, ChatKind, Platform};

const LIST: &str = "branch-a@example.test";
const MEMBERS: [&str; 2] = ["branch-a1@example.test", "branch-a2@example.test"];
const DIRECT: &str = "student1@example.test";

struct PeerHarness {
    adapter: Arc<EmailAdapter>,
}

/// The mailbox a chat's user reads: the first list member, or the DM address.
fn reader(chat: &Address) -> String {
    let addr = if chat.kind == ChatKind::List { chat.members[0].as_str() } else { chat.id.as_str() };
    addr.split('@').next().unwrap().to_owned()
}

#[async_trait::async_trait]
impl Harness for PeerHarness {
    fn adapter(&self) -> Arc<dyn Adapter> {
        self.adapter.clone()
    }

    async fn group(&self) -> Address {
        Address::list(LIST, MEMBERS.iter().map(|m| m.to_string()).collect())
    }

    async fn direct(&self) -> Address {
        Address::direct(Platform::Email, DIRECT)
    }

    async fn seen_in(&self, chat: &Address) -> Vec<String> {
        messages(&reader(chat), "INBOX").await.iter().map(|m| readable(m)).collect()
    }

    async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>) {
        let user = reader(chat);
        let from = format!("{user}@example.test");
        let extra = reply_to.map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n")).unwrap_or_default();
        send_raw(&from, &[BOT], &utf8_mail(&from, BOT, "Re: 通知", text, &extra)).await;
    }

    fn dedupes(&self) -> bool {
        true
    }
}

#[tokio::test]
#[ignore = "needs the email peer: scripts/peers/email.sh start"]
async fn email_adapter_passes_conformance() {
    let _bot = BOT_MAILBOX.lock().await;
    for user in ["bot", "branch-a1", "branch-a2", "student1"] {
        reset(user, &["INBOX"]).await;
    }
    let state = tempfile::tempdir().unwrap();
    let adapter = EmailAdapter::with_passwords(bot_settings(state.path()), Some("botpass".into()), None).unwrap();
    let h = PeerHarness { adapter: Arc::new(adapter) };
    run_all(&h).await;
    // The second member got every list mail too, once.
    let first = messages("branch-a1", "INBOX").await.len();
    let second = wait_count("branch-a2", "INBOX", first, h.patience()).await.len();
    assert_eq!(first, second, "both list members receive the same mails");
}
