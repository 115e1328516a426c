//! Micro-topics through the gateway and the recording adapter: opening and
//! its announcement, posts from groups (half- and full-width #) and
//! privately, the topic view, the hot list by branches (a flood counts
//! once an hour), who may open, bad input, a closed topic, and search.

use treecast_wire::Inbound;

use super::tags;
use crate::notice::tests::{bed, Bed};

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

/// A day `days` from now, as an official types it.
fn day_ahead(b: &Bed, days: u64) -> String {
    crate::clock::show(b.app.ctx.clock.now() + days * 86_400)[..10].to_owned()
}

async fn in_group(b: &Bed, code: &str, user: &str, text: &str) {
    b.say(Inbound::text(Bed::group(code), user, text)).await;
}

#[test]
fn tags_are_read_half_and_full_width_and_bounded() {
    assert_eq!(tags("我们班去了敬老院 #青春心连心# 很开心"), ["青春心连心"]);
    assert_eq!(tags("＃青春心连心＃和#志愿服务月#"), ["青春心连心", "志愿服务月"]);
    assert_eq!(tags("#青春心连心# 再说一遍 #青春心连心#"), ["青春心连心"]);
    assert!(tags("只有一个 # 号").is_empty());
    assert!(tags("##").is_empty());
    assert!(tags(&format!("#{}#", "长".repeat(31))).is_empty());
}

#[tokio::test]
async fn a_topic_is_opened_announced_posted_to_and_ranked_by_branches() {
    let b = bed().await;
    let until = day_ahead(&b, 10);
    let opened = b.ask(dm("hnu", &format!("/topic new #青春心连心# 分享你们班的团日活动 {until}"))).await;
    assert!(opened.contains("已发起话题 #青春心连心#（湖南大学团委，截止"), "{opened}");
    let ann = b.to(&Bed::group("4143010533-001"));
    let ann = ann.iter().find(|m| m.body.contains("/topic post #青春心连心#")).expect("the announcement in the group");
    let title = ann.title.as_deref().map(str::to_owned).unwrap_or_default();
    assert!(
        title.contains("【微话题】#青春心连心#") || ann.body.contains("【微话题】#青春心连心#"),
        "{title} {}",
        ann.body
    );
    let csu = b.to(&Bed::group("4143010534-001"));
    assert!(!csu.iter().any(|m| m.body.contains("青春心连心")), "not to 中南大学");

    // Branch 001: 李明 floods; branch 002: someone treecast does not know,
    // full-width; 中南大学's group uses the tag too but is not in the topic.
    for i in 0..6 {
        in_group(&b, "4143010533-001", "li", &format!("我们班周五去敬老院 #青春心连心# 第{i}条")).await;
    }
    in_group(&b, "4143010533-002", "zhang", "＃青春心连心＃ 我们班也去了社区").await;
    in_group(&b, "4143010534-001", "csu", "#青春心连心# 我们也想参加").await;
    in_group(&b, "4143010533-001", "li", "今天天气不错").await;
    let posted = b.ask(dm("wang", "/topic post #青春心连心# 我们班还办了读书会")).await;
    assert_eq!(posted, "已发布到话题 #青春心连心#。 Posted to #青春心连心#.");

    // A second topic with more posts from one branch ranks below.
    b.ask(dm("hnu", "/topic new #志愿服务月# 记录志愿服务")).await;
    for i in 0..10 {
        in_group(&b, "4143010533-002", "zhang", &format!("#志愿服务月# 第{i}次服务")).await;
    }
    b.settle().await;

    let view = b.ask(dm("li", "/topic #青春心连心#")).await;
    assert!(view.contains("共 2 个组织参与，8 条发言"), "{view}");
    assert!(view.contains("李明") || view.contains("li"), "{view}");
    assert!(view.contains("我们班还办了读书会") && !view.contains("我们也想参加"), "{view}");
    assert!(view.find("计算机科学与技术2023级1班团支部：7 条").is_some(), "{view}");

    let hot = b.ask(dm("li", "/topics")).await;
    let first = hot.find("#青春心连心#").expect("listed");
    let second = hot.find("#志愿服务月#").expect("listed");
    assert!(first < second, "more branches rank first, not more posts:\n{hot}");
    // 李明's six posts in one hour count once: 李明, the unknown writer, 王芳.
    assert!(hot.contains("#青春心连心# · 湖南大学团委 · 2 个组织参与，活跃度 3 2 orgs, activity 3 · 截止"), "{hot}");
    assert!(hot.contains("#志愿服务月# · 湖南大学团委 · 1 个组织参与，活跃度 1 1 orgs, activity 1 · 截止"), "{hot}");

    // Search finds the posts for the topic's audience.
    b.settle().await;
    let found = b.ask(dm("li", "/search 敬老院")).await;
    assert!(found.contains("[话题 topic] #青春心连心#"), "{found}");
}

