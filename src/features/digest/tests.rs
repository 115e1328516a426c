//! The daily digest with a set clock, through the scheduler, the outbox and
//! the recording adapter: its content and time, nothing when nothing waits,
//! a person's own time and opting out, and items due within a day sent at once.

use treecast_wire::{Address, Inbound, Outbound, OutboundKind, Platform};

use crate::clock::parse_china;
use crate::notice::tests::{bed, draft_for, Bed};
use crate::notice::Draft;
use crate::schedule;

fn hunan() -> Address {
    Address::direct(Platform::Email, "hunan@tw.example")
}

/// Sets the bed's clock to `at` (China time) and schedules the digest's
/// jobs from there, as a gateway started at that time would have.
async fn at(b: &Bed, when: &str) {
    b.app.ctx.clock.set(Some(parse_china(when).unwrap()));
    let mut w = crate::store::Writes::default();
    for key in ["digest.send:08:30", "digest.urgent"] {
        schedule::cancel(&b.tree.store, &mut w, key).unwrap();
    }
    b.tree.store.commit(&w).unwrap();
    for f in b.app.registry.features() {
        f.start(&b.app.ctx).unwrap();
    }
}

/// Moves the clock to `when`, runs what is due and lets the outbox send it.
async fn until(b: &Bed, when: &str) {
    b.app.ctx.clock.set(Some(parse_china(when).unwrap()));
    b.app.run_due_jobs().unwrap();
    b.settle().await;
}

fn digests(b: &Bed, to: &Address) -> Vec<Outbound> {
    b.to(to).into_iter().filter(|m| m.id.starts_with("digest-")).collect()
}

fn say(platform: Platform, user: &str, text: &str) -> Inbound {
    Inbound::text(Address::direct(platform, user), user, text)
}

#[tokio::test]
async fn the_digest_goes_at_half_past_eight_with_what_waits_and_never_empty() {
    let b = bed().await;
    at(&b, "2026-11-30 07:00").await;
    // A report waits for 湖南省; a notice of 湖南省's has a deadline in 40 hours;
    // a student's reply to it awaits the author's answer.
    b.say(say(Platform::Console, "hnu", "/report 第一季度工作总结\n详见附件。")).await;
    let deadline = parse_china("2026-12-01 23:00").unwrap();
    let n =
        b.post("hunan", Draft { ack_deadline: Some(deadline), ..draft_for("43", "关于开展团日活动的通知") }).unwrap();
    b.settle().await;
    let mut reply = Inbound::text(Bed::group("4143010533-001"), "li", "活动经费怎么报销？");
    reply.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(reply).await;

    until(&b, "2026-11-30 08:29").await;
    assert!(digests(&b, &hunan()).is_empty(), "not before its time");
    until(&b, "2026-11-30 08:30").await;
    let got = digests(&b, &hunan());
    assert_eq!(got.len(), 1, "{got:?}");
    let d = &got[0];
    assert_eq!(d.title.as_deref(), Some("每日摘要 Daily digest · 2026-11-30 08:30"));
    let text = d.body.to_string();
    let letters = text.find("【未读信件和报送 Unread letters and reports】").expect(&text);
    let replies = text.find("【待你答复的回复 Replies awaiting your answer】").expect(&text);
    let notices = text.find("【尚有组织未确认的通知").expect(&text);
    assert!(letters < replies && replies < notices, "sections in order: {text}");
    assert!(
        text.contains("共青团湖南省委学校部（43）：1 封未读 unread — #") && text.contains("第一季度工作总结"),
        "{text}"
    );
    assert!(text.contains("《关于开展团日活动的通知》：计算机科学与技术2023级1班团支部 · li"), "{text}");
    assert!(text.contains(&format!("#{}《关于开展团日活动的通知》：6/6 个组织未确认", n.id)), "{text}");
    assert!(text.contains("截止 due 2026-12-01 23:00"), "{text}");
    assert!(text.contains("/digest off"), "{text}");
    // Nothing waits for the others: no digest at all.
    for who in ["hnu", "sec"] {
        assert!(digests(&b, &Bed::dm(who)).is_empty(), "{who} got an empty digest");
    }
    // Tomorrow again.
    let next = schedule::due_at(&b.tree.store, "digest.send:08:30").unwrap().unwrap();
    assert_eq!(next / 1000, parse_china("2026-12-01 08:30").unwrap());
    b.stop().await;
}

#[tokio::test]
async fn an_official_picks_their_own_time_or_turns_it_off() {
    let b = bed().await;
    at(&b, "2026-11-30 06:00").await;
    b.say(say(Platform::Console, "hnu", "/msg 43 请问评优名额？")).await;
    b.say(say(Platform::Email, "hunan@tw.example", "/digest 07：30")).await;
    b.settle().await;
    let told = b.to(&hunan()).into_iter().filter(|m| m.kind == OutboundKind::Reply).last().unwrap();
    assert!(told.body.contains("每天 07:30") && told.body.contains("every day at 07:30"), "{}", told.body);
    until(&b, "2026-11-30 07:30").await;
    assert_eq!(digests(&b, &hunan()).len(), 1);
    until(&b, "2026-11-30 08:30").await;
    assert_eq!(digests(&b, &hunan()).len(), 1, "not again at the usual time");

    // A time that is no time: one sentence, nothing changed.
    b.say(say(Platform::Email, "hunan@tw.example", "/digest 25:00")).await;
    b.settle().await;
    let told = b.to(&hunan()).into_iter().filter(|m| m.kind == OutboundKind::Reply).last().unwrap();
    assert!(told.body.contains("看不懂“25:00”") && told.body.contains("is not understood"), "{}", told.body);

    b.say(say(Platform::Email, "hunan@tw.example", "/digest off")).await;
    until(&b, "2026-12-01 07:30").await;
    until(&b, "2026-12-01 08:30").await;
    assert_eq!(digests(&b, &hunan()).len(), 1, "off means off");
    // /digest alone says how it stands and what it would say now.
    b.say(say(Platform::Email, "hunan@tw.example", "/digest")).await;
    b.settle().await;
    let told = b.to(&hunan()).into_iter().filter(|m| m.kind == OutboundKind::Reply).last().unwrap();
    assert!(told.body.contains("每日摘要已关闭") && told.body.contains("请问评优名额？"), "{}", told.body);
    b.stop().await;
}

#[tokio::test]
async fn an_item_due_within_a_day_is_sent_at_once_and_only_once() {
    let b = bed().await;
    at(&b, "2026-11-30 09:00").await;
    let n = b
        .post(
            "hunan",
            Draft { ack_deadline: Some(parse_china("2026-11-30 20:00").unwrap()), ..draft_for("43", "紧急通知") },
        )
        .unwrap();
    b.settle().await;
    until(&b, "2026-11-30 09:30").await;
    let urgent: Vec<Outbound> = b.to(&hunan()).into_iter().filter(|m| m.id.starts_with("urgent-")).collect();
    assert_eq!(urgent.len(), 1, "{urgent:?}");
    assert!(urgent[0].body.contains("24 小时内到期") && urgent[0].body.contains(&format!("#{}《紧急通知》", n.id)));
    until(&b, "2026-11-30 10:00").await;
    let again = b.to(&hunan()).into_iter().filter(|m| m.id.starts_with("urgent-")).count();
    assert_eq!(again, 1, "sent once");
    b.stop().await;
}
