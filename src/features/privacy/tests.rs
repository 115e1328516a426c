//! `/mydata` and `/forget` through the gateway and the recording adapter:
//! what is shown, the confirmation asked, and after it the store scanned
//! key by key and value by value for the person's name and accounts, while
//! the branch's acknowledgement, the letter and the survey counts stay.

use treecast_wire::{Address, Inbound, Platform};

use crate::notice::tests::{bed, draft_for, Bed};

const NAME: &str = "欧阳测试";
const CONSOLE_ID: &str = "ouyang-9137";
const EMAIL: &str = "ouyang9137@hnu.example.cn";

fn dm(text: &str) -> Inbound {
    Inbound::text(Bed::dm(CONSOLE_ID), CONSOLE_ID, text)
}

/// Says `text` privately and, once everything is sent, the last answer.
async fn ask(b: &Bed, text: &str) -> String {
    b.say(dm(text)).await;
    b.settle().await;
    b.to(&Bed::dm(CONSOLE_ID)).last().map(|m| m.body.to_string()).unwrap_or_default()
}

/// Every place in the store holding `needle`, as `tree: key`.
fn found_in_store(b: &Bed, needle: &[u8]) -> Vec<String> {
    let db = &b.tree.store.db;
    let mut out = Vec::new();
    for name in db.tree_names() {
        for kv in db.open_tree(&name).unwrap().iter() {
            let (k, v) = kv.unwrap();
            let has = |s: &[u8]| s.windows(needle.len()).any(|w| w == needle);
            if has(&k) || has(&v) {
                out.push(format!("{}: {:?}", String::from_utf8_lossy(&name), String::from_utf8_lossy(&k)));
            }
        }
    }
    out
}

#[tokio::test]
async fn mydata_shows_what_is_held_and_forget_removes_it_leaving_the_counts() {
    let b = bed().await;
    let branch = b.tree.require("4143010533-001").unwrap();
    let p = b.tree.add_person(NAME).unwrap();
    b.tree.add_identity(p.id, Platform::Console, CONSOLE_ID).unwrap();
    b.tree.add_identity(p.id, Platform::Email, EMAIL).unwrap();
    b.tree.grant(p.id, &branch, crate::tree::people::Role::Member).unwrap();

    // A notice they acknowledge for the branch and reply to; a letter to
    // their school; a named survey they answer.
    let n = b.post("hnu", draft_for("4143010533", "关于开展主题团日活动的通知")).unwrap();
    b.settle().await;
    let copy = b.copy_id(n.id, "4143010533-001");
    let mut ack = Inbound::text(Bed::group("4143010533-001"), CONSOLE_ID, "收到");
    ack.in_reply_to = Some(copy.clone());
    b.say(ack).await;
    let mut reply = Inbound::text(Bed::group("4143010533-001"), CONSOLE_ID, "活动经费怎么报销？");
    reply.in_reply_to = Some(copy);
    b.say(reply).await;
    b.say(dm("/msg 4143010533 班级团日活动安排\n我们班计划周五开展。")).await;
    // A topic post from the branch's group.
    b.say(Inbound::text(Bed::dm("hnu"), "hnu", "/topic new #青春心连心# 分享团日活动")).await;
    b.say(Inbound::text(Bed::group("4143010533-001"), CONSOLE_ID, "#青春心连心# 我们班去了敬老院")).await;
    let def =
        "title = \"团日活动调查\"\ndays = 3\n\n[[questions]]\nid = \"q1\"\ntype = \"text\"\ntext = \"你的建议？\"\n";
    let survey = b.surveys().launch_text(b.people["hnu"], "t.toml", def, Some("4143010533")).unwrap();
    b.settle().await;
    b.say(dm(&format!("/start s{}", survey.id))).await;
    b.say(dm("建议多组织户外活动")).await;
    b.settle().await;

    let mine = ask(&b, "/mydata").await;
    for shown in [
        NAME,
        "console:ouyang-9137",
        "email:ouyang9137@hnu.example.cn",
        "计算机科学与技术2023级1班团支部",
        "信件和报送：1 封",
        "实名调查答卷 1 份",
    ] {
        assert!(mine.contains(shown), "{shown:?} missing from /mydata:\n{mine}");
    }
    assert!(mine.contains("/forget"), "{mine}");

    // Asked first; a wrong word changes nothing.
    let asked = ask(&b, "/forget").await;
    assert!(asked.contains("/forget 确认"), "{asked}");
    let wrong = ask(&b, "/forget 也许").await;
    assert!(wrong.starts_with("看不懂“也许”"), "{wrong}");
    assert!(b.tree.person_by_identity(Platform::Console, CONSOLE_ID).unwrap().is_some());

    let acked = |b: &Bed| b.tree.store.ack(n.id, branch.id).unwrap().map(|row| (row.person, row.at));
    let (person, at) = acked(&b).expect("the branch acknowledged");
    assert_eq!(person, Some(p.id));
    let done = ask(&b, "/forget 确认").await;
    assert!(done.starts_with("你的个人信息已删除"), "{done}");

    // Their accounts match nobody; their name and accounts are nowhere in the store.
    assert!(b.tree.person_by_identity(Platform::Console, CONSOLE_ID).unwrap().is_none());
    assert!(b.tree.person_by_identity(Platform::Email, EMAIL).unwrap().is_none());
    for needle in [NAME, CONSOLE_ID, "ouyang9137"] {
        let left = found_in_store(&b, needle.as_bytes());
        assert!(left.is_empty(), "{needle:?} is still in the store: {left:?}");
    }
    // The branch's acknowledgement, the letter and the survey's count stay.
    assert_eq!(acked(&b), Some((None, at)), "the branch's acknowledgement stands, without the person");
    assert_eq!(b.tree.store.ack_count(n.id, branch.id).unwrap(), 1);
    b.say(Inbound::text(Address::direct(Platform::Console, "hnu"), "hnu", "/inbox")).await;
    b.settle().await;
    let inbox = b.to(&Bed::dm("hnu")).last().unwrap().body.to_string();
    assert!(inbox.contains("班级团日活动安排") && inbox.contains("已删除的用户"), "{inbox}");
    let results = b.surveys().results_in(None, survey.id, None).unwrap();
    assert_eq!(results.responses.len(), 1);
    assert!(results.responses[0].person.is_none());
    // The search index no longer names them: their topic post is signed as forgotten.
    b.settle().await;
    let found = {
        b.say(Inbound::text(Bed::dm("hnu"), "hnu", "/search 敬老院")).await;
        b.settle().await;
        b.to(&Bed::dm("hnu")).last().unwrap().body.to_string()
    };
    assert!(found.contains("敬老院") && !found.contains(NAME) && found.contains("已删除的用户"), "{found}");
    // To treecast they are a stranger now.
    let after = ask(&b, "/mydata").await;
    assert!(after.starts_with("平台没有保存你的个人信息"), "{after}");
}

