//! Interviews through the gateway and the recording adapter: scheduling
//! and the announcement, asking (command and button conversation),
//! moderation, votes, the guest's answers, publishing in batches that fit
//! the platforms, closing, search, who may do each, and bad input.

use treecast_wire::fake::RecordingAdapter;
use treecast_wire::{Capabilities, Inbound, Outbound, Platform};

use super::store::{Interview, Question, State};
use super::view::batches;
use crate::notice::tests::{bed, bed_with, Bed};
use crate::tree::people::Role;

fn title(m: &Outbound) -> &str {
    m.title.as_deref().unwrap_or_default()
}

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

fn number_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text.find(marker).unwrap_or_else(|| panic!("{marker:?} in {text}")) + marker.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

/// A time `secs` from now as an official types it (China time).
fn at(b: &Bed, secs: i64) -> String {
    crate::clock::show((b.app.ctx.clock.now() as i64 + secs) as u64).replace(' ', "T")
}

/// Adds a guest (console user `guest`) and a student of 湖北's branch (`zhao`).
fn cast(b: &Bed) {
    let g = b.tree.add_person("张老师").unwrap();
    b.tree.add_identity(g.id, Platform::Console, "guest").unwrap();
    let z = b.tree.add_person("zhao").unwrap();
    b.tree.add_identity(z.id, Platform::Console, "zhao").unwrap();
    b.tree.grant(z.id, &b.tree.require("4142010486-001").unwrap(), Role::Member).unwrap();
}

/// Schedules an interview of `guest` by 湖南大学's official, open from a
/// minute ago for an hour; returns its id.
async fn scheduled(b: &Bed, more: &str) -> u64 {
    let text = format!(
        "/interview new console:guest {} {} 就业季答疑{more}\n请就业指导中心张老师答疑",
        at(b, -60),
        at(b, 3600)
    );
    let made = b.ask(dm("hnu", &text)).await;
    assert!(made.contains("已安排微访谈 #") && made.contains("湖南大学团委，嘉宾 张老师"), "{made}");
    number_after(&made, "已安排微访谈 #")
}

/// Runs due jobs as if the clock said now + `secs`, and lets the outbox send.
async fn later(b: &Bed, secs: u64) {
    let now = b.app.ctx.clock.now();
    b.app.ctx.clock.set(Some(now + secs));
    b.app.run_due_jobs().unwrap();
    b.app.ctx.waker.wake();
    b.settle().await;
}

