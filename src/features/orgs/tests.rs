//! The bulk tools and /unbind, on the test bed's tree and chats.

use treecast_wire::{Address, Inbound, Outcome, Platform};

use crate::codes::Grant;
use crate::notice::tests::{bed, Bed};

fn run(b: &Bed, op: &str, args: serde_json::Value) -> crate::error::Result<crate::admin::Reply> {
    b.app.registry.admin(&b.app.ctx, op, args)
}

#[tokio::test]
async fn one_code_per_branch_under_an_org_each_binds_its_own_branch() {
    let b = bed().await;
    let args = serde_json::json!({"under": "43", "level": "branch", "csv": "codes.csv"});
    let reply = run(&b, "org.invite", args).unwrap();
    assert!(reply.text.contains("3 个") && reply.text.contains("3 bind codes"), "{}", reply.text);
    let csv = String::from_utf8(reply.files[0].bytes.clone()).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let mut orgs: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    orgs.sort();
    assert_eq!(orgs, ["4143010533-001", "4143010533-002", "4143010534-001"], "湖南's branches only:\n{csv}");
    for r in &rows {
        let Grant::Bind { org, .. } = b.tree.store.redeem_code(r[2], b.app.ctx.now()).unwrap() else { panic!() };
        assert_eq!(b.tree.require_id(org).unwrap().code, r[0], "each code binds its own row's org");
    }
    let err = run(&b, "org.invite", serde_json::json!({"under": "43"})).unwrap_err().to_string();
    assert!(err.contains("--level") && err.contains("请给出"), "{err}");
    b.stop().await;
}

#[tokio::test]
async fn channels_lists_bound_chats_and_the_orgs_without_any() {
    let b = bed().await;
    let text = run(&b, "org.channels", serde_json::json!({"under": "4143010533"})).unwrap().text;
    assert!(text.contains("4143010533-001") && text.contains("console:4143010533-001"), "{text}");
    let chat = "telegram:-100555";
    let bound = run(&b, "org.bind", serde_json::json!({"code": "4143010533-002", "chat": chat})).unwrap().text;
    assert!(bound.contains("已将 telegram:-100555 绑定到 4143010533-002"), "{bound}");
    let dup = run(&b, "org.bind", serde_json::json!({"code": "4143010533-001", "chat": chat})).unwrap_err();
    assert!(dup.to_string().contains("/unbind"), "{dup}");
    let out = run(&b, "org.unbind", serde_json::json!({"chat": "console:4143010533-002"})).unwrap().text;
    assert!(out.contains("解除"), "{out}");
    let out = run(&b, "org.unbind", serde_json::json!({"chat": chat})).unwrap().text;
    assert!(out.contains("no longer bound"), "{out}");
    let unbound = run(&b, "org.channels", serde_json::json!({"under": "43", "unbound": true})).unwrap().text;
    assert!(unbound.contains("4143010533-002") && unbound.contains("无渠道 no channel"), "{unbound}");
    assert!(!unbound.contains("4143010533-001 "), "bound orgs are left out with --unbound: {unbound}");
    assert!(unbound.contains("1 without"), "{unbound}");
    let bad = run(&b, "org.unbind", serde_json::json!({"chat": "nowhere"})).unwrap_err().to_string();
    assert!(bad.contains("平台:编号") && bad.contains("platform:id"), "{bad}");
    b.stop().await;
}

#[tokio::test]
async fn unbind_in_the_group_by_its_official_and_not_by_others() {
    let b = bed().await;
    let group = Bed::group("4143010533-001");
    let out = b.say(Inbound::text(group.clone(), "li", "/unbind")).await;
    assert!(matches!(out, Outcome::Rejected { .. }), "a member may not unbind: {out:?}");
    assert!(b.tree.channel_by_address(&group).unwrap().is_some());
    let out = b.say(Inbound::text(Bed::dm("sec"), "sec", "/unbind")).await;
    assert!(matches!(out, Outcome::Rejected { reason } if reason.contains("群里")), "not in a private chat");
    let out = b.say(Inbound::text(group.clone(), "sec", "/unbind")).await;
    assert_eq!(out, Outcome::Done);
    assert!(b.tree.channel_by_address(&group).unwrap().is_none(), "the branch secretary unbound it");
    b.settle().await;
    assert!(b.to(&group).iter().any(|m| m.body.contains("解除绑定") && m.body.contains("no longer bound")));
    // An official above may unbind too; the chat can then be bound anew.
    let other = Address::group(Platform::Console, "4143010533-002");
    assert_eq!(b.say(Inbound::text(other.clone(), "hnu", "/解绑")).await, Outcome::Done);
    assert!(b.tree.channel_by_address(&other).unwrap().is_none());
    b.stop().await;
}
