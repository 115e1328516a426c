//! Information services through the gateway and the recording adapter:
//! the subscription life cycle in chat and by mail (double opt-in, the
//! unsubscribe token), quiet hours and the daily bundle on a set clock,
//! the counts, bad input, and a send in slices across a crash.

use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{Address, Attachment, Inbound, Platform};

use super::store;
use crate::notice::tests::{bed, bed_with_config, test_config, Bed};
use crate::tree::people::Role;

/// 2026-12-01 10:00 China time.
const T0: u64 = 1_796_090_400;

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

/// 湖南大学's official opens 就业招聘; returns its id.
async fn opened(b: &Bed) -> u64 {
    b.app.ctx.clock.set(Some(T0));
    let said = b.ask(dm("hnu", "/service new 就业招聘\n校团委发布实习和招聘信息")).await;
    assert!(said.contains("已开设资讯服务“就业招聘”（湖南大学团委，#"), "{said}");
    store::services(&b.tree.store).unwrap().last().unwrap().id
}

async fn at(b: &Bed, t: u64) {
    b.app.ctx.clock.set(Some(t));
    b.app.run_due_jobs().unwrap();
    b.app.ctx.waker.wake();
    b.settle().await;
}

fn got(b: &Bed, user: &str) -> Vec<String> {
    b.to(&Bed::dm(user)).iter().map(|m| m.body.to_string()).collect()
}

#[tokio::test]
async fn a_student_subscribes_receives_items_privately_and_unsubscribes_and_the_counts_follow() {
    let b = bed().await;
    opened(&b).await;
    let list = b.ask(dm("li", "/services")).await;
    assert!(list.contains("· 就业招聘（湖南大学团委）未订阅 not subscribed"), "{list}");
    let joined = b.ask(dm("li", "/subscribe 就业招聘")).await;
    assert!(joined.contains("已订阅“就业招聘”（湖南大学团委）") && joined.contains("22:00 至 07:30"), "{joined}");
    assert!(b.ask(dm("li", "/services")).await.contains("已订阅 subscribed"));
    let said = b.ask(dm("hnu", "/publish 就业招聘\n华为 2027 届校园招聘宣讲会：12月3日 19:00，学术报告厅。")).await;
    assert!(said.contains("正发给 1 位订阅者"), "{said}");
    at(&b, T0 + 1).await;
    let item = got(&b, "li").into_iter().find(|t| t.starts_with("【就业招聘】湖南大学团委")).expect("the item");
    assert!(item.contains("华为 2027 届校园招聘宣讲会") && item.contains("/unsubscribe 就业招聘"), "{item}");
    assert!(!got(&b, "wang").iter().any(|t| t.contains("华为")), "not to someone who did not subscribe");
    // Unsubscribed within a day of the item: counted so.
    assert!(b.ask(dm("li", "/unsubscribe 就业招聘")).await.contains("已退订“就业招聘”"));
    b.ask(dm("hnu", "/publish 就业招聘 第二条")).await;
    at(&b, T0 + 2).await;
    assert!(!got(&b, "li").iter().any(|t| t.contains("第二条")));
    let stats = b.ask(dm("hnu", "/service 就业招聘")).await;
    assert!(stats.contains("订阅 0 人，已发布 2 条，送出 1 条消息，退订 1 人（其中发布后一天内 1 人）"), "{stats}");
}

#[tokio::test]
async fn items_wait_out_the_quiet_hours_and_a_daily_subscriber_gets_one_bundle() {
    let b = bed().await;
    opened(&b).await;
    b.ask(dm("li", "/subscribe 就业招聘")).await;
    assert!(b.ask(dm("wang", "/subscribe 就业招聘 daily")).await.contains("每天 08:00"));
    // 23:00 China time: quiet.
    let night = T0 + 13 * 3600;
    b.app.ctx.clock.set(Some(night));
    let said = b.ask(dm("hnu", "/publish 就业招聘 夜里发的第一条")).await;
    assert!(said.contains("将于 2026-12-02 07:30 发给 2 位订阅者"), "{said}");
    b.ask(dm("hnu", "/publish 就业招聘 夜里发的第二条")).await;
    at(&b, night + 3600).await;
    assert!(!got(&b, "li").iter().any(|t| t.contains("夜里发的")), "nothing in the night");
    // 07:30: each item alone to li; wang waits for 08:00 and gets both in one.
    at(&b, T0 + 21 * 3600 + 30 * 60).await;
    let li: Vec<String> = got(&b, "li").into_iter().filter(|t| t.contains("夜里发的")).collect();
    assert_eq!(li.len(), 2, "{li:?}");
    assert!(!got(&b, "wang").iter().any(|t| t.contains("夜里发的")));
    at(&b, T0 + 22 * 3600).await;
    let wang: Vec<String> = got(&b, "wang").into_iter().filter(|t| t.contains("夜里发的")).collect();
    assert_eq!(wang.len(), 1, "one bundle: {wang:?}");
    assert!(
        wang[0].starts_with("【资讯汇总 Your daily items】共 2 条") && wang[0].contains("夜里发的第二条"),
        "{}",
        wang[0]
    );
    // The bundle is not sent twice.
    at(&b, T0 + 46 * 3600).await;
    assert_eq!(got(&b, "wang").iter().filter(|t| t.contains("夜里发的")).count(), 1);
}

