//! The Telegram emulator's user side (`/_control`): a fresh bot per run,
//! groups with the bot in them, people who speak, and what the bot posted.

use std::time::Duration;

use serde_json::{json, Value};
use treecast_matrix::matrix_sdk::reqwest;

use super::poll;

/// One person on Telegram.
#[derive(Clone, Copy)]
pub struct TgUser {
    pub id: i64,
    pub name: &'static str,
}

pub struct Emulator {
    http: reqwest::Client,
    base: String,
    pub token: String,
}

impl Emulator {
    /// A bot of its own for this run: the emulator keeps bots apart by token.
    pub fn new(base: String, run: u64) -> Emulator {
        Emulator { http: reqwest::Client::new(), base, token: format!("{run}:scenario") }
    }

    async fn call(&self, req: reqwest::RequestBuilder, route: &str) -> Value {
        let bytes =
            req.send().await.unwrap_or_else(|e| panic!("telegram emulator {route}: {e}")).bytes().await.unwrap();
        let r: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("telegram emulator {route}: {e}"));
        assert_eq!(r["ok"], json!(true), "telegram emulator {route} failed: {r}");
        r["result"].clone()
    }

    async fn post(&self, route: &str, mut body: Value) -> Value {
        body["token"] = json!(self.token);
        let req = self
            .http
            .post(format!("{}/_control/{route}", self.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
        self.call(req, route).await
    }

    /// Adds the bot to group `chat_id`.
    pub async fn group(&self, chat_id: i64, title: &str) {
        self.post("group", json!({"chat_id": chat_id, "title": title, "type": "supergroup"})).await;
    }

    /// Turns the bot's privacy mode on or off (off: it sees all group chatter).
    pub async fn privacy(&self, on: bool) {
        let r = self.post("bot", json!({"privacy": on})).await;
        assert_eq!(r["privacy"], json!(on), "{r}");
    }

    /// `who` posts `text`: in group `chat` or, with None, in their private
    /// chat with the bot; as a reply to message `reply_to` if given.
    /// Returns the message's id.
    pub async fn say(&self, who: TgUser, chat: Option<i64>, text: &str, reply_to: Option<i64>) -> i64 {
        let mut body = json!({"from": {"id": who.id, "first_name": who.name}, "text": text});
        if let Some(c) = chat {
            body["chat_id"] = json!(c);
        }
        if let Some(m) = reply_to {
            body["reply_to_message_id"] = json!(m);
        }
        self.post("message", body).await["message"]["message_id"].as_i64().expect("a message id")
    }

    /// `who` changes their message `message_id` in group `chat` to `text`.
    pub async fn edit(&self, who: TgUser, chat: i64, message_id: i64, text: &str) {
        let from = json!({"id": who.id, "first_name": who.name});
        let body = json!({"chat_id": chat, "message_id": message_id, "from": from, "text": text});
        let r = self.post("edit", body).await;
        assert!(r["update_id"].is_number(), "the bot gets the edit: {r}");
    }

    /// What the bot posted in `chat`, oldest first.
    pub async fn sent(&self, chat: i64) -> Vec<Value> {
        let url = format!("{}/_control/sent?token={}&chat_id={chat}", self.base, self.token);
        self.call(self.http.get(url), "sent").await.as_array().cloned().unwrap_or_default()
    }

    /// Waits for a message of the bot in `chat` that `pick` accepts.
    pub async fn wait_for(&self, chat: i64, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let pick = &pick;
        poll(what, Duration::from_secs(30), || async move { self.sent(chat).await.into_iter().find(|m| pick(m)) }).await
    }

    /// Waits for the bot's next message in `chat` after the first `seen`.
    pub async fn next_after(&self, chat: i64, seen: usize, what: &str) -> Value {
        poll(what, Duration::from_secs(30), || async move { self.sent(chat).await.into_iter().nth(seen) }).await
    }
}

/// The text of a message the bot posted.
pub fn text(m: &Value) -> &str {
    m["text"].as_str().unwrap_or_default()
}
