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

fn import(b: &Bed, csv: &str) -> crate::error::Result<String> {
    run(b, "org.import_channels", serde_json::json!({"name": "旧账号.csv", "csv": csv})).map(|r| r.text)
}

/// Every chat bound in the tree, as `platform:id`.
fn bound(b: &Bed) -> Vec<String> {
    let cn = b.tree.require("CN").unwrap();
    let mut all: Vec<String> = b
        .tree
        .store
        .channels_under(&cn.path)
        .unwrap()
        .into_iter()
        .map(|p| format!("{}:{}", p.channel.address.platform, p.channel.address.id))
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn existing_chats_are_imported_once_with_the_operator_in_the_audit_log() {
    let b = bed().await;
    let before = bound(&b).len();
    // Columns in any order, a BOM, an extra column, a row given twice, and a
    // chat bound to its org already (the bed binds every org's console group).
    let csv = "\u{feff}name,code,platform,chat,备注\n\
        软件工程2023级1班,4143010533-002,telegram,-1001234567890,\n\
        软件工程2023级1班,4143010533-002,telegram,-1001234567890,重复\n\
        临床医学2022级2班,4143010534-001,matrix,!linchuang:example.org,\n\
        湖南大学团委,4143010533,email,TW@lists.HNU.edu.cn,\n\
        计算机2023级1班,4143010533-001,console,4143010533-001,\n";
    let done = import(&b, csv).unwrap();
    assert!(done.contains("5 行，新绑定 3 个群，1 个此前已绑定"), "{done}");
    let now = bound(&b);
    assert_eq!(now.len(), before + 3);
    for c in ["telegram:-1001234567890", "matrix:!linchuang:example.org", "email:tw@lists.hnu.edu.cn"] {
        assert!(now.contains(&c.to_owned()), "{c} in {now:?}");
    }
    let again = import(&b, csv).unwrap();
    assert!(again.contains("新绑定 0 个群，4 个此前已绑定"), "{again}");
    assert_eq!(bound(&b).len(), before + 3, "a second import adds nothing");
    b.settle().await; // the audit log follows the event log
    let audit = run(&b, "audit.list", serde_json::json!({"org": "4143010533-002"})).unwrap().text;
    assert!(audit.contains("运维人员") && audit.contains("绑定"), "{audit}");
    b.stop().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_names_each_line_and_binds_nothing() {
    let b = bed().await;
    let before = bound(&b);
    let csv = "code,platform,chat,name\n\
        4143010533-002,telegram,-1009990001,好的一行\n\
        9999,telegram,-1009990002,没有这个组织\n\
        4143010533-002,telegram,@qunzu,不是编号\n\
        4143010534-001,matrix,linchuang,不是房间\n\
        4143010533,email,tw-hnu,不是地址\n\
        4143010533-001,telegram,,缺少群\n\
        4143010534-001,telegram,-1009990001,同一个群另一个组织\n\
        4142010486-001,console,4143010533-001,已绑定到别处\n\
        4142010486-001,weibo,123,没有这个平台\n";
    let err = import(&b, csv).unwrap_err().to_string();
    assert!(err.contains("旧账号.csv：8 行有误，未导入任何群"), "{err}");
    for (line, what) in [
        (3, "9999"),
        (4, "不是“@qunzu”"),
        (5, "!房间号:服务器"),
        (6, "完整的邮箱地址"),
        (7, "缺少 chat"),
        (8, "与第 2 行是同一个群"),
        (9, "本群已绑定到 4143010533-001"),
        (10, "weibo"),
    ] {
        let row = err
            .lines()
            .find(|l| l.starts_with(&format!("旧账号.csv:{line}：")))
            .unwrap_or_else(|| panic!("line {line}: {err}"));
        assert!(row.contains(what), "line {line} should say {what:?}: {row}");
    }
    assert_eq!(bound(&b), before, "nothing was bound, the good row neither");
    let header = import(&b, "org,platform,chat\n43,telegram,-1\n").unwrap_err().to_string();
    assert!(header.contains("旧账号.csv:1：表头须包含 code、platform、chat、name"), "{header}");
    b.stop().await;
}
