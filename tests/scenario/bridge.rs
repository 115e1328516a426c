//! The bridge step (issue 21): 湖南大学's branch A shares its Telegram
//! group, an encrypted Matrix room and a mailing list. Each message, reply,
//! edit and list member's mail reaches the other two chats once, and the
//! bot's own copies are never carried back.

use std::time::Duration;

use serde_json::Value;
use treecast_matrix::matrix_sdk::ruma::{OwnedEventId, RoomId};
use treecast_matrix::matrix_sdk::RoomState;
use treecast_wire::{Address, Platform};

use super::mail::{self, Draft, Mail};
use super::poll;
use super::setup::*;
use super::telegram::text;

/// The events of a room's timeline that replace `target`: (sender, new body), newest first.
fn replacements(timeline: &[(Value, bool)], target: &OwnedEventId) -> Vec<(String, String)> {
    let relates = |e: &Value| {
        let r = &e["content"]["m.relates_to"];
        r["rel_type"] == "m.replace" && r["event_id"] == target.as_str()
    };
    let body = |e: &Value| e["content"]["m.new_content"]["body"].as_str().unwrap_or_default().to_owned();
    let sender = |e: &Value| e["sender"].as_str().unwrap_or_default().to_owned();
    timeline.iter().filter(|(e, _)| relates(e)).map(|(e, _)| (sender(e), body(e))).collect()
}

/// The bridge's mails to list A in `user`'s inbox, oldest first.
async fn list_a_mails(user: &str, subject_head: &str) -> Vec<Mail> {
    mail::inbox(user).await.into_iter().filter(|m| m.subject().starts_with(subject_head)).collect()
}

impl Scenario {
    /// 群间互通: branch A (Telegram group A) also gets an encrypted Matrix
    /// room made by 赵敏 and the list branch-a@; 湘老师 turns bridging on
    /// from his Matrix DM. 李明's line, 赵敏's reply, 李明's edit and a list
    /// member's mail each reach the other two chats, threaded, once.
    pub async fn a_branch_bridges_its_telegram_group_encrypted_room_and_list(&mut self) {
        self.step("11. 群间互通: branch A gets an encrypted Matrix room and list A; 湘老师 turns bridging on");
        let branch = self.branches[0].clone();
        let bot = self.bot_uid();
        let room = self.zhao.create_encrypted_room(&branch.name, std::slice::from_ref(&bot)).await;
        let (mx, r) = (&self.mx, &room);
        let joined = poll("the bot joins branch A's encrypted room", Duration::from_secs(30), || async move {
            mx.client().get_room(r).filter(|r| r.state() == RoomState::Joined)
        })
        .await;
        assert!(joined.latest_encryption_state().await.unwrap().is_encrypted(), "the room is encrypted");
        self.tree.bind(&branch, Address::group(Platform::Matrix, room.as_str())).unwrap();
        let members = LIST_MEMBERS.iter().map(|u| format!("{u}@{}", mail::DOMAIN)).collect();
        self.tree.bind(&branch, Address::list(LIST_A, members)).unwrap();
        self.tg.privacy(false).await;
        let on = self.xiang_asks(&format!("!bridge on @{}", branch.code), "群间互通已开启").await;
        eprintln!("{on}");
        let head = format!("{} {} 的群间互通已开启：以下 3 个群", branch.code, branch.name);
        for part in [
            head.as_str(),
            "Bridging is on",
            &format!(" telegram:{GROUP_A}"),
            &format!(" matrix:{room}"),
            &format!(" email:list:{LIST_A}"),
        ] {
            assert!(on.contains(part), "the answer lacks {part:?}: {on}");
        }

        self.step("   李明 says a line in Telegram group A: it reaches the encrypted room and list A");
        let line = format!("今晚七点在图书馆三楼开班会（{}）", self.run % 100_000);
        let li_msg = self.tg.say(LI, Some(GROUP_A), &line, None).await;
        let li_copy = format!("[李明 · Telegram] {line}");
        let (copy_in_room, _) = self.zhao.wait_for(&room, "李明's line in the encrypted room", |b| b == li_copy).await;
        let shown = self.zhao.timeline(&room, 20).await;
        let came =
            shown.iter().find(|(e, _)| e["event_id"] == copy_in_room.as_str()).expect("the copy in the timeline");
        assert!(came.1 && came.0["sender"] == bot.as_str(), "the bot's copy, sent encrypted: {came:?}");
        let subject_head = format!("【{}】", branch.name);
        let mut on_list = Vec::new();
        for member in LIST_MEMBERS {
            let m = mail::wait_for(member, "李明's line on list A", |m| m.text.contains(&li_copy)).await;
            assert!(m.subject().starts_with(&subject_head), "subject {:?}", m.subject());
            assert!(m.header("List-Id").contains("branch-a"), "list mail has a List-Id: {:?}", m.headers);
            assert!(m.text.contains("回复本邮件即可发到"), "{}", m.text);
            on_list.push(m);
        }
        let li_mail = on_list.remove(0);
        assert_eq!(on_list[0].id(), li_mail.id(), "one mail to the list");

        self.step("   赵敏 replies to the copy in Matrix: a reply to 李明's message in Telegram, threaded on list A");
        let answer = "收到，我带投影仪。";
        self.zhao.reply(&room, &copy_in_room, answer).await;
        let zhao_copy = format!("[赵敏 · Matrix] {answer}");
        let in_tg = self.tg.wait_for(GROUP_A, "赵敏's reply in Telegram group A", |m| text(m) == zhao_copy).await;
        assert_eq!(in_tg["reply_to_message"]["message_id"].as_i64(), Some(li_msg), "{in_tg}");
        let zhao_mail =
            mail::wait_for(LIST_MEMBERS[1], "赵敏's reply on list A", |m| m.text.contains(&zhao_copy)).await;
        assert_eq!(zhao_mail.in_reply_to(), li_mail.id(), "threaded under the list's copy of 李明's line");
        assert!(zhao_mail.subject().starts_with(&subject_head), "{}", zhao_mail.subject());

        self.step("   李明 edits his line: the Matrix copy is replaced, list A gets a correction");
        let fixed = line.replace("七点", "八点");
        self.tg.edit(LI, GROUP_A, li_msg, &fixed).await;
        let li_fixed = format!("[李明 · Telegram] {fixed}");
        let (zhao, r, copy) = (&self.zhao, &room, &copy_in_room);
        let edits = poll("the edit of the copy in the room's timeline", Duration::from_secs(30), || async move {
            let e = replacements(&zhao.timeline(r, 30).await, copy);
            (!e.is_empty()).then_some(e)
        })
        .await;
        assert_eq!(edits, [(bot.to_string(), li_fixed.clone())], "one m.replace of the copy, by the bot");
        let fix =
            mail::wait_for(LIST_MEMBERS[1], "the correction on list A", |m| m.text.contains("【更正 Correction】"))
                .await;
        assert!(fix.text.contains(&format!("【更正 Correction】 {li_fixed}")), "{}", fix.text);
        assert_eq!(fix.in_reply_to(), li_mail.id(), "threaded under the corrected mail");

        self.step("   a list member answers the list's copy by mail: it reaches group A and the room");
        let member = format!("{}@{}", LIST_MEMBERS[0], mail::DOMAIN);
        let said = "我也参加，签到表我来准备。";
        let body = format!("{said}\n\n{}", li_mail.quoted());
        let reply = Draft {
            from: &member,
            to: BOT,
            subject: &format!("Re: {}", li_mail.subject()),
            text: &body,
            in_reply_to: Some(&li_mail.id()),
        };
        let sent = mail::send_signed_in(&reply, "孙丽").await;
        let mail_copy = format!("[孙丽 · Email] {said}");
        let in_tg = self.tg.wait_for(GROUP_A, "the member's mail in Telegram group A", |m| text(m) == mail_copy).await;
        assert_eq!(in_tg["reply_to_message"]["message_id"].as_i64(), Some(li_msg), "{in_tg}");
        let (in_room, _) = self.zhao.wait_for(&room, "the member's mail in the room", |b| b == mail_copy).await;
        let shown = self.zhao.timeline(&room, 30).await;
        let ev = &shown.iter().find(|(e, _)| e["event_id"] == in_room.as_str()).expect("in the timeline").0;
        let parent = &ev["content"]["m.relates_to"]["m.in_reply_to"]["event_id"];
        assert_eq!(parent, copy_in_room.as_str(), "a reply to the copy of 李明's line: {ev}");
        let back =
            mail::wait_for(LIST_MEMBERS[1], "the member's mail on list A", |m| m.text.contains(&mail_copy)).await;
        assert_eq!(back.in_reply_to(), li_mail.id());
        assert_ne!(back.id(), sent, "the list's own copy, from the bot");

        self.step("   nothing carried twice, nothing carried back");
        // Long enough for a copy carried back to come round again: a
        // Telegram poll, a Matrix sync, a mailbox poll.
        tokio::time::sleep(Duration::from_secs(6)).await;
        self.bridged_once(&room, &[li_copy, zhao_copy, mail_copy], &subject_head).await;
    }

