//! The formula on a small tree with scores worked out by hand, and the
//! leaderboard end to end: real acknowledgements and a report through the
//! gateway, the figures kept from the log, the daily run, `/rank` for an
//! official and a student, and "most improved" a month later.

use std::collections::HashMap;

use treecast_wire::{Inbound, InboundKind};

use super::score::{self, InUse, Own, Tally};
use crate::notice::tests::{bed, Bed};
use crate::notice::{ack_data, Draft};

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 0.01
}

fn own(t: Tally, members: u32, live_chat: bool) -> Own {
    Own { tally: t, members, live_chat }
}

/// R → A (a1 a2 a3), B (b1 b2). By hand:
/// a1 = (3/4 + 5/10 + 1 + 1/2 + 2/4 + 1) / 6 = 4.25 / 6 = 70.83
/// a2 = received nothing and no members: (0 + 0 + 0 + 1) / 4 = 25
/// a3 = (2/2 + min(8/4, 1) + 1 + 1/1 + min(5/4, 1) + 0) / 6 = 83.33
/// A = median(70.83, 25, 83.33) = 70.83; its notices part median(0.75, 1) = 0.875
/// b1 = (0 + 0 + 0 + 0 + 1) / 5 = 20 (4 members, no answers); b2 = 0; B = 10
/// R = median(70.83, 10) = 40.42, the mean of the two middle values.
#[test]
fn the_formula_on_a_small_tree_gives_the_scores_worked_out_by_hand() {
    let orgs = [
        (1, None, 1),
        (2, Some(1), 2),
        (3, Some(1), 2),
        (21, Some(2), 3),
        (22, Some(2), 3),
        (23, Some(2), 3),
        (31, Some(3), 3),
        (32, Some(3), 3),
    ];
    let t = |received, acked, answers, topic_posts, submitted, featured, report_weeks| Tally {
        received,
        acked,
        answers,
        topic_posts,
        submitted,
        featured,
        report_weeks,
    };
    let facts: HashMap<u32, Own> = [
        (21, own(t(4, 3, 5, 2, 2, 1, 2), 10, true)),
        (22, own(t(0, 0, 0, 0, 0, 0, 0), 0, true)),
        (23, own(t(2, 2, 8, 1, 1, 1, 5), 4, false)),
        (31, own(t(0, 0, 0, 0, 0, 0, 0), 4, true)),
    ]
    .into_iter()
    .collect();
    let used = InUse::of(facts.values().map(|o| &o.tally));
    assert_eq!(used, InUse([true; 6]));
    let s = score::all(&orgs, &facts, used);
    for (id, want) in [(21, 70.83), (22, 25.0), (23, 83.33), (31, 20.0), (32, 0.0), (2, 70.83), (3, 10.0), (1, 40.42)] {
        assert!(close(s[&id].total, want), "org {id}: {} != {want}", s[&id].total);
    }
    assert_eq!(s[&22].parts[0], None, "nothing received: the notices part does not count");
    assert!(close(s[&2].parts[0].unwrap(), 0.875));
    assert_eq!(s[&32].parts[1], None, "no members: the surveys part does not count");

    // A part nobody had (no topic anywhere) counts for nobody.
    let mut quiet = facts.clone();
    for o in quiet.values_mut() {
        o.tally.topic_posts = 0;
    }
    let used = InUse::of(quiet.values().map(|o| &o.tally));
    assert!(!used.0[2]);
    let s = score::all(&orgs, &quiet, used);
    // a1 without its topics part: (0.75 + 0.5 + 0.5 + 0.5 + 1) / 5
    assert!(close(s[&21].total, 65.0), "{}", s[&21].total);
    assert_eq!(s[&21].parts[2], None);
    assert_eq!(score::median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
    assert_eq!(score::median(Vec::new()), None);
}

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

/// An ack-required notice from 湖南 to its branches, acknowledged by `acking`.
async fn notice_acked_by(b: &Bed, title: &str, acking: &[(&str, &str)]) {
    let deadline = b.app.ctx.clock.now() + 86_400;
    let d = Draft {
        issuer_code: "43".into(),
        title: title.into(),
        body: "请各团支部确认".into(),
        levels: vec!["branch".into()],
        ack_required: true,
        ack_deadline: Some(deadline),
        ..Draft::default()
    };
    let n = b.post("hunan", d).unwrap();
    b.settle().await;
    for (group, user) in acking {
        let mut press = Inbound::text(Bed::group(group), user, "");
        press.kind = InboundKind::Button { data: ack_data(n.id) };
        b.say(press).await;
    }
    b.settle().await;
}

fn rank(b: &Bed) -> String {
    b.app.registry.admin(&b.app.ctx, "leaderboard.recompute", serde_json::json!({})).unwrap().text
}

#[tokio::test]
async fn rank_shows_peers_with_their_parts_from_real_activity_and_the_most_improved_a_month_on() {
    let b = bed().await;
    let t0 = b.app.ctx.clock.now();
    b.app.ctx.clock.set(Some(t0));
    assert!(b.ask(dm("hnu", "/rank")).await.contains("排行榜尚未计算"));
    notice_acked_by(&b, "请确认收到", &[("4143010533-001", "li")]).await;
    let sent = b.ask(dm("sec", "/report 本周团日活动\n已完成")).await;
    assert!(sent.contains("报送"), "{sent}");
    assert!(rank(&b).contains("已计算 10 个组织的活跃度"));
    // Members per org, for the surveys part: li and wang (the branch's official is not one).
    let members = b.app.ctx.store().member_counts().unwrap();
    assert_eq!(members.get(&b.tree.require("4143010533-001").unwrap().id), Some(&2));

    // In use: notices, reports, chats (no survey, topic or column anywhere).
    // 湖南大学 -001: (1 + 1/4 + 1) / 3 = 75; -002: (0 + 0 + 1) / 3 = 33.3;
    // 中南大学 -001 the same 33.3; 湖南大学 = median(75, 33.3) = 54.2.
    let hunan = b.ask(dm("hnu", "/rank")).await;
    let first = hunan.lines().find(|l| l.starts_with("▶ 1. ")).unwrap_or_else(|| panic!("{hunan}"));
    assert!(first.contains("湖南大学团委 54.2｜通知 notices 50% 调查 surveys —"), "{first}");
    assert!(first.contains("报送 reports 12% 渠道 chats 100%"), "{first}");
    assert!(hunan.contains("2. 中南大学团委 33.3"), "{hunan}");
    assert!(hunan.contains("共青团湖南省委学校部 下的高校团委（2 个，最近 30 天"), "{hunan}");
    assert!(!hunan.contains("进步最快"), "nothing to compare with yet: {hunan}");
    let student = b.ask(dm("li", "/rank")).await;
    assert!(student.contains("▶ 1. 计算机科学与技术2023级1班团支部 75.0"), "{student}");
    assert!(student.contains("2. 软件工程2023级1班团支部 33.3"), "{student}");
    // By level: the provinces, nationally (湖北's branch received nothing: (0 + 1) / 2 = 50).
    let provinces = b.ask(dm("li", "/rank 省级")).await;
    assert!(provinces.contains("1. 共青团湖北省委学校部 50.0"), "{provinces}");
    assert!(provinces.contains("▶ 2. 共青团湖南省委学校部 43.8"), "{provinces}");
    let op = b.app.registry.admin(&b.app.ctx, "leaderboard.rank", serde_json::json!({"org": "43"})).unwrap().text;
    assert!(op.contains("1. 湖南大学团委 54.2"), "{op}");
    assert!(b.ask(dm("li", "/rank 4143010533-001")).await.contains("没有下级组织可比较"));

    // A month on, 中南大学's branch acknowledges the new notice and 湖南大学's do not.
    b.app.ctx.clock.set(Some(t0 + 31 * 86_400));
    notice_acked_by(&b, "第二份通知", &[("4143010534-001", "zhou")]).await;
    rank(&b);
    let later = b.ask(dm("hnu", "/rank")).await;
    assert!(later.contains("1. 中南大学团委 100.0"), "{later}");
    assert!(later.contains("进步最快 Most improved: 中南大学团委 +66.7"), "{later}");
    b.stop().await;
}

/// Each batch of the log keeps its figures in one row keyed by its first
/// event: a batch handled again (a runner that lost the race to commit)
/// replaces that row, and nothing counts twice.
#[test]
fn a_batch_handled_twice_counts_once() {
    use super::store::What;
    use crate::events::{self, Event};
    use crate::registry::Subscriber;
    let now = 1_800_000_000;
    let app = crate::app::App::new(
        crate::tree::tests::small_tree(),
        crate::notice::tests::test_config(),
        crate::clock::Clock::fixed(now),
    )
    .unwrap();
    let org = app.tree().require("4143010533-001").unwrap().id;
    let mut w = crate::store::Writes::default();
    events::emit(&mut w, now * 1000, &Event::TopicPosted { topic: 1, post: 1, org, person: None });
    events::emit(&mut w, now * 1000, &Event::SurveyAnswered { survey: 1, answered: vec![(org, None), (org, None)] });
    app.ctx.store().commit(&w).unwrap();
    let sum = |what: What| {
        let mut n = 0;
        super::store::facts(app.ctx.store(), 0, |f| n += if f.org == org && f.what == what { f.n } else { 0 }).unwrap();
        n
    };
    let batch = events::read(app.ctx.store(), 0, 1000).unwrap();
    let figures = super::Figures;
    for _ in 0..2 {
        app.ctx.store().commit(&figures.handle(&app.ctx, &batch).unwrap()).unwrap();
    }
    assert_eq!((sum(What::TopicPosts), sum(What::Answers)), (1, 2));
    // A later batch counts too.
    let mut w = crate::store::Writes::default();
    events::emit(&mut w, now * 1000, &Event::TopicPosted { topic: 1, post: 2, org, person: None });
    app.ctx.store().commit(&w).unwrap();
    let last = batch.last().unwrap().seq;
    let next = events::read(app.ctx.store(), last, 1000).unwrap();
    app.ctx.store().commit(&figures.handle(&app.ctx, &next).unwrap()).unwrap();
    assert_eq!(sum(What::TopicPosts), 2);
}
