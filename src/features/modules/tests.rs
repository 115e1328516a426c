//! Modules per org through the gateway: an org's own switch, a province
//! switching a module off for its whole subtree, defaults per level from the
//! config and from the national org, the disabled feature's one sentence,
//! and bad input.

use treecast_wire::{Address, Inbound, Platform};

use crate::events::Event;
use crate::notice::tests::{bed, bed_with_config, test_config_with, Bed};

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

fn hunan(text: &str) -> Inbound {
    Inbound::text(Address::direct(Platform::Email, "hunan@tw.example"), "hunan@tw.example", text)
}

fn switched(b: &Bed) -> usize {
    let log = crate::events::read(&b.tree.store, 0, 100_000).unwrap();
    log.iter().filter(|r| matches!(r.event, Event::ModuleSwitched { .. })).count()
}

#[tokio::test]
async fn an_org_switches_a_module_off_for_itself_and_a_province_for_its_whole_subtree() {
    let b = bed().await;
    let list = b.ask(dm("hnu", "/modules")).await;
    assert!(list.starts_with("湖南大学团委 的功能模块 Modules of 湖南大学团委:"), "{list}");
    assert!(list.contains("· 话题：开启 on（高校团委默认 default）") && list.contains("· 互通：开启 on"), "{list}");

    let off = b.ask(dm("hnu", "/modules off 话题")).await;
    assert_eq!(off, "已关闭 湖南大学团委 的「话题」模块。 话题 is now off for 湖南大学团委.");
    let refused = b.ask(dm("hnu", "/topic new #青春心连心# 分享团日活动")).await;
    assert!(
        refused.starts_with("「话题」模块在 湖南大学团委 未开启") && refused.contains("/modules on 话题"),
        "{refused}"
    );
    // Its branch keeps its own default.
    assert!(!b.ask(dm("li", "/topics")).await.contains("未开启"));

    // 湖南省 switches it off for everything below it.
    let below = b.ask(hunan("/modules off topics all @43")).await;
    assert!(below.contains("已关闭 共青团湖南省委学校部 的「话题」模块"), "{below}");
    let li = b.ask(dm("li", "/topics")).await;
    assert!(
        li.contains("已被 共青团湖南省委学校部 在其下级全部关闭") && li.contains("ask 共青团湖南省委学校部"),
        "{li}"
    );
    // Nothing below may turn it back on; the group's tags are not taken either.
    let again = b.ask(dm("sec", "/modules on 话题")).await;
    assert!(again.contains("已被 共青团湖南省委学校部 在其下级全部关闭"), "{again}");
    let shown = b.ask(dm("sec", "/modules")).await;
    assert!(shown.contains("· 话题：关闭 off（共青团湖南省委学校部 已在下级全部关闭"), "{shown}");
    b.say(Inbound::text(Bed::group("4143010533-001"), "li", "我们班去了敬老院 #青春心连心#")).await;
    b.settle().await;
    assert!(b.to(&Bed::group("4143010533-001")).iter().all(|m| !m.body.contains("未开启")), "silent in groups");
    // 湖北 is not below 湖南: untouched.
    let hubei = b.app.registry.admin(&b.app.ctx, "modules.list", serde_json::json!({"code": "4142010486"})).unwrap();
    assert!(hubei.text.contains("· 话题：开启 on"), "{}", hubei.text);

    // Lifted by the province: the branch has its default again.
    b.ask(hunan("/modules reset 话题 @43")).await;
    assert!(!b.ask(dm("li", "/topics")).await.contains("未开启"));
    assert_eq!(switched(&b), 3, "each switch is in the event log");
}

#[tokio::test]
async fn only_officials_of_the_org_or_above_switch_and_unknown_names_are_named() {
    let b = bed().await;
    let member = b.ask(dm("li", "/modules off 话题")).await;
    assert!(member.contains("只有 4143010533-001") && member.contains("may switch its modules"), "{member}");
    let other = b.ask(dm("hnu", "/modules off 话题 @4142010486")).await;
    assert!(other.contains("只有 4142010486"), "湖南大学 cannot switch 武汉大学's: {other}");
    let unknown = b.ask(dm("hnu", "/modules off 微博")).await;
    assert!(unknown.contains("没有名为“微博”的模块") && unknown.contains("话题（topics）"), "{unknown}");
    let usage = b.ask(dm("hnu", "/modules off")).await;
    assert!(usage.starts_with("用法：/modules"), "{usage}");
    let national = b.ask(hunan("/modules default 互通 off branch")).await;
    assert!(national.contains("只有全国团组织的团干部"), "{national}");
    assert_eq!(switched(&b), 0, "nothing changed");
}

#[tokio::test]
async fn defaults_per_level_come_from_the_config_and_the_national_org() {
    let cfg = test_config_with("[modules]\nbridge = [\"on\", \"on\", \"on\", \"off\"]\n");
    let b = bed_with_config(treecast_wire::fake::RecordingAdapter::new(Platform::Console), cfg).await;
    let at_branch = b.ask(Inbound::text(Bed::group("4143010533-001"), "sec", "/bridge on")).await;
    assert!(at_branch.starts_with("「互通」模块在 计算机科学与技术2023级1班团支部 未开启"), "{at_branch}");
    assert!(!b.ask(dm("hnu", "/bridge status")).await.starts_with("「互通」模块"), "on at the school level");
    let set = b.app.registry.admin(
        &b.app.ctx,
        "modules.default",
        serde_json::json!({"module": "互通", "level": "branch", "on": true}),
    );
    assert!(set.unwrap().text.contains("团支部的「互通」模块默认开启"));
    assert!(b.ask(Inbound::text(Bed::group("4143010533-001"), "sec", "/bridge on")).await.contains("已开启"));

    // A module the config names that no feature has is refused at start.
    let bad = test_config_with("[modules]\nweibo = \"on\"\n");
    let tree = crate::tree::tests::small_tree();
    let err = crate::app::App::new(tree, bad, crate::clock::Clock::system()).err().expect("refused").to_string();
    assert!(err.contains("weibo") && err.contains("not a module that can be switched"), "{err}");
    let wrong = crate::config::Config::parse("[modules]\nbridge = \"maybe\"\n", std::path::Path::new("t.toml"));
    assert!(wrong.unwrap_err().to_string().contains("must be \"on\", \"off\""));
}