#[tokio::test]
async fn by_mail_a_subscription_is_confirmed_by_reply_and_ended_by_its_token() {
    let b = bed().await;
    let id = opened(&b).await;
    let z = b.tree.add_person("赵敏").unwrap();
    b.tree.add_identity(z.id, Platform::Email, "zhao@stu.example").unwrap();
    b.tree.grant(z.id, &b.tree.require("4143010533-002").unwrap(), Role::Member).unwrap();
    let inbox = Address::direct(Platform::Email, "zhao@stu.example");
    let mut ask = Inbound::text(inbox.clone(), "zhao@stu.example", "订阅");
    ask.sent_to = Some(format!("subscribe+{id}@bot.example"));
    ask.message_id = "<sub-1@stu.example>".into();
    b.say(ask).await;
    b.settle().await;
    assert!(store::sub(&b.tree.store, id, z.id).unwrap().is_none(), "not before the reply");
    let confirm = b.to(&inbox).last().unwrap().clone();
    assert!(confirm.body.contains("请直接回复本邮件，确认订阅“就业招聘”"), "{}", confirm.body);
    let mid = b.chat.message_ids(&confirm.id).unwrap()[0].clone();
    // Someone else replying to it subscribes nobody.
    let mut forged = Inbound::text(Address::direct(Platform::Email, "hunan@tw.example"), "hunan@tw.example", "确认");
    forged.in_reply_to = Some(mid.clone());
    b.say(forged).await;
    assert!(store::sub(&b.tree.store, id, z.id).unwrap().is_none());
    let mut yes = Inbound::text(inbox.clone(), "zhao@stu.example", "确认");
    yes.in_reply_to = Some(mid);
    b.say(yes).await;
    let sub = store::sub(&b.tree.store, id, z.id).unwrap().expect("subscribed after the reply");
    // The item by mail carries her own unsubscribe token; a mail to it ends the subscription.
    b.ask(dm("hnu", "/publish 就业招聘 招聘会通知")).await;
    at(&b, T0 + 1).await;
    let mail = b.to(&inbox).into_iter().find(|m| m.body.contains("招聘会通知")).expect("the item by mail");
    assert_eq!(mail.unsubscribe.as_deref(), Some(sub.token.as_str()));
    assert_eq!(mail.title.as_deref(), Some("【就业招聘】招聘会通知"));
    let mut leave = Inbound::text(inbox.clone(), "zhao@stu.example", "unsubscribe");
    leave.sent_to = Some(format!("unsubscribe+{}@bot.example", sub.token));
    b.say(leave).await;
    assert!(store::sub(&b.tree.store, id, z.id).unwrap().is_none());
    // The token is spent: a second mail says so.
    let mut again = Inbound::text(inbox.clone(), "zhao@stu.example", "unsubscribe");
    again.sent_to = Some(format!("unsubscribe+{}@bot.example", sub.token));
    again.message_id = "<again@stu.example>".into();
    b.say(again).await;
    b.settle().await;
    assert!(b.to(&inbox).last().unwrap().body.contains("这个退订链接已失效"));
}

