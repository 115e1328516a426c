//! Bridging through the gateway and the recording adapter: a branch with a
//! console group, a Telegram group, a Matrix room and a mailing list. The
//! message map (replies and edits find their copies), loop prevention,
//! messages offered again after a restart, burst merging on a set clock,
//! mail from the list, and bad input.

use treecast_wire::{
    Address, Attachment, Capabilities, Inbound, InboundKind, Outbound, OutboundKind, Platform, Sender,
};

use crate::notice::tests::{bed, Bed};

const BRANCH: &str = "4143010533-001";
/// 2026-12-01 10:00 China time.
const T0: u64 = 1_796_090_400;

fn tg() -> Address {
    Address::group(Platform::Telegram, "-100777")
}

fn room() -> Address {
    Address::group(Platform::Matrix, "!class1:localhost")
}

fn list() -> Address {
    Address::list("class1@lists.example", vec!["zhao@stu.example".into(), "qian@stu.example".into()])
}

/// A person the bot does not know speaking in `chat`, as the platform names them.
fn said(chat: Address, sender: &str, name: &str, id: &str, text: &str) -> Inbound {
    let mut ev = Inbound::text(chat, sender, text);
    ev.sender = Sender { id: sender.into(), display_name: Some(name.into()), verified: true };
    ev.message_id = id.into();
    ev
}

/// The branch with its four chats bound and bridging on (by its secretary);
/// Telegram and Matrix edit, Telegram takes `per_minute` messages a minute.
async fn bridged(per_minute: u32) -> Bed {
    let b = bed().await;
    b.app.ctx.clock.set(Some(T0));
    caps(&b, per_minute);
    let org = b.tree.require(BRANCH).unwrap();
    for a in [tg(), room(), list()] {
        b.tree.bind(&org, a).unwrap();
    }
    let on = b.ask(Inbound::text(Bed::group(BRANCH), "sec", "/bridge on")).await;
    assert!(on.contains("群间互通已开启") && on.contains("Bridging is on"), "{on}");
    assert!(on.contains("telegram:-100777") && on.contains("email:list:class1@lists.example"), "{on}");
    b
}

fn caps(b: &Bed, per_minute: u32) {
    let rich = Capabilities { edits: true, threads: true, ..Capabilities::default() };
    b.app.ctx.caps.set(Platform::Telegram, Capabilities { group_messages_per_minute: per_minute, ..rich });
    b.app.ctx.caps.set(Platform::Matrix, rich);
    b.app.ctx.caps.set(Platform::Email, Capabilities { subjects: true, threads: true, ..Capabilities::default() });
}

/// What was sent to `to` by the bridge (copies, edits, deletions).
fn copies(b: &Bed, to: &Address) -> Vec<Outbound> {
    b.to(to).into_iter().filter(|m| m.id.starts_with("br")).collect()
}

/// The platform id of the last copy sent to `to`.
fn last_copy_id(b: &Bed, to: &Address) -> String {
    let m = copies(b, to).pop().expect("a copy");
    b.chat.message_ids(&m.id).unwrap()[0].clone()
}

async fn say(b: &Bed, ev: Inbound) {
    b.say(ev).await;
    b.settle().await;
}