#[tokio::test]
async fn a_question_is_asked_moderated_voted_answered_and_published_to_the_audience() {
    let b = bed().await;
    cast(&b);
    b.app.ctx.clock.set(Some(b.app.ctx.clock.now()));
    let id = scheduled(&b, "").await;
    // The guest is told privately; the audience's groups get the announcement with its button.
    let invite = b.to(&Bed::dm("guest")).iter().map(|m| m.body.to_string()).collect::<String>();
    assert!(invite.contains(&format!("你受邀担任微访谈 #{id}《就业季答疑》")), "{invite}");
    let group = b.to(&Bed::group("4143010533-001"));
    let ann = group
        .iter()
        .find(|m| m.title.as_deref() == Some("【微访谈】就业季答疑"))
        .unwrap_or_else(|| panic!("announced to 湖南大学's branches: {group:?}"));
    assert!(ann.body.contains(&format!("/ask {id}")) && ann.body.contains("提问者姓名不公开"), "{}", ann.body);
    assert!(ann.buttons.iter().any(|bt| bt.label.contains("提问")), "{:?}", ann.buttons);
    assert!(!b.to(&Bed::group("4142010486-001")).iter().any(|m| m.title.is_some()), "not to 湖北");

    // Asking by command, and through the button's conversation.
    let asked = b.ask(dm("li", &format!("/ask {id} 考研还是直接工作，怎么选？"))).await;
    let q1 = number_after(&asked, "已提交问题 #");
    let started = b.ask(dm("wang", &format!("/start iv{id}"))).await;
    assert!(started.contains("请发送你的问题"), "{started}");
    let typed = b.ask(dm("wang", "实习应该大几开始找？")).await;
    let q2 = number_after(&typed, "已提交问题 #");
    let q3 = number_after(&b.ask(dm("li", &format!("/ask {id} 食堂什么时候开门"))).await, "已提交问题 #");

    // Only the host's officials moderate; they see who asked.
    let member = b.ask(dm("li", &format!("/interview approve {q1}"))).await;
    assert!(member.contains("你无权") && !member.contains("已通过"), "{member}");
    let pending = b.ask(dm("hnu", &format!("/interview pending {id}"))).await;
    assert!(pending.contains("（3 个）") && pending.contains("li：考研还是直接工作"), "{pending}");
    for q in [q1, q2] {
        assert!(b.ask(dm("hnu", &format!("/interview approve {q}"))).await.contains("已通过"));
    }
    let rejected = b.ask(dm("hnu", &format!("/interview reject {q3} 与主题无关"))).await;
    assert!(rejected.contains(&format!("问题 #{q3} 未通过")), "{rejected}");
    let told = b.to(&Bed::dm("li")).iter().map(|m| m.body.to_string()).collect::<Vec<_>>().join("\n");
    assert!(told.contains(&format!("问题 #{q3} 未通过审核：与主题无关")), "{told}");
    assert!(b.ask(dm("hnu", &format!("/interview approve {q3}"))).await.contains("已审核过"));

    // Votes: one per question, a few each; the guest sees them ordered by votes.
    assert!(b.ask(dm("li", &format!("/vote {q2}"))).await.contains("还剩 2 票"));
    assert!(b.ask(dm("li", &format!("/vote {q2}"))).await.contains("已为问题"));
    assert!(b.ask(dm("wang", &format!("/vote {q2}"))).await.contains("还剩 2 票"));
    assert!(b.ask(dm("li", &format!("/vote {q3}"))).await.contains("不能投票"));
    let page = b.ask(dm("guest", &format!("/interview {id}"))).await;
    let (at2, at1) =
        (page.find(&format!("#{q2} [2 票")).expect(&page), page.find(&format!("#{q1} [0 票")).expect(&page));
    assert!(at2 < at1 && !page.contains("食堂"), "{page}");
    assert!(!page.contains("li") && page.contains("匿名"), "askers are hidden: {page}");

    // The guest answers approved questions only; nobody else answers.
    let early = b.ask(dm("guest", &format!("/answer {q3} 不知道"))).await;
    assert!(early.contains(&format!("问题 #{q3} 尚未通过审核")), "{early}");
    assert!(b.ask(dm("hnu", &format!("/answer {q1} 我来答"))).await.contains("只有微访谈"));
    let answered = b.ask(dm("guest", &format!("/answer {q2} 大三暑假是最好的时机，可以先看学校就业网。"))).await;
    assert!(answered.contains(&format!("已回答问题 #{q2}")) && answered.contains("随本批回答发布"), "{answered}");
    b.ask(dm("guest", &format!("/answer {q1} 先想清楚自己想做什么研究。"))).await;
    assert!(b.ask(dm("guest", &format!("/answer {q1} 再答一次"))).await.contains("已回答过"));
    assert!(b.ask(dm("li", &format!("/interview publish {id}"))).await.contains("你无权"), "only moderators publish");

    // Five minutes on, both answers go out in one message to the audience.
    let before = b.to(&Bed::group("4143010533-002")).len();
    later(&b, 301).await;
    let got = b.to(&Bed::group("4143010533-002"));
    let batch: Vec<_> = got[before..].iter().filter(|m| title(m).contains("第 1 批回答")).collect();
    assert_eq!(batch.len(), 1, "one message per batch");
    let body = &batch[0].body;
    assert!(body.contains("大三暑假") && body.contains("先想清楚") && body.contains("匿名"), "{body}");
    assert!(!body.contains("li") && !body.contains("wang") && !body.contains("食堂"), "{body}");
    for other in ["4143010534-001", "4142010486-001"] {
        assert!(!b.to(&Bed::group(other)).iter().any(|m| title(m).contains("批回答")), "not to {other}");
    }

    // The archive is searchable by the audience, and by nobody else.
    let found = b.ask(dm("wang", "/search 大三暑假")).await;
    assert!(found.contains("[访谈 interview] 【微访谈】就业季答疑"), "{found}");
    assert!(!b.ask(dm("zhao", "/search 大三暑假")).await.contains("就业季答疑"));

    // A moderator may send what waits at once, without waiting for the batch.
    let q4 = number_after(&b.ask(dm("wang", &format!("/ask {id} 简历怎么写"))).await, "已提交问题 #");
    b.ask(dm("hnu", &format!("/interview approve {q4}"))).await;
    b.ask(dm("guest", &format!("/answer {q4} 一页纸，写清做过的事。"))).await;
    let now = b.ask(dm("hnu", &format!("/interview publish {id}"))).await;
    assert!(now.contains("分 1 条发给听众"), "{now}");
    assert!(b
        .to(&Bed::group("4143010533-002"))
        .iter()
        .any(|m| title(m).contains("第 2 批回答") && m.body.contains("一页纸")));
    assert!(b.ask(dm("hnu", &format!("/interview publish {id}"))).await.contains("没有待发布的回答"));

    // At its end the host gets the figures; then it takes nothing more.
    later(&b, 3600).await;
    let report = b.to(&Bed::dm("hnu")).iter().map(|m| m.body.to_string()).collect::<Vec<_>>().join("\n");
    assert!(report.contains("共 4 个问题，3 个已回答，已发布 2 批"), "{report}");
    assert!(b.ask(dm("li", &format!("/ask {id} 还能问吗"))).await.contains("已结束"));
    b.stop().await;
}