#[tokio::test]
async fn bad_input_gets_one_sentence_and_nothing_is_published() {
    let b = bed().await;
    let id = opened(&b).await;
    let said = b.ask(dm("li", "/subscribe 体育新闻")).await;
    assert!(
        said.starts_with("没有名为“体育新闻”的资讯服务") && said.contains("There is no information service"),
        "{said}"
    );
    let said = b.ask(dm("li", "/publish 就业招聘 我也想发")).await;
    assert!(said.starts_with("你不是“就业招聘”的编辑") && said.contains("You do not edit"), "{said}");
    let said = b.ask(dm("hnu", "/publish 就业招聘")).await;
    assert!(said.starts_with("资讯内容是空的"), "{said}");
    let mut with_file = dm("hnu", "/publish 就业招聘 见附件");
    with_file.attachments = vec![Attachment {
        name: "岗位表.xlsx".into(),
        content_type: "application/octet-stream".into(),
        data: vec![0; 10],
    }];
    b.say(with_file).await;
    b.settle().await;
    assert!(got(&b, "hnu").last().unwrap().starts_with("资讯目前只发文字"));
    assert_eq!(store::counts(&b.tree.store, id).unwrap().items, 0);
    // Someone outside 湖南大学 cannot join it.
    let z = b.tree.add_person("武大学生").unwrap();
    b.tree.add_identity(z.id, Platform::Console, "whu").unwrap();
    b.tree.grant(z.id, &b.tree.require("4142010486-001").unwrap(), Role::Member).unwrap();
    let said = b.ask(dm("whu", &format!("/start svc{id}"))).await;
    assert!(said.contains("“就业招聘”面向 湖南大学团委 及其下级，你不在其中"), "{said}");
    // A named editor may publish.
    b.ask(dm("hnu", "/service editor 就业招聘 add console:li")).await;
    assert!(b.ask(dm("li", "/publish 就业招聘 实习岗位汇总")).await.contains("已发布到“就业招聘”"));
}

#[tokio::test]
async fn the_one_click_unsubscribe_ends_only_the_tokens_subscription() {
    let b = bed().await;
    let id = opened(&b).await;
    b.ask(dm("li", "/subscribe 就业招聘")).await;
    b.ask(dm("wang", "/subscribe 就业招聘")).await;
    let token = store::sub(&b.tree.store, id, b.people["li"]).unwrap().unwrap().token;
    let click = |t: &str| b.app.registry.admin(&b.app.ctx, "service.unsubscribe", serde_json::json!({ "token": t }));
    assert!(click("ffffffffffffffff").unwrap().text.contains("这个退订链接已失效"));
    assert!(click(&token).unwrap().text.contains("已退订“就业招聘”"));
    assert!(store::sub(&b.tree.store, id, b.people["li"]).unwrap().is_none());
    assert!(store::sub(&b.tree.store, id, b.people["wang"]).unwrap().is_some(), "another's stays");
}

#[tokio::test]
async fn an_official_above_opens_a_service_for_a_school_by_naming_it_after_the_name_and_publishes_in_it() {
    let b = bed().await;
    b.app.ctx.clock.set(Some(T0));
    let hunan = Address::direct(Platform::Email, "hunan@tw.example");
    let mail = |text: &str| Inbound::text(hunan.clone(), "hunan@tw.example", text);
    b.say(mail("/service new 文体活动 @4143010533")).await;
    b.settle().await;
    let said = b.to(&hunan).last().unwrap().body.to_string();
    assert!(said.contains("已开设资讯服务“文体活动”（湖南大学团委，#"), "{said}");
    b.ask(dm("li", "/subscribe 文体活动")).await;
    b.say(mail("/publish 文体活动 周六篮球赛")).await;
    b.settle().await;
    assert!(b.to(&hunan).last().unwrap().body.contains("正发给 1 位订阅者"));
    assert!(b.to(&hunan).last().unwrap().body.contains("已发布到“文体活动”"));
    let stats = {
        b.say(mail("/service 文体活动")).await;
        b.settle().await;
        b.to(&hunan).last().unwrap().body.to_string()
    };
    assert!(stats.contains("“文体活动”（湖南大学团委）：订阅 1 人"), "{stats}");
}

