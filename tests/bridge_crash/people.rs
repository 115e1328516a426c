//! The people of the bridge crash test and what they see: 李明 in the
//! Telegram group, 赵敏 in the encrypted Matrix room, the list members by
//! mail (signed in on the submission port, so the bot trusts the sender).

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use treecast_matrix::matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use treecast_matrix::matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use treecast_matrix::matrix_sdk::ruma::events::room::member::MembershipState;
use treecast_matrix::matrix_sdk::ruma::events::InitialStateEvent;
use treecast_matrix::matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};

use super::emulator::control;
use super::{env_port, mail, matrix, poll, unique, BOT_MAIL_DOMAIN, LI_ID, MEMBERS};

/// Where a message was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Telegram,
    Matrix,
    Mail,
}

pub const SIDES: [Side; 3] = [Side::Telegram, Side::Matrix, Side::Mail];

/// One message a person wrote: its unique token, where, and whether serve
/// was down at the time.
pub struct Written {
    pub token: String,
    pub side: Side,
    pub down: bool,
}

/// The peers' side of the world: who writes where, and what each chat shows.
pub struct People {
    pub api: String,
    pub tg_token: String,
    pub group: i64,
    pub user: matrix::User,
    pub room: OwnedRoomId,
    /// The mailing list's channel id: members write to `bridge+<id>@bridge.test`.
    pub list: u64,
    pub run: u64,
}

impl People {
    pub async fn write(&self, side: Side, n: usize) -> String {
        let letter = match side {
            Side::Telegram => 'T',
            Side::Matrix => 'M',
            Side::Mail => 'E',
        };
        // Fixed width and an end mark: no token is a part of another.
        let token = format!("BR{}{letter}{n:03}Z", self.run % 1_000_000);
        let text = format!("互通测试第{n}条 {token}");
        match side {
            Side::Telegram => {
                let from = json!({"id": LI_ID, "first_name": "李明"});
                let body = json!({"token": self.tg_token, "chat_id": self.group, "from": from, "text": text});
                control(&self.api, "POST", "message", Some(body)).await;
            }
            Side::Matrix => self.user.say(&self.room, &text).await,
            Side::Mail => {
                let member = MEMBERS[n % MEMBERS.len()];
                let to = format!("bridge+{}@{BOT_MAIL_DOMAIN}", self.list);
                submit(member, &to, &format!("互通测试 {n}"), &text).await;
            }
        }
        token
    }

    /// Every message the bot posted in the Telegram group.
    pub async fn telegram(&self) -> Chat {
        let sent =
            control(&self.api, "GET", &format!("sent?token={}&chat_id={}", self.tg_token, self.group), None).await;
        let text = |m: &serde_json::Value| m["text"].as_str().unwrap_or_default().to_owned();
        sent.as_array().into_iter().flatten().map(|m| (m["message_id"].to_string(), text(m))).collect()
    }

    /// Every message others (the bot) posted in the Matrix room, as the
    /// Matrix user's client decrypted it.
    pub fn matrix(&self) -> Chat {
        self.user.seen(&self.room).into_iter().map(|(id, body)| (id.to_string(), body)).collect()
    }

    /// Every mail in each list member's inbox.
    pub async fn mailboxes(&self) -> Vec<Chat> {
        let mut out = Vec::new();
        for m in MEMBERS {
            out.push(mail::inbox(m).await.into_iter().map(|m| (m.id(), m.text)).collect());
        }
        out
    }
}

/// What one chat shows: (the platform's id of a message, its text).
pub type Chat = Vec<(String, String)>;

/// How often `token` appears in `chat` (a merged Telegram message holds several).
pub fn count(chat: &Chat, token: &str) -> usize {
    chat.iter().map(|(_, t)| t.matches(token).count()).sum()
}

/// The ids of the messages in `chat` that hold `token`.
pub fn holders(chat: &Chat, token: &str) -> Vec<String> {
    chat.iter().filter(|(_, t)| t.contains(token)).map(|(id, _)| id.clone()).collect()
}

/// Sends mail through the submission port, logged in as `user` (From:
/// `user@example.test`), so it arrives with a trusted `Authentication-Results`.
async fn submit(user: &str, to: &str, subject: &str, text: &str) {
    let from = format!("{user}@{}", mail::DOMAIN);
    let port = env_port("TREECAST_TEST_SUBMISSION_PORT", 2587);
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("SMTP submission port; is the email peer running?");
    let mut s = BufReader::new(tcp);
    reply(&mut s, "220").await;
    let auth = mail::b64(format!("\0{user}\0{user}pass").as_bytes());
    let id = unique("br");
    let data = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <{id}@{}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n.\r\n",
        mail::b64(subject.as_bytes()),
        mail::DOMAIN
    );
    for (cmd, code) in [
        ("EHLO bridge-crash.test".to_owned(), "250"),
        (format!("AUTH PLAIN {auth}"), "235"),
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_owned(), "354"),
        (data, "250"),
        ("QUIT".to_owned(), "221"),
    ] {
        let line = if cmd.ends_with("\r\n.\r\n") { cmd } else { format!("{cmd}\r\n") };
        s.get_mut().write_all(line.as_bytes()).await.unwrap();
        reply(&mut s, code).await;
    }
}

/// Reads one (possibly multi-line) SMTP reply and checks its code.
async fn reply(s: &mut BufReader<TcpStream>, code: &str) {
    loop {
        let mut line = String::new();
        s.read_line(&mut line).await.unwrap();
        assert!(line.starts_with(code), "SMTP: wanted {code}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            return;
        }
    }
}

/// 赵敏's encrypted room, with the bot invited.
pub async fn encrypted_room(user: &matrix::User, bot: &OwnedUserId) -> OwnedRoomId {
    let mut req = CreateRoom::new();
    req.invite = vec![bot.clone()];
    req.name = Some("计算机2023级1班团支部".to_owned());
    req.preset = Some(RoomPreset::PrivateChat);
    req.initial_state =
        vec![InitialStateEvent::with_empty_state_key(RoomEncryptionEventContent::with_recommended_defaults())
            .to_raw_any()];
    user.client.create_room(req).await.expect("an encrypted room is created").room_id().to_owned()
}

/// Waits until 赵敏's client sees the bot joined (so her messages are
/// encrypted for the bot's device too).
pub async fn bot_joins(user: &matrix::User, room: &OwnedRoomId, bot: &OwnedUserId) {
    poll("the bot joins the encrypted room", Duration::from_secs(60), || async move {
        let r = user.client.get_room(room)?;
        let m = r.get_member_no_sync(bot).await.ok()??;
        (*m.membership() == MembershipState::Join).then_some(())
    })
    .await;
}
