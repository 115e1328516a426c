use serde_json::{json, Value};
use teloxide::types::Update;
use treecast_wire::{Address, InboundKind, Platform};

use super::*;

fn me() -> BotIdentity {
    BotIdentity { id: 777, username: "treecast_bot".into() }
}

fn update(v: Value) -> Update {
    // From text, as teloxide reads updates (from_value loses the kind).
    serde_json::from_str(&v.to_string()).expect("a valid Bot API update")
}

fn group() -> Value {
    json!({"id": -1001, "type": "group", "title": "一班团支部"})
}

fn student() -> Value {
    json!({"id": 42, "is_bot": false, "first_name": "小明", "last_name": "王"})
}

fn bot_user() -> Value {
    json!({"id": 777, "is_bot": true, "first_name": "Bot", "username": "treecast_bot"})
}

fn msg(chat: Value, from: Value, text: &str) -> Value {
    json!({"message_id": 5, "date": 1700000000, "chat": chat, "from": from, "text": text})
}

#[test]
fn group_message_with_reply_reference() {
    let mut m = msg(group(), student(), "已收到");
    m["reply_to_message"] = msg(group(), bot_user(), "通知");
    m["reply_to_message"]["message_id"] = json!(3);
    let ev = to_inbound(&update(json!({"update_id": 1, "message": m})), &me()).unwrap();
    assert_eq!(ev.kind, InboundKind::Message);
    assert_eq!(ev.chat, Address::group(Platform::Telegram, "-1001"));
    assert_eq!(ev.sender.id, "42");
    assert_eq!(ev.sender.display_name.as_deref(), Some("小明 王"));
    assert!(ev.sender.verified);
    assert_eq!(ev.message_id, "-1001:5");
    assert_eq!(ev.in_reply_to.as_deref(), Some("-1001:3"));
    assert_eq!(ev.text, "已收到");
    assert_eq!(ev.chat_title.as_deref(), Some("一班团支部"), "the group's title, for the naming check");
}

#[test]
fn private_message_is_direct() {
    let chat = json!({"id": 42, "type": "private", "first_name": "小明"});
    let ev = to_inbound(&update(json!({"update_id": 2, "message": msg(chat, student(), "/start survey-7")})), &me())
        .unwrap();
    assert_eq!(ev.chat, Address::direct(Platform::Telegram, "42"));
    assert_eq!(ev.text, "/start survey-7");
    assert_eq!(ev.in_reply_to, None);
}

#[test]
fn command_addressed_to_the_bot_loses_the_mention() {
    assert_eq!(strip_bot_mention("/bind@treecast_bot ABC123", "treecast_bot").as_deref(), Some("/bind ABC123"));
    assert_eq!(strip_bot_mention("/bind@TreeCast_Bot", "treecast_bot").as_deref(), Some("/bind"));
    assert_eq!(strip_bot_mention("/bind ABC123", "treecast_bot").as_deref(), Some("/bind ABC123"));
    assert_eq!(strip_bot_mention("hi @treecast_bot", "treecast_bot").as_deref(), Some("hi @treecast_bot"));
    assert_eq!(strip_bot_mention("/bind@other_bot ABC", "treecast_bot"), None);
    let ev = to_inbound(
        &update(json!({"update_id": 3, "message": msg(group(), student(), "/bind@treecast_bot ABC123")})),
        &me(),
    );
    assert_eq!(ev.unwrap().text, "/bind ABC123");
}

#[test]
fn own_and_other_bots_messages_are_ignored() {
    assert!(to_inbound(&update(json!({"update_id": 4, "message": msg(group(), bot_user(), "通知")})), &me()).is_none());
    let other = json!({"id": 9, "is_bot": true, "first_name": "Other"});
    assert!(to_inbound(&update(json!({"update_id": 5, "message": msg(group(), other, "hi")})), &me()).is_none());
}

#[test]
fn callback_query_is_a_button_press_on_its_message() {
    let mut on = msg(group(), bot_user(), "通知");
    on["message_id"] = json!(8);
    let u = json!({"update_id": 6, "callback_query": {
        "id": "cb1", "from": student(), "message": on, "chat_instance": "ci", "data": "ack:notice-1"}});
    let ev = to_inbound(&update(u), &me()).unwrap();
    assert_eq!(ev.kind, InboundKind::Button { data: "ack:notice-1".into() });
    assert_eq!(ev.chat, Address::group(Platform::Telegram, "-1001"));
    assert_eq!(ev.in_reply_to.as_deref(), Some("-1001:8"));
    assert_eq!(ev.message_id, "callback:cb1");
    assert_eq!(ev.sender.id, "42");
}

fn member_update(old: &str, new: &str) -> Value {
    json!({"update_id": 7, "my_chat_member": {
        "chat": group(), "from": student(), "date": 1700000000,
        "old_chat_member": {"user": bot_user(), "status": old},
        "new_chat_member": {"user": bot_user(), "status": new, "until_date": 0}}})
}

#[test]
fn bot_removed_from_group_is_removed() {
    for status in ["left", "kicked"] {
        let ev = to_inbound(&update(member_update("member", status)), &me()).unwrap();
        assert_eq!(ev.kind, InboundKind::Removed, "{status}");
        assert_eq!(ev.chat, Address::group(Platform::Telegram, "-1001"));
    }
    assert!(to_inbound(&update(member_update("left", "member")), &me()).is_none(), "added is not removed");
}

#[test]
fn migration_names_the_new_chat() {
    let mut m = json!({"message_id": 9, "date": 1700000000, "chat": group(), "from": student()});
    m["migrate_to_chat_id"] = json!(-1001234567890_i64);
    let ev = to_inbound(&update(json!({"update_id": 8, "message": m})), &me()).unwrap();
    assert_eq!(ev.kind, InboundKind::Migrated { new_id: "-1001234567890".into() });
    assert_eq!(ev.chat.id, "-1001");
}

#[test]
fn message_refs_round_trip() {
    assert_eq!(message_ref(-1001234567890, 17), "-1001234567890:17");
    assert_eq!(parse_message_ref("-1001234567890:17"), Some((-1001234567890, 17)));
    assert_eq!(parse_message_ref("17"), None);
    assert_eq!(parse_message_ref("x:y"), None);
}

#[test]
fn an_edited_message_names_the_original_and_each_edit_has_its_own_id() {
    let mut m = msg(group(), student(), "班会改到周四");
    m["edit_date"] = json!(1700000100);
    let ev = to_inbound(&update(json!({"update_id": 9, "edited_message": m.clone()})), &me()).unwrap();
    assert_eq!(ev.kind, InboundKind::Edited { original: "-1001:5".into() });
    assert_eq!((ev.message_id.as_str(), ev.text.as_str()), ("-1001:5@1700000100", "班会改到周四"));
    m["edit_date"] = json!(1700000200);
    let again = to_inbound(&update(json!({"update_id": 10, "edited_message": m})), &me()).unwrap();
    assert_ne!(again.message_id, ev.message_id, "a second edit is another event");
    let own = msg(group(), bot_user(), "通知");
    assert_eq!(to_inbound(&update(json!({"update_id": 11, "edited_message": own})), &me()), None);
}