#[tokio::test]
async fn a_message_reaches_every_other_chat_with_its_writer_and_platform_once_bridging_is_on() {
    let b = bed().await;
    caps(&b, 0);
    let org = b.tree.require(BRANCH).unwrap();
    for a in [tg(), room(), list()] {
        b.tree.bind(&org, a).unwrap();
    }
    say(&b, said(tg(), "9001", "李明", "501", "今晚七点开班会")).await;
    assert!(copies(&b, &room()).is_empty(), "nothing is carried before an official turns bridging on");
    let off = b.ask(Inbound::text(Bed::group(BRANCH), "sec", "/bridge")).await;
    assert!(off.contains("群间互通未开启") && off.contains("4 chats bound"), "{off}");
    let refused = b.ask(Inbound::text(Bed::group(BRANCH), "li", "/bridge on")).await;
    assert!(refused.contains("只有 4143010533-001") && refused.contains("Only officials"), "{refused}");
    assert!(b.ask(Inbound::text(Bed::group(BRANCH), "sec", "/bridge on")).await.contains("已开启"));

    say(&b, said(tg(), "9001", "李明", "502", "今晚七点开班会，请准时参加。")).await;
    for to in [room(), Bed::group(BRANCH), list()] {
        let got = copies(&b, &to);
        assert_eq!(got.len(), 1, "one copy to {to}");
        assert_eq!(&*got[0].body, "[李明 · Telegram] 今晚七点开班会，请准时参加。");
    }
    assert!(copies(&b, &tg()).is_empty(), "not back to the chat it came from");
    let mail = &copies(&b, &list())[0];
    assert_eq!(
        mail.title.as_deref(),
        Some("【计算机科学与技术2023级1班团支部】[李明 · Telegram] 今晚七点开班会，请准时参加。")
    );
    assert!(mail.footer.as_deref().unwrap().contains("回复本邮件即可发到"), "{:?}", mail.footer);
    assert_eq!(mail.list_name.as_deref(), Some("湖南大学团委 计算机科学与技术2023级1班团支部"), "mail names its list");
    assert_eq!(copies(&b, &room())[0].list_name, None, "only a list has a list name");
    // The registered writer goes by their name.
    say(&b, Inbound::text(Bed::group(BRANCH), "li", "收到")).await;
    assert_eq!(&*copies(&b, &tg()).pop().unwrap().body, "[li · Console] 收到");
    // Off again: nothing more is carried.
    assert!(b.ask(Inbound::text(Bed::group(BRANCH), "sec", "/bridge off")).await.contains("未开启"));
    let before = copies(&b, &room()).len();
    say(&b, said(tg(), "9001", "李明", "503", "还有人吗")).await;
    assert_eq!(copies(&b, &room()).len(), before);
    let log = crate::events::read(&b.tree.store, 0, 10_000).unwrap();
    let switched = log.iter().filter(|r| matches!(r.event, crate::events::Event::BridgeSwitched { .. })).count();
    assert_eq!(switched, 2, "each switch is in the event log");
}

#[tokio::test]
async fn a_reply_in_one_chat_answers_the_same_message_in_every_other() {
    let b = bridged(0).await;
    say(&b, said(tg(), "9001", "李明", "601", "明天团日活动在哪里？")).await;
    // In Matrix someone answers the bridged copy.
    let copy_in_room = last_copy_id(&b, &room());
    let mut answer = said(room(), "@zhang:localhost", "张伟", "$a1", "在图书馆三楼");
    answer.in_reply_to = Some(copy_in_room);
    say(&b, answer).await;
    let to_tg = copies(&b, &tg()).pop().unwrap();
    assert_eq!(&*to_tg.body, "[张伟 · Matrix] 在图书馆三楼");
    assert_eq!(to_tg.in_reply_to.as_deref(), Some("601"), "a reply to the original in Telegram");
    let console_copy_of_question = b.chat.message_ids(&copies(&b, &Bed::group(BRANCH))[0].id).unwrap()[0].clone();
    assert_eq!(copies(&b, &Bed::group(BRANCH))[1].in_reply_to.as_deref(), Some(console_copy_of_question.as_str()));
    // And a reply in Telegram to the original Telegram message (not the bot's).
    let mut again = said(tg(), "9002", "王芳", "602", "几点？");
    again.in_reply_to = Some("601".into());
    say(&b, again).await;
    let in_room = copies(&b, &room()).pop().unwrap();
    assert_eq!(in_room.in_reply_to.as_deref(), Some(copy_in_room_of(&b, 0).as_str()));
}

/// The platform id of the `n`th copy sent to the Matrix room.
fn copy_in_room_of(b: &Bed, n: usize) -> String {
    b.chat.message_ids(&copies(b, &room())[n].id).unwrap()[0].clone()
}

