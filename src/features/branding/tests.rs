//! Branding through the gateway and the recording adapter: the emblem and
//! description on a chat bound with a code, a missing right told to the
//! org's official in the adapter's words, `/brand`, the operator's
//! `org.brand`, and a replaced emblem that cannot be read.

use treecast_wire::{Address, Capabilities, DeliveryError, Inbound, OutboundKind, Platform};

use treecast_wire::fake::RecordingAdapter;

use crate::notice::tests::{bed, bed_with, test_config_with, Bed};

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

fn branded(b: &Bed, to: &Address) -> Vec<treecast_wire::Outbound> {
    b.to(to).into_iter().filter(|m| m.kind == OutboundKind::Brand).collect()
}

/// Telegram groups can be branded; console groups (the bed's) cannot.
fn telegram_brands(b: &Bed) {
    b.app.ctx.caps.set(Platform::Telegram, Capabilities { branding: true, ..Capabilities::default() });
}

/// 湖南大学's official makes a bind code and someone binds a Telegram group with it.
async fn bound_with_a_code(b: &Bed, group: &Address) {
    let invite = b.ask(dm("hnu", "/invite")).await;
    let code = invite.split("/bind ").nth(1).and_then(|t| t.split_whitespace().next()).expect("a bind code").to_owned();
    b.say(Inbound::text(group.clone(), "9001", format!("/bind {code}"))).await;
    b.settle().await;
}

#[tokio::test]
async fn a_chat_bound_with_a_code_gets_the_emblem_and_the_orgs_name_level_and_slogan() {
    let b = bed().await;
    telegram_brands(&b);
    let group = Address::group(Platform::Telegram, "-100888");
    bound_with_a_code(&b, &group).await;
    let got = branded(&b, &group);
    assert_eq!(got.len(), 1, "branded once");
    assert_eq!(&*got[0].body, "共青团湖南省委学校部 · 湖南大学团委（高校团委）\n精彩微博团，青春心连心");
    let emblem = &got[0].attachments[0];
    assert!(emblem.data.starts_with(b"\x89PNG") && emblem.content_type == "image/png", "the shipped emblem");
    // Chats of platforms that cannot be branded, and the operator's binds, get nothing.
    assert!(b.chat.delivered().iter().filter(|m| m.kind == OutboundKind::Brand).all(|m| m.to == group));
}

#[tokio::test]
async fn a_missing_right_is_told_to_the_official_in_the_platforms_words() {
    // The first branding is refused as Telegram refuses a bot without the right.
    let right = "请把机器人设为群管理员并授予“修改群组信息”权限。 Make the bot an admin with \"Change Group Info\".";
    let refused_once = std::sync::atomic::AtomicBool::new(false);
    let adapter = RecordingAdapter::new(Platform::Console).with_faults(move |m, _| {
        let first = m.kind == OutboundKind::Brand && !refused_once.swap(true, std::sync::atomic::Ordering::SeqCst);
        first.then(|| DeliveryError::permanent(right))
    });
    let b = bed_with(adapter).await;
    telegram_brands(&b);
    let group = Address::group(Platform::Telegram, "-100889");
    bound_with_a_code(&b, &group).await;
    let told = b.to(&Bed::dm("hnu")).into_iter().map(|m| m.body.to_string()).find(|t| t.contains("无法为"));
    let told = told.expect("the official is told");
    assert!(told.starts_with("无法为 湖南大学团委 的群 telegram:-100889 设置团徽头像和简介"), "{told}");
    assert!(told.contains("修改群组信息") && told.contains("Change Group Info") && told.contains("/brand"), "{told}");

    // Granted: /brand in the group tries again; a member may not.
    let refused = b.ask(dm("li", "/brand @4143010533")).await;
    assert!(refused.starts_with("你无权为 4143010533 湖南大学团委 绑定群"), "{refused}");
    let again = b.ask(Inbound::text(Bed::group("4143010533"), "hnu", "/brand")).await;
    assert!(again.contains("正在为 湖南大学团委 的 1 个群和房间设置"), "{again}");
    assert_eq!(branded(&b, &group).len(), 1, "the new one, once the right is granted");
}

#[tokio::test]
async fn the_operator_brands_every_chat_below_an_org() {
    let b = bed().await;
    telegram_brands(&b);
    for (code, chat) in [("4143010533-001", "-1001"), ("4143010534-001", "-1002"), ("4142010486-001", "-1003")] {
        b.tree.bind(&b.tree.require(code).unwrap(), Address::group(Platform::Telegram, chat)).unwrap();
    }
    b.settle().await;
    assert!(b.chat.delivered().iter().all(|m| m.kind != OutboundKind::Brand), "the operator's binds: not at once");
    let done = b.app.registry.admin(&b.app.ctx, "org.brand", serde_json::json!({"under": "43"})).unwrap();
    assert!(done.text.contains("2 个群和房间"), "湖南's two, not 湖北's: {}", done.text);
    b.settle().await;
    let to: Vec<String> =
        b.chat.delivered().into_iter().filter(|m| m.kind == OutboundKind::Brand).map(|m| m.to.id).collect();
    assert_eq!(to.len(), 2);
    assert!(!to.contains(&"-1003".to_owned()));
}

#[tokio::test]
async fn an_emblem_that_cannot_be_read_stops_the_start_in_one_sentence() {
    let cfg = test_config_with("[branding]\nemblem = \"/nonexistent/团徽.png\"\n");
    let tree = crate::tree::tests::small_tree();
    let err = crate::app::App::new(tree, cfg, crate::clock::Clock::system()).err().expect("refused").to_string();
    assert!(
        err.starts_with("无法读取团徽图片 /nonexistent/团徽.png") && err.contains("Cannot read the emblem"),
        "{err}"
    );
}

#[tokio::test]
async fn a_chat_title_that_breaks_the_naming_rule_is_told_to_the_official_once() {
    let b = bed().await;
    let bind = |chat: &str, title: &str| {
        let mut ev = Inbound::text(Address::group(Platform::Telegram, chat), "9001", "");
        ev.chat_title = Some(title.to_owned());
        ev
    };
    for (chat, title) in [("-1005", "湖大团委工作群"), ("-1005", "湖大团委工作群"), ("-1006", "湖南大学团委")]
    {
        let invite = b.ask(dm("hnu", "/invite")).await;
        let code = invite.split("/bind ").nth(1).and_then(|t| t.split_whitespace().next()).unwrap().to_owned();
        let mut ev = bind(chat, title);
        ev.text = format!("/bind {code}");
        b.say(ev).await;
        b.settle().await;
    }
    let told: Vec<String> =
        b.to(&Bed::dm("hnu")).into_iter().map(|m| m.body.to_string()).filter(|t| t.contains("命名规则")).collect();
    assert_eq!(told.len(), 1, "once, for the title that breaks the rule: {told:?}");
    assert!(told[0].contains("群名“湖大团委工作群”不符合命名规则：高校团委名称须以“团委”结尾"), "{}", told[0]);
    assert!(
        told[0].contains("例如“湖南大学团委”") && told[0].contains("does not follow the naming rule"),
        "{}",
        told[0]
    );
}
