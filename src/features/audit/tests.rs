//! The audit log through the gateway and the recording adapter: what an
//! official did, by whom, readable by the org's officials and those above,
//! refused to anyone else, and pruned after its keeping time.

use treecast_wire::{Address, Inbound, Platform};

use crate::notice::tests::{bed, draft_for, Bed};

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

/// Says `ev` and, once everything is sent, the last message to its chat.
async fn ask(b: &Bed, ev: Inbound) -> String {
    let chat = ev.chat.clone();
    b.say(ev).await;
    b.settle().await;
    b.to(&chat).last().map(|m| m.body.to_string()).unwrap_or_default()
}

#[tokio::test]
async fn posts_reminders_bindings_and_unbindings_are_kept_with_who_did_them() {
    let b = bed().await;
    let n = b.post("hnu", draft_for("4143010533", "关于开展主题团日活动的通知")).unwrap();
    b.settle().await;
    ask(&b, dm("hnu", &format!("/remind {}", n.id))).await;
    // 湖南大学's official makes a bind code; a group binds with it, then is unbound.
    let invite = ask(&b, dm("hnu", "/invite")).await;
    let code = invite.split("/bind ").nth(1).and_then(|t| t.split_whitespace().next()).expect("a bind code").to_owned();
    let group = Address::group(Platform::Console, "hnu-new-group");
    b.say(Inbound::text(group.clone(), "stranger", format!("/bind {code}"))).await;
    b.say(Inbound::text(group.clone(), "hnu", "/unbind")).await;
    b.settle().await;

    let log = ask(&b, dm("hnu", "/audit")).await;
    assert!(log.starts_with("4143010533 湖南大学团委 的操作记录"), "{log}");
    for line in [
        format!("hnu  发布通知 #{}", n.id),
        "hnu  发送提醒 #".to_owned(),
        "持绑定码者 a bind code's holder  绑定渠道 #".to_owned(),
        "hnu  解绑渠道 #".to_owned(),
    ] {
        assert!(log.contains(&line), "{line:?} missing from:\n{log}");
    }
    // Who acknowledged, shown by /status, is a read of personal data.
    let mut ack = Inbound::text(Bed::group("4143010533-001"), "li", "收到");
    ack.in_reply_to = Some(b.copy_id(n.id, "4143010533-001"));
    b.say(ack).await;
    ask(&b, dm("hnu", &format!("/status {}", n.id))).await;
    let log = ask(&b, dm("hnu", "/audit")).await;
    assert!(log.contains(&format!("hnu  查看个人信息：notice:{} acknowledgements，1 人", n.id)), "{log}");
    // Newest first: the unbinding before the binding.
    assert!(log.find("解绑渠道").unwrap() < log.find("绑定渠道 #").unwrap(), "{log}");

    // 湖南省 above reads it too, naming the org; the same through the operator's operation.
    let mail = Address::direct(Platform::Email, "hunan@tw.example");
    let above = ask(&b, Inbound::text(mail, "hunan@tw.example", "/audit 4143010533")).await;
    assert!(above.contains("解绑渠道"), "{above}");
    let op = b.app.registry.admin(&b.app.ctx, "audit.list", serde_json::json!({ "org": "4143010533" })).unwrap();
    assert_eq!(op.text, log);
}

#[tokio::test]
async fn a_member_a_branch_official_and_a_stranger_may_not_read_a_schools_log() {
    let b = bed().await;
    b.post("hnu", draft_for("4143010533", "关于开展主题团日活动的通知")).unwrap();
    b.settle().await;
    for user in ["li", "sec"] {
        let said = ask(&b, dm(user, "/audit 4143010533")).await;
        assert!(said.starts_with("你无权查看 4143010533 湖南大学团委 的这项信息"), "{user}: {said}");
        assert!(!said.contains("发布通知"), "{said}");
    }
    let said = ask(&b, dm("nobody", "/audit 4143010533")).await;
    assert!(!said.contains("发布通知") && !said.is_empty(), "{said}");
}

#[tokio::test]
async fn entries_past_the_keeping_time_are_removed_by_the_scheduler() {
    let b = bed().await;
    let start = 1_800_000_000;
    b.app.ctx.clock.set(Some(start));
    b.post("hnu", draft_for("4143010533", "关于开展主题团日活动的通知")).unwrap();
    b.settle().await;
    let read =
        || b.app.registry.admin(&b.app.ctx, "audit.list", serde_json::json!({ "org": "4143010533" })).unwrap().text;
    assert!(read().contains("发布通知"));
    let days = u64::from(b.app.ctx.config.privacy.audit_days);
    // A day before the end of its keeping time it stays; after, it goes.
    for (day, kept) in [(days - 1, true), (days + 1, false)] {
        crate::features::privacy::tests::run_retention_at(&b, start + day * 86_400);
        assert_eq!(read().contains("发布通知"), kept, "day {day}: {}", read());
    }
    assert!(read().contains("暂无记录"), "{}", read());
}

#[test]
fn a_wrong_privacy_section_is_one_sentence() {
    for (text, key) in
        [("audit_days = 0", "audit_days = 0"), ("survey_names_days = 0", "survey_names_days = 0"), ("keep = 3", "keep")]
    {
        let err =
            crate::config::Config::parse(&format!("[privacy]\n{text}\n"), std::path::Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("[privacy]") && err.to_string().contains(key), "{err}");
    }
    let ok = crate::config::Config::parse("[privacy]\naudit_days = 30\n", std::path::Path::new("t.toml")).unwrap();
    assert_eq!((ok.privacy.audit_days, ok.privacy.survey_names_days), (30, 365));
}