#[tokio::test]
async fn who_may_open_and_bad_input_each_get_one_sentence() {
    let b = bed().await;
    let member = b.ask(dm("li", "/topic new #青春心连心# 说明")).await;
    assert!(member.contains("团干部") && !member.contains("已发起"), "{member}");
    for (text, expect) in [
        ("/topic new 说明", "用法：/topic new #话题#"),
        ("/topic new #青春心连心# 说明 2020-01-01", "不是以后的日期"),
        (&format!("/topic new #{}# 说明", "长".repeat(31)) as &str, "话题太长"),
        ("/topic #不存在的话题#", "没有你能参与的进行中的话题 #不存在的话题#"),
        ("/topic post #不存在的话题# 你好", "没有你能参与的进行中的话题"),
    ] {
        let said = b.ask(dm("hnu", text)).await;
        assert!(said.contains(expect), "{text}: {said}");
    }
    b.ask(dm("hnu", "/topic new #青春心连心# 说明")).await;
    let again = b.ask(dm("hnu", "/topic new ＃青春心连心＃ 再来一次")).await;
    assert!(again.contains("湖南大学团委 已有进行中的话题 #青春心连心#"), "{again}");
    let stranger = b.ask(dm("nobody", "/topics")).await;
    assert!(!stranger.contains("青春心连心"), "{stranger}");
}

#[tokio::test]
async fn a_closed_topic_takes_no_more_posts() {
    let b = bed().await;
    let until = day_ahead(&b, 1);
    b.ask(dm("hnu", &format!("/topic new #青春心连心# 说明 {until}"))).await;
    in_group(&b, "4143010533-001", "li", "#青春心连心# 第一条").await;
    b.app.ctx.clock.set(Some(b.app.ctx.clock.now() + 3 * 86_400));
    in_group(&b, "4143010533-001", "li", "#青春心连心# 截止后").await;
    let late = b.ask(dm("wang", "/topic post #青春心连心# 截止后私聊")).await;
    assert!(late.contains("没有你能参与的进行中的话题"), "{late}");
    let view = b.ask(dm("li", "/topic #青春心连心#")).await;
    assert!(view.contains("已结束") && view.contains("1 条发言") && !view.contains("截止后"), "{view}");
}

#[tokio::test]
async fn the_hot_list_counts_the_last_seven_days_and_the_topic_its_whole_life() {
    let b = bed().await;
    let now = b.app.ctx.clock.now();
    b.app.ctx.clock.set(Some(now - 10 * 86_400));
    let until = day_ahead(&b, 30);
    b.ask(dm("hnu", &format!("/topic new #青春心连心# 说明 {until}"))).await;
    in_group(&b, "4143010533-002", "zhang", "#青春心连心# 十天前").await;
    b.app.ctx.clock.set(Some(now));
    in_group(&b, "4143010533-001", "li", "#青春心连心# 今天").await;
    // The daily figures follow the log a moment behind the posts.
    b.settle().await;
    let hot = b.ask(dm("li", "/topics")).await;
    assert!(hot.contains("#青春心连心# · 湖南大学团委 · 1 个组织参与，活跃度 1"), "{hot}");
    let view = b.ask(dm("li", "/topic #青春心连心#")).await;
    assert!(view.contains("共 2 个组织参与，2 条发言"), "{view}");
}