/// Runs the daily retention job as if the clock said `at` (unix seconds).
pub(crate) fn run_retention_at(b: &Bed, at: u64) {
    b.app.ctx.clock.set(Some(at));
    let mut w = crate::store::Writes::default();
    crate::schedule::cancel(&b.tree.store, &mut w, "privacy.retention").unwrap();
    b.tree.store.commit(&w).unwrap();
    let job = crate::schedule::Job::new("privacy.retention", "privacy.retention", Vec::new());
    crate::schedule::schedule(&b.tree.store, at * 1000, &job).unwrap();
    b.app.run_due_jobs().unwrap();
}

#[tokio::test]
async fn named_survey_answers_lose_their_person_a_configured_time_after_closing() {
    let b = bed().await;
    let start = 1_800_000_000;
    b.app.ctx.clock.set(Some(start));
    let def = "title = \"团日活动调查\"\ndays = 3\n\n[[questions]]\nid = \"q1\"\ntype = \"single\"\ntext = \"参加过吗？\"\nchoices = [\"是\", \"否\"]\n";
    let survey = b.surveys().launch_text(b.people["hnu"], "t.toml", def, Some("4143010533")).unwrap();
    b.settle().await;
    for who in ["li", "wang"] {
        b.say(Inbound::text(Bed::dm(who), who, format!("/start s{}", survey.id))).await;
        b.say(Inbound::text(Bed::dm(who), who, "是")).await;
    }
    b.settle().await;
    let named = |b: &Bed| {
        let r = b.surveys().results_in(None, survey.id, None).unwrap();
        (r.responses.len(), r.responses.iter().filter(|r| r.person.is_some()).count(), r.total().responses)
    };
    assert_eq!(named(&b), (2, 2, 2));
    let closes = b.surveys().survey(survey.id).unwrap().closes;
    let days = u64::from(b.app.ctx.config.privacy.survey_names_days);
    // A day before the keeping time ends the names stay; after, only the answers and counts.
    run_retention_at(&b, closes + (days - 1) * 86_400);
    assert_eq!(named(&b), (2, 2, 2));
    run_retention_at(&b, closes + (days + 1) * 86_400);
    assert_eq!(named(&b), (2, 0, 2));
}