#[tokio::test]
async fn who_may_schedule_ask_and_see_and_bad_input_gets_one_sentence() {
    let b = bed().await;
    cast(&b);
    let member = b.ask(dm("li", &format!("/interview new console:guest {} {} 标题", at(&b, 60), at(&b, 120)))).await;
    assert!(member.contains("你无权") || member.contains("团干部"), "{member}");
    let bad_time = b.ask(dm("hnu", "/interview new console:guest 明天晚上 2026-13-01 标题")).await;
    assert!(bad_time.contains("“明天晚上”不是时间"), "{bad_time}");
    let backwards =
        b.ask(dm("hnu", &format!("/interview new console:guest {} {} 标题", at(&b, 120), at(&b, 60)))).await;
    assert!(backwards.contains("结束时间须晚于开始时间"), "{backwards}");
    let nobody = b.ask(dm("hnu", &format!("/interview new console:nobody {} {} 标题", at(&b, 60), at(&b, 120)))).await;
    assert!(nobody.contains("console:nobody"), "{nobody}");
    assert!(b.ask(dm("li", "/ask 999999 你好")).await.contains("没有编号为 #999999 的微访谈"));

    // Named askers, and an interview that has not begun.
    let text = format!("/interview new console:guest {} {} 团学干部成长 实名", at(&b, 600), at(&b, 7200));
    let id = number_after(&b.ask(dm("hnu", &text)).await, "已安排微访谈 #");
    let outsider = b.ask(dm("zhao", &format!("/ask {id} 我能问吗"))).await;
    assert!(outsider.contains("你不在其中"), "{outsider}");
    assert!(b.ask(dm("zhao", &format!("/interview {id}"))).await.contains("你不在其中"));
    let long = b.ask(dm("li", &format!("/ask {id} {}", "问".repeat(301)))).await;
    assert!(long.contains("问题太长：最多 300 个字，未提交"), "{long}");
    // In the conversation the engine says the same, and the question can be typed again.
    b.ask(dm("wang", &format!("/start iv{id}"))).await;
    let again = b.ask(dm("wang", &"问".repeat(301))).await;
    assert!(again.contains("300"), "{again}");
    let q = number_after(&b.ask(dm("wang", "如何平衡学业和团学工作？")).await, "已提交问题 #");
    let same = b.ask(dm("li", &format!("/ask {id} 如何平衡学业和团学工作")));
    assert!(same.await.contains(&format!("已有相同的问题 #{q}")));
    b.ask(dm("wang", &format!("/start iv{id}"))).await;
    assert!(b.ask(dm("wang", "/cancel")).await.contains("已放弃提问"));
    let after = b.ask(dm("wang", "随便说说")).await;
    assert!(after.contains("没有看懂") && !after.contains("已提交"), "{after}");
    // The moderators' digest says a question waits; once reviewed it does not.
    let digest = b.ask(dm("hnu", "/digest")).await;
    assert!(digest.contains(&format!("#{id}《团学干部成长》1 个问题待审核")), "{digest}");
    assert!(!b.ask(dm("li", "/digest")).await.contains("待审核"), "a member moderates nothing");
    b.ask(dm("hnu", &format!("/interview approve {q}"))).await;
    assert!(!b.ask(dm("hnu", "/digest")).await.contains("个问题待审核"));
    let early = b.ask(dm("guest", &format!("/answer {q} 我来答"))).await;
    assert!(early.contains("开始，届时才能回答"), "{early}");
    // Named: the page shows who asked.
    assert!(b.ask(dm("li", &format!("/interview {id}"))).await.contains("（wang）"));
    b.stop().await;
}