#[tokio::test]
async fn an_edit_is_an_edit_where_the_chat_can_edit_and_a_correction_elsewhere_and_only_its_writer_edits() {
    let b = bridged(0).await;
    say(&b, said(tg(), "9001", "李明", "701", "班会改到周三")).await;
    let in_room = copy_in_room_of(&b, 0);
    let mut edit = said(tg(), "9001", "李明", "701@1796090500", "班会改到周四");
    edit.kind = InboundKind::Edited { original: "701".into() };
    say(&b, edit.clone()).await;
    let e = copies(&b, &room()).pop().unwrap();
    assert_eq!((e.kind, e.in_reply_to.as_deref()), (OutboundKind::Edit, Some(in_room.as_str())));
    assert_eq!(&*e.body, "[李明 · Telegram] 班会改到周四");
    let fix = copies(&b, &list()).pop().unwrap();
    assert_eq!(fix.kind, OutboundKind::Private, "mail cannot be changed: a follow-up");
    assert!(fix.body.starts_with("【更正 Correction】 [李明 · Telegram] 班会改到周四"), "{}", fix.body);
    // The same edit offered again changes nothing more; a forged one neither.
    say(&b, edit).await;
    let mut forged = said(tg(), "666", "冒充者", "701@1796090600", "班会取消");
    forged.kind = InboundKind::Edited { original: "701".into() };
    say(&b, forged).await;
    assert_eq!(copies(&b, &room()).len(), 2, "the copy and one edit");
    assert!(!b.chat.delivered().iter().any(|m| m.body.contains("班会取消")));
    // Removed in Matrix: the Telegram copy goes; the mail stays (it cannot be unsent).
    say(&b, said(room(), "@zhang:localhost", "张伟", "$b1", "我来晚了")).await;
    let tg_copy = last_copy_id(&b, &tg());
    let mails = copies(&b, &list()).len();
    let mut gone = said(room(), "@zhang:localhost", "张伟", "$b1-redacted", "");
    gone.kind = InboundKind::Deleted { original: "$b1".into() };
    say(&b, gone).await;
    let d = copies(&b, &tg()).pop().unwrap();
    assert_eq!((d.kind, d.in_reply_to.as_deref()), (OutboundKind::Delete, Some(tg_copy.as_str())));
    assert_eq!(copies(&b, &list()).len(), mails);
}

#[tokio::test]
async fn the_bots_own_messages_commands_and_notices_are_never_carried() {
    let b = bridged(0).await;
    say(&b, said(tg(), "9001", "李明", "801", "大家好")).await;
    let n = copies(&b, &room()).len();
    // The room shows the bot its own copy (as Matrix sync does).
    let echo = said(room(), "@treecast:localhost", "treecast", &copy_in_room_of(&b, 0), "[李明 · Telegram] 大家好");
    say(&b, echo).await;
    say(&b, Inbound::text(tg(), "9001", "/bridge status")).await;
    say(&b, Inbound::text(room(), "@zhang:localhost", "/help")).await;
    // A notice to the branch, acknowledged in the group by a reply.
    let notice = b.post("hnu", crate::notice::tests::draft_for("4143010533", "关于团日活动的通知")).unwrap();
    b.settle().await;
    let copy = b.copy_id(notice.id, BRANCH);
    let mut ack = Inbound::text(Bed::group(BRANCH), "li", "收到");
    ack.in_reply_to = Some(copy);
    ack.message_id = "c-ack".into();
    say(&b, ack).await;
    assert_eq!(copies(&b, &room()).len(), n, "no new copy");
    assert!(copies(&b, &tg()).is_empty(), "nothing went back to Telegram");
}

#[tokio::test]
async fn messages_offered_again_after_a_restart_are_carried_once_and_replies_still_find_their_copies() {
    let b = bridged(0).await;
    say(&b, said(tg(), "9001", "李明", "901", "第一条")).await;
    let first_in_room = copy_in_room_of(&b, 0);
    let b = b.restart().await;
    caps(&b, 0);
    b.app.ctx.clock.set(Some(T0 + 30));
    // Telegram offers the last update again (its offset was not confirmed),
    // then the ones that came while treecast was down.
    say(&b, said(tg(), "9001", "李明", "901", "第一条")).await;
    say(&b, said(tg(), "9002", "王芳", "902", "第二条")).await;
    let mut reply = said(room(), "@zhang:localhost", "张伟", "$c1", "收到第一条");
    reply.in_reply_to = Some(first_in_room);
    say(&b, reply.clone()).await;
    say(&b, reply).await;
    let bodies: Vec<String> = copies(&b, &Bed::group(BRANCH)).iter().map(|m| m.body.to_string()).collect();
    assert_eq!(
        bodies,
        ["[李明 · Telegram] 第一条", "[王芳 · Telegram] 第二条", "[张伟 · Matrix] 收到第一条"],
        "each once, in order"
    );
    assert_eq!(copies(&b, &tg()).pop().unwrap().in_reply_to.as_deref(), Some("901"));
}

