//! Search through the gateway: the index follows the event log, and each
//! asker sees only what is theirs (a student: notices that reached their
//! branch; an official: their subtree's notices and their orgs' letters).

use treecast_wire::{Address, Inbound, OutboundKind, Platform};

use crate::notice::tests::{bed, draft_for, Bed};
use crate::tree::people::Role;

fn dm(platform: Platform, user: &str, text: &str) -> Inbound {
    Inbound::text(Address::direct(platform, user), user, text)
}

async fn ask(b: &Bed, platform: Platform, user: &str, q: &str) -> String {
    b.say(dm(platform, user, &format!("/search {q}"))).await;
    b.settle().await;
    let to = Address::direct(platform, user);
    b.to(&to)
        .into_iter()
        .filter(|m| m.kind == OutboundKind::Reply)
        .last()
        .map(|m| m.body.to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn each_asker_finds_only_what_is_theirs() {
    let b = bed().await;
    // 湖北 gets an official; 湖南's notice reaches 湖南's branches only.
    let hubei = b.tree.add_person("鄂老师").unwrap();
    b.tree.add_identity(hubei.id, Platform::Console, "hubei").unwrap();
    b.tree.grant(hubei.id, &b.tree.require("42").unwrap(), Role::Official).unwrap();
    let n = b.post("hunan", draft_for("43", "关于开展志愿服务月活动的通知")).unwrap();
    let hb_notice = b.tree.post(hubei.id, draft_for("42", "湖北志愿服务队招募"), &b.app.ctx.rules()).unwrap();
    b.app.ctx.waker.wake();
    b.say(dm(Platform::Console, "hnu", "/msg 43 志愿服务经费预算请审批")).await;
    b.settle().await;

    // The student in 湖南大学's branch: the 湖南 notice, not the letter, not 湖北's notice.
    let li = ask(&b, Platform::Console, "li", "志愿服务").await;
    assert!(li.contains("关于开展志愿服务月活动的通知"), "{li}");
    assert!(!li.contains("经费预算") && !li.contains("湖北志愿服务"), "{li}");
    // 湖南大学's official: the notice that reached their org, and their own letter.
    let hnu = ask(&b, Platform::Console, "hnu", "志愿服务").await;
    assert!(hnu.contains("关于开展志愿服务月活动的通知") && hnu.contains("志愿服务经费预算"), "{hnu}");
    assert!(!hnu.contains("湖北志愿服务"), "{hnu}");
    // 湖北's official: their own notice, never 湖南's letter.
    let hb = ask(&b, Platform::Console, "hubei", "志愿服务").await;
    assert!(hb.contains("湖北志愿服务") && !hb.contains("经费预算") && !hb.contains("志愿服务月"), "{hb}");
    // In traditional characters, and in a group: refused there, nothing shown.
    let trad = ask(&b, Platform::Console, "hnu", "志願服務").await;
    assert!(trad.contains("志愿服务经费预算"), "{trad}");
    b.say(Inbound::text(Bed::group("4143010533"), "hnu", "/search 志愿服务")).await;
    b.settle().await;
    let group = b.to(&Bed::group("4143010533")).into_iter().filter(|m| m.kind == OutboundKind::Reply).last().unwrap();
    assert!(group.body.contains("私聊") && !group.body.contains("经费"), "{}", group.body);
    assert!(n.id != hb_notice.id);
    b.stop().await;
}

#[tokio::test]
async fn orgs_are_public_by_name_and_initials_after_a_rebuild() {
    let b = bed().await;
    let done = b.app.registry.admin(&b.app.ctx, "search.rebuild", serde_json::json!({})).unwrap();
    assert!(done.text.contains("共 10 条") && done.text.contains("10 documents"), "every org: {}", done.text);
    let stranger = ask(&b, Platform::Matrix, "@stranger:hn.example", "hndx").await;
    assert!(stranger.contains("[组织 org] 湖南大学团委"), "{stranger}");
    let none = ask(&b, Platform::Matrix, "@stranger:hn.example", "不存在的词语").await;
    assert!(none.contains("没有找到") && none.contains("Nothing matches"), "{none}");
    let bad = ask(&b, Platform::Matrix, "@stranger:hn.example", "\"团委").await;
    assert!(bad.contains("引号没有配对") && bad.contains("not closed"), "{bad}");
    b.stop().await;
}
