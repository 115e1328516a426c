//! Search through the gateway: the index follows the event log, and each
//! asker sees only what is theirs (a student: notices that reached their
//! branch; an official: their subtree's notices and their orgs' letters).

use treecast_wire::{Address, Inbound, OutboundKind, Platform};

use crate::notice::tests::{bed, draft_for, Bed};
use crate::tree::people::Role;

fn dm(platform: Platform, user: &str, text: &str) -> Inbound {
    Inbound::text(Address::direct(platform, user), user, text)
}

/// `q` searched once the index has caught up with the log (it follows
/// the log a moment behind).
async fn ask(b: &Bed, platform: Platform, user: &str, q: &str) -> String {
    b.settle().await;
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

#[tokio::test]
async fn org_changes_reach_the_index_through_the_event_log() {
    let b = bed().await;
    let hubei = b.tree.add_person("鄂老师").unwrap();
    b.tree.add_identity(hubei.id, Platform::Console, "hubei").unwrap();
    b.tree.grant(hubei.id, &b.tree.require("42").unwrap(), Role::Official).unwrap();
    let stranger = "@stranger:hn.example";
    // The import's orgs, with no rebuild.
    let found = ask(&b, Platform::Matrix, stranger, "法学2024级1班").await;
    assert!(found.contains("法学2024级1班团支部"), "{found}");
    // By the names above it: a branch of 武汉大学.
    let below = ask(&b, Platform::Matrix, stranger, "武汉大学 团支部").await;
    assert!(below.contains("法学2024级1班团支部") && !below.contains("软件工程"), "{below}");
    // Renamed: found by the new name, not the old.
    b.tree.rename("4143010534", "中南大学湘雅团委").unwrap();
    let renamed = ask(&b, Platform::Matrix, stranger, "湘雅").await;
    assert!(renamed.contains("中南大学湘雅团委"), "{renamed}");
    // ... and its branch by the new name above it.
    let branch = ask(&b, Platform::Matrix, stranger, "湘雅 临床医学").await;
    assert!(branch.contains("临床医学2022级2班团支部"), "{branch}");
    // Deleted: gone.
    b.tree.delete("4142010486-001", false).unwrap();
    let gone = ask(&b, Platform::Matrix, stranger, "法学2024级1班").await;
    assert!(gone.contains("没有找到"), "{gone}");
    // Moved: 湖南大学's notice follows it from 湖南 to 湖北.
    b.post("hnu", draft_for("4143010533", "湖南大学网络安全周安排")).unwrap();
    b.settle().await;
    b.tree.add_identity(b.people["hunan"], Platform::Console, "hunan-c").unwrap();
    let before = ask(&b, Platform::Console, "hubei", "网络安全周").await;
    assert!(before.contains("没有找到"), "湖北 before the move: {before}");
    let hunan = ask(&b, Platform::Console, "hunan-c", "网络安全周").await;
    assert!(hunan.contains("湖南大学网络安全周安排"), "湖南 before the move: {hunan}");
    b.tree.move_org("4143010533", "42").unwrap();
    let after = ask(&b, Platform::Console, "hubei", "网络安全周").await;
    assert!(after.contains("湖南大学网络安全周安排"), "湖北 after the move: {after}");
    let hunan = ask(&b, Platform::Console, "hunan-c", "网络安全周").await;
    assert!(hunan.contains("没有找到"), "湖南 after the move: {hunan}");
    b.stop().await;
}

/// A Big5 mail: traditional characters, as a Taiwan or Hong Kong client
/// writes them, base64 in the body and in the subject's encoded word.
#[cfg(feature = "email")]
fn big5_mail(from: &str, to: &str, subject: &str, body: &str, id: &str) -> Inbound {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(encoding_rs::BIG5.encode(s).0);
    let raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?big5?B?{}?=\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        b64(subject),
        b64(body)
    );
    let settings = treecast_email::Settings::new("bot@bot.example.test", "localhost");
    let mut ev = treecast_email::read(raw.as_bytes(), &settings).event.expect("a readable mail");
    // As if the receiving MTA proved the sender (the proof has its own tests).
    ev.sender.verified = true;
    ev
}

#[cfg(feature = "email")]
#[tokio::test]
async fn big5_mail_finds_and_is_found_by_simplified_words() {
    let b = bed().await;
    let official = "hunan@tw.example";
    // A notice mailed in Big5 is found by simplified words.
    let notice = big5_mail(
        official,
        "notice+43@bot.example.test",
        "關於志願服務週的通知",
        "請各團支部組織團員報名。",
        "big5-1@tw",
    );
    assert!(notice.subject.contains("志願服務"), "decoded: {}", notice.subject);
    b.say(notice).await;
    b.settle().await;
    let found = ask(&b, Platform::Console, "hnu", "志愿服务周").await;
    assert!(found.contains("關於志願服務週的通知"), "{found}");
    // A Big5 query by mail finds simplified text.
    b.post("hunan", draft_for("43", "关于开展团员教育评议的通知")).unwrap();
    b.settle().await;
    b.say(big5_mail(official, "bot@bot.example.test", "/search 教育評議", "/search 教育評議", "big5-2@tw")).await;
    b.settle().await;
    let to = Address::direct(Platform::Email, official);
    let answer = b.to(&to).into_iter().filter(|m| m.kind == OutboundKind::Reply).last().unwrap();
    assert!(answer.body.contains("关于开展团员教育评议的通知"), "{}", answer.body);
    b.stop().await;
}

#[tokio::test]
async fn the_operators_filters_take_the_issues_words_and_refuse_others_in_one_sentence() {
    let b = bed().await;
    b.say(dm(Platform::Console, "hnu", "/msg 43 团日活动经费请审批")).await;
    b.settle().await;
    let q =
        |kind: &str| b.app.registry.admin(&b.app.ctx, "search.query", serde_json::json!({"q": "经费", "kind": kind}));
    let letters = q("message").unwrap().text;
    assert!(letters.contains("团日活动经费请审批"), "{letters}");
    assert!(q("notice").unwrap().text.contains("没有找到"));
    let bad = q("微博").unwrap_err().to_string();
    assert!(
        bad.contains("没有“微博”这种类型")
            && bad.contains("letter/message（信件 letter）")
            && bad.contains("showcase/column（专栏 column）"),
        "{bad}"
    );
    b.stop().await;
}

/// A survey's title is found through its announcement (a notice titled
/// 【微调查】…), by the students it reached and not by others.
#[tokio::test]
async fn a_surveys_title_is_found_by_its_audience() {
    let b = bed().await;
    let def = "title = \"寒假社会实践意向调查\"\ndays = 3\n\n[[questions]]\nid = \"q1\"\ntype = \"single\"\ntext = \"参加吗？\"\nchoices = [\"是\", \"否\"]\n";
    let survey = b.surveys().launch_text(b.people["hnu"], "t.toml", def, Some("4143010533")).unwrap();
    let li = ask(&b, Platform::Console, "li", "社会实践意向").await;
    assert!(li.contains("【微调查】寒假社会实践意向调查"), "{li}");
    assert!(survey.id > 0);
    let hubei = b.tree.add_person("鄂老师").unwrap();
    b.tree.add_identity(hubei.id, Platform::Console, "hubei").unwrap();
    b.tree.grant(hubei.id, &b.tree.require("42").unwrap(), Role::Official).unwrap();
    let hb = ask(&b, Platform::Console, "hubei", "社会实践意向").await;
    assert!(!hb.contains("寒假社会实践"), "{hb}");
}