    /// Each of `lines` (李明's, 赵敏's, the member's copies) is in every
    /// chat but its own once, no other labelled line is, and list A got
    /// each once (with the correction).
    async fn bridged_once(&self, room: &RoomId, lines: &[String; 3], subject_head: &str) {
        let [li, zhao, member] = lines;
        let labelled = |t: &str| {
            t.starts_with('[') && [" · Telegram] ", " · Matrix] ", " · Email] "].iter().any(|p| t.contains(p))
        };
        let tg: Vec<String> =
            self.tg.sent(GROUP_A).await.iter().map(|m| text(m).to_owned()).filter(|t| labelled(t)).collect();
        assert_eq!(tg, [zhao.clone(), member.clone()], "group A: each once, 李明's own line never");
        let seen: Vec<String> = self.zhao.seen(room).into_iter().map(|(_, b)| b).collect();
        let in_room: Vec<&String> = seen.iter().filter(|b| labelled(b)).collect();
        assert_eq!(in_room, [li, member], "the room: each once, 赵敏's own reply never: {seen:#?}");
        assert_eq!(seen.iter().filter(|b| b.contains(" · Telegram] ")).count(), 2, "the copy and its edit: {seen:#?}");
        for user in LIST_MEMBERS {
            let got: Vec<String> = list_a_mails(user, subject_head).await.into_iter().map(|m| m.text).collect();
            let has = |s: &str| got.iter().filter(|t| t.contains(s)).count();
            assert_eq!(got.len(), 4, "{user}: 李明's line, 赵敏's reply, the correction, the member's mail: {got:#?}");
            assert_eq!((has(li), has(zhao), has("【更正 Correction】"), has(member)), (1, 1, 1, 1), "{user}: {got:#?}");
        }
    }
}