#[tokio::test]
async fn a_burst_past_telegrams_minute_limit_is_held_and_sent_merged_when_the_minute_is_over() {
    let b = bridged(4).await;
    for i in 0..6 {
        say(&b, said(room(), "@zhang:localhost", "张伟", &format!("$m{i}"), &format!("第{i}条"))).await;
    }
    let now: Vec<String> = copies(&b, &tg()).iter().map(|m| m.body.to_string()).collect();
    assert_eq!(
        now,
        ["[张伟 · Matrix] 第0条", "[张伟 · Matrix] 第1条", "[张伟 · Matrix] 第2条"],
        "three of four a minute"
    );
    assert_eq!(copies(&b, &Bed::group(BRANCH)).len(), 6, "chats without a limit get each at once");
    b.app.ctx.clock.set(Some(T0 + 61));
    b.app.run_due_jobs().unwrap();
    b.app.ctx.waker.wake();
    b.settle().await;
    let got = copies(&b, &tg());
    assert_eq!(got.len(), 4, "the rest as one message");
    let merged = &got[3].body;
    assert!(merged.starts_with("[张伟 · Matrix] 第3条\n[张伟 · Matrix] 第4条\n[张伟 · Matrix] 第5条"), "{merged}");
    assert!(merged.contains("3 条消息合并发送") && merged.contains("3 messages merged"), "{merged}");
}

#[tokio::test]
async fn mail_from_a_list_member_is_carried_and_mail_from_anyone_else_is_refused_in_one_sentence() {
    let b = bridged(0).await;
    let ch = b.tree.channel_by_address(&list()).unwrap().unwrap();
    let mut mail = said(
        Address::direct(Platform::Email, "zhao@stu.example"),
        "zhao@stu.example",
        "赵敏",
        "<m1@stu>",
        "周五交材料",
    );
    mail.sent_to = Some(format!("bridge+{}@bot.example", ch.id));
    say(&b, mail.clone()).await;
    assert_eq!(&*copies(&b, &tg()).pop().unwrap().body, "[赵敏 · Email] 周五交材料");
    // The list's own members get it as list mail too.
    assert_eq!(copies(&b, &list()).len(), 1);
    // A reply by mail to the list's copy of a Telegram message answers it in Telegram.
    say(&b, said(tg(), "9001", "李明", "950", "材料交到哪里？")).await;
    let mail_copy = last_copy_id(&b, &list());
    let mut answer = said(
        Address::direct(Platform::Email, "qian@stu.example"),
        "qian@stu.example",
        "钱多",
        "<m2@stu>",
        "团委办公室",
    );
    answer.in_reply_to = Some(mail_copy);
    say(&b, answer).await;
    let to_tg = copies(&b, &tg()).pop().unwrap();
    assert_eq!((&*to_tg.body, to_tg.in_reply_to.as_deref()), ("[钱多 · Email] 团委办公室", Some("950")));
    // Someone not on the list, and a member whose sender could not be verified.
    let mut stranger = mail.clone();
    stranger.chat = Address::direct(Platform::Email, "x@evil.example");
    stranger.sender.id = "x@evil.example".into();
    stranger.message_id = "<m3@evil>".into();
    stranger.text = "广告".into();
    let said_back = b.ask(stranger).await;
    assert!(
        said_back.contains("你不在这个邮件列表中") && said_back.contains("not on this mailing list"),
        "{said_back}"
    );
    let mut forged = mail;
    forged.sender.verified = false;
    forged.message_id = "<m4@stu>".into();
    forged.text = "冒名".into();
    assert!(b.ask(forged.clone()).await.contains("not carried"));
    // The same as a reply to the list's copy: refused in one sentence too.
    forged.sent_to = None;
    forged.message_id = "<m5@stu>".into();
    forged.in_reply_to = Some(last_copy_id(&b, &list()));
    assert!(b.ask(forged).await.contains("你不在这个邮件列表中（或发件人未能验证）"));
    assert!(!b.chat.delivered().iter().any(|m| m.body.contains("广告") || m.body.contains("冒名")));
}

#[tokio::test]
async fn a_file_over_the_limit_is_named_not_carried_and_its_writer_told_in_one_sentence() {
    let b = bridged(0).await;
    let limit = b.app.ctx.rules().max_attachment_bytes as usize;
    let mut ev = said(tg(), "9001", "李明", "990", "活动照片");
    ev.attachments = vec![
        Attachment {
            name: "签到表.xlsx".into(), content_type: "application/octet-stream".into(), data: vec![1; 10]
        },
        Attachment::too_large("视频.mp4", limit as u64 + 1),
    ];
    let answer = b.ask(ev).await;
    assert!(answer.contains("附件“视频.mp4”超过") && answer.contains("only the text was carried"), "{answer}");
    let copy = copies(&b, &room()).pop().unwrap();
    assert!(copy.body.starts_with("[李明 · Telegram] 活动照片\n（附件“视频.mp4”"), "{}", copy.body);
    assert_eq!(copy.attachments.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["签到表.xlsx"]);
}