/// A send in slices of two: every subscriber gets the item exactly once,
/// though one slice's run is lost (a crash before its commit) and the app
/// restarts between slices.
#[tokio::test]
async fn a_send_in_slices_reaches_every_subscriber_once_across_a_crash_between_slices() {
    let mut cfg = test_config();
    cfg.services.send_slice = 2;
    let b = bed_with_config(RecordingAdapter::new(Platform::Console), cfg).await;
    let id = opened(&b).await;
    let mut each = vec!["li".to_owned()];
    let branch = b.tree.require("4143010533-002").unwrap();
    for i in 0..5 {
        let p = b.tree.add_person(&format!("学生{i}")).unwrap();
        b.tree.add_identity(p.id, Platform::Console, &format!("s{i}")).unwrap();
        b.tree.grant(p.id, &branch, Role::Member).unwrap();
        each.push(format!("s{i}"));
    }
    for u in &each {
        assert!(b.ask(dm(u, "/subscribe 就业招聘")).await.contains("已订阅"));
    }
    b.ask(dm("wang", "/subscribe 就业招聘 daily")).await;
    // Due at 11:00: no background pass runs it before the test does.
    let args =
        serde_json::json!({ "service": id, "by": "console:hnu", "text": "双选会通知", "at": "2026-12-01 11:00" });
    let said = b.app.registry.admin(&b.app.ctx, "service.publish", args).unwrap().text;
    assert!(said.contains("发给 7 位订阅者"), "{said}");
    // The store's first item.
    let item = 1;
    assert_eq!(store::item(&b.tree.store, item).unwrap().unwrap().text, "双选会通知");
    // One slice a run (other features' jobs may fall due too).
    b.app.ctx.clock.set(Some(T0 + 3600));
    b.app.run_due_jobs().unwrap();
    let p = store::progress(&b.tree.store, item).unwrap().expect("under way after the first slice");
    // li and wang, in person order: one message and one bundle row.
    assert_eq!((p.reached, p.delivered), (2, 1));
    assert!(!store::item(&b.tree.store, item).unwrap().unwrap().sent);
    // The next slice's run dies before its commit; the app starts again.
    drop(super::deliver::send(&b.app.ctx, item).unwrap());
    let b = b.restart().await;
    b.app.ctx.clock.set(Some(T0 + 3600 + 5));
    let mut runs = 1;
    while !store::item(&b.tree.store, item).unwrap().unwrap().sent {
        assert!(b.app.run_due_jobs().unwrap() >= 1, "the job is due again at once");
        runs += 1;
        assert!(runs <= 4, "7 subscribers, 2 a slice");
    }
    assert_eq!(runs, 4);
    assert!(store::progress(&b.tree.store, item).unwrap().is_none());
    assert_eq!(store::item(&b.tree.store, item).unwrap().unwrap().reached, 7);
    b.app.ctx.waker.wake();
    b.settle().await;
    for u in &each {
        assert_eq!(got(&b, u).iter().filter(|t| t.contains("双选会通知")).count(), 1, "{u}");
    }
    let c = store::counts(&b.tree.store, id).unwrap();
    assert_eq!((c.items, c.delivered), (1, 6));
    // The daily subscriber: once, in the next morning's bundle.
    assert!(!got(&b, "wang").iter().any(|t| t.contains("双选会通知")));
    at(&b, T0 + 22 * 3600).await;
    assert_eq!(got(&b, "wang").iter().filter(|t| t.contains("双选会通知")).count(), 1);
}

#[tokio::test]
async fn an_item_published_for_a_time_in_chat_waits_for_it_in_either_written_form() {
    let b = bed().await;
    opened(&b).await;
    b.ask(dm("li", "/subscribe 就业招聘")).await;
    // T0 is 10:00 China time; 11:00 and 12:00 the same day.
    let iso = b.ask(dm("hnu", "/publish 就业招聘 2026-12-01T11:00\n宣讲会改期")).await;
    assert!(iso.contains("将于 2026-12-01 11:00 发给 1 位订阅者"), "{iso}");
    let spaced = b.ask(dm("hnu", "/publish 就业招聘 2026-12-01 12:00 双选会")).await;
    assert!(spaced.contains("将于 2026-12-01 12:00"), "{spaced}");
    at(&b, T0 + 3599).await;
    assert!(!got(&b, "li").iter().any(|t| t.contains("宣讲会改期")), "not before its time");
    at(&b, T0 + 3600).await;
    let items = got(&b, "li");
    assert!(items.iter().any(|t| t.contains("宣讲会改期") && !t.contains("2026-12-01")), "{items:?}");
    at(&b, T0 + 7200).await;
    assert!(got(&b, "li").iter().any(|t| t.contains("双选会") && !t.contains("12:00")));
}