fn answered(id: u64, text: &str, answer: &str) -> Question {
    let state = State::Answered { by: 9, answer: answer.into(), at: 0, published: false };
    Question { id, interview: 1, asker: 2, asker_name: "li".into(), from: 1, text: text.into(), at: 0, state }
}

#[test]
fn answers_are_cut_into_batches_that_fit_and_a_long_one_goes_alone() {
    let iv = Interview {
        id: 1,
        org: 1,
        title: "t".into(),
        about: String::new(),
        guest: 9,
        guest_name: "张老师".into(),
        host: 3,
        opens: 0,
        closes: 1,
        hide_askers: true,
        notice: None,
        batches: 0,
        closed: false,
    };
    let qs = [
        answered(1, "一", &"甲".repeat(100)),
        answered(2, "二", &"乙".repeat(100)),
        answered(3, "三", &"丙".repeat(500)),
    ];
    let b = batches(&iv, &qs, 300);
    assert_eq!(b.iter().map(|b| b.n).collect::<Vec<_>>(), [2, 1]);
    assert!(b[0].text.chars().count() <= 300 && b[0].text.contains("甲") && b[0].text.contains("乙"));
    assert!(b[1].text.contains("丙"));
    assert_eq!(batches(&iv, &qs, 10_000).len(), 1);
}

/// Answers that would not fit one message of the platform go in several.
#[tokio::test]
async fn a_batch_respects_the_shortest_platform_message() {
    let caps = Capabilities { max_message_chars: 700, ..Capabilities::default() };
    let b = bed_with(RecordingAdapter::new(Platform::Console).with_capabilities(caps)).await;
    cast(&b);
    b.app.ctx.clock.set(Some(b.app.ctx.clock.now()));
    let limit = b.app.ctx.caps.shortest_message().expect("the recording adapter limits messages");
    let id = scheduled(&b, "").await;
    let mut qs = Vec::new();
    for (who, text) in [("li", "问题一"), ("wang", "问题二"), ("li", "问题三")] {
        qs.push(number_after(&b.ask(dm(who, &format!("/ask {id} {text}"))).await, "已提交问题 #"));
    }
    for q in &qs {
        b.ask(dm("hnu", &format!("/interview approve {q}"))).await;
        b.ask(dm("guest", &format!("/answer {q} {}", "答".repeat(limit * 2 / 5)))).await;
    }
    later(&b, 301).await;
    let got = b.to(&Bed::group("4143010533-002"));
    let batches: Vec<_> = got.iter().filter(|m| title(m).contains("批回答")).collect();
    assert!(batches.len() >= 2, "{} answers of {} characters each in one message", qs.len(), limit * 2 / 5);
    for m in &batches {
        // What the platform gets: the title, the body and the footer.
        let all = [title(m), &m.body, m.footer.as_deref().unwrap_or_default()].map(|s| s.chars().count());
        assert!(all.iter().sum::<usize>() + 4 <= limit, "{all:?} over {limit}");
    }
    b.stop().await;
}
