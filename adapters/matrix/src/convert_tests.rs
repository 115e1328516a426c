//! The conversion on events as Synapse sends them.

use super::*;
use serde_json::json;

fn room(direct: bool) -> RoomView {
    RoomView { own_user: "@bot:localhost".into(), room_id: "!branch:localhost".into(), joined: true, direct }
}

fn message_event(sender: &str, content: serde_json::Value) -> OriginalSyncRoomMessageEvent {
    serde_json::from_value(json!({
        "type": "m.room.message", "event_id": "$m1:localhost", "sender": sender,
        "origin_server_ts": 1_700_000_000_000u64, "content": content,
    }))
    .expect("a valid message event")
}

#[test]
fn a_group_message_is_addressed_to_the_room_and_a_dm_to_the_person() {
    let ev = message_event("@stu1:localhost", json!({"msgtype": "m.text", "body": "/bind ABC123"}));
    let got = message(&ev, &room(false)).expect("a message");
    assert_eq!(got.chat, Address::group(Platform::Matrix, "!branch:localhost"));
    assert_eq!((got.text.as_str(), got.message_id.as_str()), ("/bind ABC123", "$m1:localhost"));
    assert_eq!(got.sender.id, "@stu1:localhost");
    let got = message(&ev, &room(true)).expect("a message");
    assert_eq!(got.chat, Address::direct(Platform::Matrix, "@stu1:localhost"));
}

#[test]
fn a_reply_names_what_it_answers_without_the_fallback() {
    let ev = message_event(
        "@stu1:localhost",
        json!({"msgtype": "m.text", "body": "> <@bot:localhost> 通知

收到",
               "m.relates_to": {"m.in_reply_to": {"event_id": "$notice:localhost"}}}),
    );
    let got = message(&ev, &room(false)).expect("a reply");
    assert_eq!(got.in_reply_to.as_deref(), Some("$notice:localhost"));
    assert_eq!(got.text, "收到");
}

#[test]
fn an_edit_is_its_new_text_naming_the_original() {
    let edit = message_event(
        "@stu1:localhost",
        json!({"msgtype": "m.text", "body": "* 收到了", "m.new_content": {"msgtype": "m.text", "body": "收到了"},
               "m.relates_to": {"rel_type": "m.replace", "event_id": "$m0:localhost"}}),
    );
    let got = message(&edit, &room(false)).expect("an edit");
    assert_eq!(got.kind, InboundKind::Edited { original: "$m0:localhost".into() });
    assert_eq!((got.text.as_str(), got.in_reply_to), ("收到了", None));
    let own_edit = message_event(
        "@bot:localhost",
        json!({"msgtype": "m.text", "body": "* 通知", "m.new_content": {"msgtype": "m.text", "body": "通知"},
               "m.relates_to": {"rel_type": "m.replace", "event_id": "$m1:localhost"}}),
    );
    assert_eq!(message(&own_edit, &room(false)), None, "the bot's own edits are not events");
}

#[test]
fn a_redaction_names_the_removed_event() {
    let ev: matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent = serde_json::from_value(json!({
        "type": "m.room.redaction", "event_id": "$r1:localhost", "sender": "@stu1:localhost",
        "origin_server_ts": 1_700_000_000_000u64, "redacts": "$m0:localhost",
        "content": {"redacts": "$m0:localhost"},
    }))
    .expect("a redaction");
    let got = super::redaction(&ev, &room(false)).expect("a deletion");
    assert_eq!(got.kind, InboundKind::Deleted { original: "$m0:localhost".into() });
    assert_eq!(got.message_id, "$r1:localhost");
}

#[test]
fn own_messages_and_rooms_not_joined_are_not_events() {
    let own = message_event("@bot:localhost", json!({"msgtype": "m.text", "body": "通知"}));
    assert_eq!(message(&own, &room(false)), None);
    let plain = message_event("@stu1:localhost", json!({"msgtype": "m.text", "body": "收到"}));
    assert_eq!(message(&plain, &RoomView { joined: false, ..room(false) }), None);
}

#[test]
fn the_bot_removed_by_someone_else_is_a_removal_of_the_room() {
    let ev: OriginalSyncRoomMemberEvent = serde_json::from_value(json!({
        "type": "m.room.member", "event_id": "$leave:localhost", "sender": "@admin:localhost",
        "state_key": "@bot:localhost", "origin_server_ts": 1_700_000_000_000u64,
        "content": {"membership": "ban", "reason": "不再需要"},
    }))
    .expect("a member event");
    let got = removal(&ev, &room(true)).expect("a removal");
    assert_eq!(got.kind, InboundKind::Removed);
    assert_eq!(got.chat, Address::group(Platform::Matrix, "!branch:localhost"));
    assert_eq!(got.text, "banned by @admin:localhost: 不再需要");
}

#[test]
fn reply_fallback_is_removed() {
    let body = "> <@bot:localhost> 关于开展团日活动的通知\n> 请各团支部按时参加。\n\n已收到，谢谢";
    assert_eq!(strip_quotes(body, true), "已收到，谢谢");
    assert_eq!(strip_quotes(body, false), "已收到，谢谢");
}

#[test]
fn leading_quotes_in_a_reply_are_dropped_but_plain_text_is_kept() {
    assert_eq!(strip_quotes("> 原文\n收到", true), "收到");
    assert_eq!(strip_quotes("> 原文\n收到", false), "> 原文\n收到");
    assert_eq!(strip_quotes("!bind ABC123", false), "!bind ABC123");
    assert_eq!(strip_quotes("  /bind ABC123 \n", false), "/bind ABC123");
}
