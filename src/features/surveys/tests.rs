//! Conversation tests on the small tree: every question type, skip logic,
//! wrong answers, /back /skip /cancel, buttons, resume after a restart,
//! closing time, permissions, editing a finished response.

use treecast_wire::{Address, ButtonAction, Inbound, InboundKind, Platform};

use super::*;
use crate::store::Store;
use crate::tree::people::Role;
use crate::tree::{import, Levels};

/// Every question type; 否 on q1 skips to q4.
pub(super) const DEF: &str = r#"
title = "团日活动调查"
intro = "请如实作答。"
days = 3

[[questions]]
id = "q1"
type = "single"
text = "本学期参加过主题团日活动吗？"
choices = ["是", "否"]
goto = { "否" = "q4" }

[[questions]]
id = "q2"
type = "multi"
text = "参加过哪些活动？"
choices = ["理论学习", "志愿服务", "社会实践"]
min = 1
max = 2

[[questions]]
id = "q3"
type = "rating"
text = "请为活动打分"

[[questions]]
id = "q4"
type = "number"
text = "每周志愿服务几小时？"
min = 0
max = 40
integer = true

[[questions]]
id = "q5"
type = "text"
text = "手机号（选填）"
required = false
max_len = 11
pattern = "1[3-9][0-9]{9}"
"#;

pub(super) struct Fix {
    pub tree: Tree,
    pub sv: Surveys,
    pub official: Person,
}

pub(super) fn tree_on(store: Store) -> Tree {
    let tree = Tree::new(store, Levels::default_levels()).unwrap();
    import::import_str(&tree, "small.csv", crate::tree::tests::SMALL_CSV, None).unwrap();
    tree
}

pub(super) fn fixture() -> Fix {
    let tree = tree_on(Store::temporary().unwrap());
    let sv = Surveys::new(tree.clone());
    sv.set_clock(Some(1_741_435_200));
    sv.set_caps(telegram_caps());
    let official = tree.add_person("王老师").unwrap();
    tree.add_identity(official.id, Platform::Telegram, "off").unwrap();
    tree.grant(official.id, &tree.require("CN").unwrap(), Role::Official).unwrap();
    Fix { tree, sv, official }
}

/// Telegram as its adapter describes it: buttons are shown and pressable.
pub(super) fn telegram_caps() -> crate::context::Caps {
    let caps = crate::context::Caps::default();
    let tg = treecast_wire::Capabilities { buttons: true, deep_links: true, ..Default::default() };
    caps.set(Platform::Telegram, tg);
    caps
}

pub(super) fn member(tree: &Tree, name: &str, uid: &str, branch: &str) -> Person {
    let p = tree.add_person(name).unwrap();
    tree.add_identity(p.id, Platform::Telegram, uid).unwrap();
    tree.grant(p.id, &tree.require(branch).unwrap(), Role::Member).unwrap();
    tree.person(p.id).unwrap().unwrap()
}

pub(super) fn msg(uid: &str, text: &str) -> Inbound {
    Inbound::text(Address::direct(Platform::Telegram, uid), uid, text)
}

fn press(uid: &str, data: &str) -> Inbound {
    let mut ev = msg(uid, "");
    ev.kind = InboundKind::Button { data: data.into() };
    ev
}

/// Feeds one event through the batch entry point; returns the replies' text.
pub(super) fn send(f: &Fix, ev: Inbound) -> String {
    let person = f.tree.person_by_identity(ev.chat.platform, &ev.sender.id).unwrap();
    let h = f.sv.answer_batch(&[(ev, person)]).unwrap();
    h[0].replies.iter().map(|q| q.msg.body.to_string()).collect::<Vec<_>>().join("\n")
}

pub(super) fn say(f: &Fix, uid: &str, text: &str) -> String {
    send(f, msg(uid, text))
}

pub(super) fn launch(f: &Fix, def: &str, org: &str) -> Launched {
    f.sv.launch_text(f.official.id, "test.toml", def, Some(org)).unwrap()
}

#[test]
fn launch_posts_a_notice_with_a_private_start_button() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    assert_eq!(l.payload, format!("s{}", l.id));
    let n = f.tree.require_notice(l.notice).unwrap();
    assert!(!n.ack_required);
    assert!(n.title.contains("团日活动调查"));
    assert_eq!(n.buttons.len(), 1);
    assert_eq!(n.buttons[0].action, ButtonAction::StartPrivate(l.payload.clone()));
    assert!(n.body.contains(&format!("/start {}", l.payload)), "{}", n.body);
    // A member may not launch.
    let m = member(&f.tree, "李明", "u1", "4143010533-001");
    let err = f.sv.launch_text(m.id, "t.toml", DEF, Some("43")).unwrap_err().to_string();
    assert!(err.contains("may not run surveys"), "{err}");
}

#[test]
fn every_question_type_with_wrong_answers_and_full_width_forms() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    let r = say(&f, "u1", &format!("/start {}", l.payload));
    assert!(r.contains("团日活动调查") && r.contains("第 1/5 题") && r.contains("A. 是"), "{r}");
    // Wrong answer: a hint and the same question again.
    let r = say(&f, "u1", "也许");
    assert!(r.contains("请回复选项字母或序号") && r.contains("第 1/5 题"), "{r}");
    let r = say(&f, "u1", "yes");
    assert!(r.contains("第 2/5 题") && r.contains("多选"), "{r}");
    let r = say(&f, "u1", "A、B、C");
    assert!(r.contains("最多选择 2 项") && r.contains("第 2/5 题"), "{r}");
    let r = say(&f, "u1", "ａｃ");
    assert!(r.contains("第 3/5 题"), "{r}");
    let r = say(&f, "u1", "6");
    assert!(r.contains("1 到 5") && r.contains("第 3/5 题"), "{r}");
    let r = say(&f, "u1", "★★★★");
    assert!(r.contains("第 4/5 题"), "{r}");
    let r = say(&f, "u1", "2.5");
    assert!(r.contains("整数") && r.contains("第 4/5 题"), "{r}");
    let r = say(&f, "u1", "99");
    assert!(r.contains("0 到 40") && r.contains("第 4/5 题"), "{r}");
    let r = say(&f, "u1", "１２");
    assert!(r.contains("第 5/5 题") && r.contains("选填"), "{r}");
    let r = say(&f, "u1", "12345");
    assert!(r.contains("格式不符合") && r.contains("第 5/5 题"), "{r}");
    let r = say(&f, "u1", "13800138000");
    assert!(r.contains("已提交") && r.contains("A. 理论学习；C. 社会实践"), "{r}");
    let res = f.sv.results(None, l.id).unwrap();
    assert_eq!(res.responses.len(), 1);
    let a = &res.responses[0].answers;
    assert_eq!(a[0], Some(Answer::Choice(0)));
    assert_eq!(a[1], Some(Answer::Choices(vec![0, 2])));
    assert_eq!(a[2], Some(Answer::Rating(4)));
    assert_eq!(a[3], Some(Answer::Number(12.0)));
    assert_eq!(a[4], Some(Answer::Text("13800138000".into())));
    // Nothing more is taken as an answer.
    assert_eq!(say(&f, "u1", "hello"), "");
}

#[test]
fn skip_logic_jumps_and_back_returns_along_the_path_taken() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    say(&f, "u1", &format!("/start {}", l.payload));
    let r = say(&f, "u1", "否");
    assert!(r.contains("第 4/5 题"), "{r}");
    let r = say(&f, "u1", "/back");
    assert!(r.contains("第 1/5 题") && r.contains("当前答案 Current answer: B. 否"), "{r}");
    let r = say(&f, "u1", "/back");
    assert!(r.contains("已经是第一题"), "{r}");
    let r = say(&f, "u1", "1");
    assert!(r.contains("第 2/5 题"), "{r}");
    say(&f, "u1", "b");
    say(&f, "u1", "5");
    let r = say(&f, "u1", "/skip");
    assert!(r.contains("必答") && r.contains("第 4/5 题"), "{r}");
    say(&f, "u1", "3");
    let r = say(&f, "u1", "/skip");
    assert!(r.contains("已提交"), "{r}");
    let res = f.sv.results(None, l.id).unwrap();
    assert_eq!(res.responses[0].answers[4], None);
    assert_eq!(res.responses[0].answers[1], Some(Answer::Choices(vec![1])));
}

#[test]
fn answers_off_the_path_taken_are_dropped() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    say(&f, "u1", &format!("/start {}", l.payload));
    for a in ["是", "A", "3"] {
        say(&f, "u1", a);
    }
    // Back to q1 and change it to 否: q2 and q3 are no longer on the path.
    for _ in 0..3 {
        say(&f, "u1", "/back");
    }
    let r = say(&f, "u1", "否");
    assert!(r.contains("第 4/5 题"), "{r}");
    say(&f, "u1", "0");
    say(&f, "u1", "/skip");
    let res = f.sv.results(None, l.id).unwrap();
    let a = &res.responses[0].answers;
    assert_eq!((a[1].clone(), a[2].clone()), (None, None));
    assert_eq!(a[3], Some(Answer::Number(0.0)));
}

#[test]
fn cancel_discards_progress_and_control_without_a_survey_says_so() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    let r = say(&f, "u1", "/cancel");
    assert!(r.contains("没有正在作答"), "{r}");
    say(&f, "u1", &format!("/start {}", l.payload));
    say(&f, "u1", "是");
    let r = say(&f, "u1", "/取消");
    assert!(r.contains("已取消") && r.contains(&format!("/start {}", l.payload)), "{r}");
    assert_eq!(say(&f, "u1", "A"), "");
    let r = say(&f, "u1", &format!("/start {}", l.payload));
    assert!(r.contains("第 1/5 题") && !r.contains("继续上次"), "{r}");
}

#[test]
fn buttons_answer_single_multi_and_rating_on_telegram() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    let p = member(&f.tree, "李明", "u1", "4143010533-001");
    let ev = msg("u1", &format!("/start {}", l.payload));
    let h = f.sv.start(&ev, &Some(p.clone()), &l.payload).unwrap();
    let b = &h.replies[0].msg.buttons;
    assert_eq!(b.len(), 2);
    assert_eq!(b[1].action, ButtonAction::Callback(format!("sv:{}:0:1", l.id)));
    let id = l.id;
    let r = send(&f, press("u1", &format!("sv:{id}:0:0")));
    assert!(r.contains("第 2/5 题"), "{r}");
    // A stale button from question 1 does not count.
    let r = send(&f, press("u1", &format!("sv:{id}:0:1")));
    assert!(r.contains("不是当前题目") && r.contains("第 2/5 题"), "{r}");
    let r = send(&f, press("u1", &format!("sv:{id}:1:ok")));
    assert!(r.contains("至少选择 1 项"), "{r}");
    send(&f, press("u1", &format!("sv:{id}:1:0")));
    send(&f, press("u1", &format!("sv:{id}:1:2")));
    let r = send(&f, press("u1", &format!("sv:{id}:1:0")));
    assert!(r.contains("已选 Selected: C"), "{r}");
    let r = send(&f, press("u1", &format!("sv:{id}:1:ok")));
    assert!(r.contains("第 3/5 题"), "{r}");
    let r = send(&f, press("u1", &format!("sv:{id}:2:5")));
    assert!(r.contains("第 4/5 题"), "{r}");
    // Not a survey button: left to others.
    let person = f.tree.person(p.id).unwrap();
    assert!(f.sv.answer_button(&press("u1", "ack:3"), &person, "ack:3").unwrap().is_none());
    let res_conv = f.sv.conversation(id, p.id).unwrap().unwrap();
    assert_eq!(res_conv.progress.answers[1], Some(Answer::Choices(vec![2])));
    assert_eq!(res_conv.progress.answers[2], Some(Answer::Rating(5)));
}

#[test]
fn conversations_resume_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (id, payload);
    {
        let tree = tree_on(Store::open(dir.path()).unwrap());
        let sv = Surveys::new(tree.clone());
        sv.set_clock(Some(1_741_435_200));
        let off = tree.add_person("王老师").unwrap();
        tree.grant(off.id, &tree.require("43").unwrap(), Role::Official).unwrap();
        member(&tree, "李明", "u1", "4143010533-001");
        let f = Fix { tree, sv, official: off };
        let l = launch(&f, DEF, "43");
        (id, payload) = (l.id, l.payload);
        say(&f, "u1", &format!("/start {payload}"));
        say(&f, "u1", "是");
        say(&f, "u1", "A,B");
    }
    let tree = Tree::new(Store::open(dir.path()).unwrap(), Levels::default_levels()).unwrap();
    let sv = Surveys::new(tree.clone());
    sv.set_clock(Some(1_741_435_200 + 2 * 86400));
    let f = Fix { official: tree.person(1).unwrap().unwrap_or_else(|| tree.add_person("x").unwrap()), tree, sv };
    // Free text goes straight on where it stopped.
    let r = say(&f, "u1", "4");
    assert!(r.contains("第 4/5 题"), "{r}");
    let r = say(&f, "u1", &format!("/start {payload}"));
    assert!(r.contains("继续上次") && r.contains("第 4/5 题"), "{r}");
    say(&f, "u1", "8");
    let r = say(&f, "u1", "/skip");
    assert!(r.contains("已提交"), "{r}");
    let res = f.sv.results(None, id).unwrap();
    assert_eq!(res.responses[0].answers[1], Some(Answer::Choices(vec![0, 1])));
}

#[test]
fn answers_after_closing_are_refused_with_a_clear_sentence() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    member(&f.tree, "张华", "u2", "4143010533-002");
    say(&f, "u1", &format!("/start {}", l.payload));
    f.sv.set_clock(Some(l.closes));
    let r = say(&f, "u1", "是");
    assert!(r.contains("已于") && r.contains("截止") && r.contains("no longer accepted"), "{r}");
    let r = say(&f, "u2", &format!("/start {}", l.payload));
    assert!(r.contains("no longer accepted"), "{r}");
    // Closing early by an official works the same.
    f.sv.set_clock(Some(l.opens + 10));
    f.sv.close(Some(f.official.id), l.id).unwrap();
    let r = say(&f, "u2", &format!("/start {}", l.payload));
    assert!(r.contains("no longer accepted"), "{r}");
}

#[test]
fn who_may_answer() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "刘洋", "hubei", "4142010486-001");
    let r = say(&f, "hubei", &format!("/start {}", l.payload));
    assert!(r.contains("湖南") && r.contains("not registered as one of them"), "{r}");
    let r = say(&f, "stranger", &format!("/start {}", l.payload));
    assert!(r.contains("I do not know you yet"), "{r}");
    let r = say(&f, "stranger", "/start s999");
    assert!(r.contains("no survey #999"), "{r}");
    let r = say(&f, "stranger", "/start xyz");
    assert!(r.contains("not one this bot knows"), "{r}");
}

#[test]
fn a_named_response_can_be_changed_until_close() {
    let f = fixture();
    let l = launch(&f, DEF, "43");
    member(&f.tree, "李明", "u1", "4143010533-001");
    say(&f, "u1", &format!("/survey {}", l.id));
    for a in ["否", "10", "/skip"] {
        say(&f, "u1", a);
    }
    let r = say(&f, "u1", &format!("/start {}", l.payload));
    assert!(r.contains("你已提交过") && r.contains("B. 否"), "{r}");
    let r = say(&f, "u1", "/skip");
    assert!(r.contains("第 4/5 题") && r.contains("10"), "{r}");
    let r = say(&f, "u1", "20");
    assert!(r.contains("第 5/5 题"), "{r}");
    say(&f, "u1", "/skip");
    let res = f.sv.results(None, l.id).unwrap();
    assert_eq!(res.responses.len(), 1);
    assert_eq!(res.responses[0].answers[3], Some(Answer::Number(20.0)));
    assert_eq!(res.total().responses, 1);
}

#[test]
fn chat_commands_list_and_launch_by_name() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tuanri.toml"), DEF).unwrap();
    f.sv.set_dir(dir.path());
    let r = say(&f, "off", "/survey launch tuanri 43");
    assert!(r.contains("已发布") && r.contains("43"), "{r}");
    let r = say(&f, "off", "/survey launch nosuch 43");
    assert!(r.contains("There is no survey definition nosuch"), "{r}");
    member(&f.tree, "李明", "u1", "4143010533-001");
    let r = say(&f, "u1", "/survey");
    assert!(r.contains("团日活动调查") && r.contains("/start s"), "{r}");
    let r = say(&f, "u1", "/survey launch tuanri 43");
    assert!(r.contains("may not run surveys"), "{r}");
}

/// A response and the end of its conversation land in one commit: a
/// failed commit keeps the conversation (the last answer can be sent
/// again), and within one batch a finished response already counts.
#[test]
fn the_end_of_a_conversation_commits_with_its_response() {
    let f = fixture();
    let def = "title = \"一题\"\ndays = 3\n[[questions]]\ntype = \"single\"\ntext = \"参加过吗？\"\nchoices = [\"是\", \"否\"]\n";
    let l = launch(&f, def, "43");
    let p = member(&f.tree, "李明", "u1", "4143010533-001");
    say(&f, "u1", &format!("/start {}", l.payload));
    f.tree.store.inject_commit_failures(1);
    let batch = [(msg("u1", "是"), Some(p.clone()))];
    assert!(f.sv.answer_batch(&batch).is_err(), "the commit failed");
    assert!(f.sv.conversation(l.id, p.id).unwrap().is_some(), "the conversation is still there");
    // /start picks it up again; the answer is saved.
    assert!(say(&f, "u1", &format!("/start {}", l.payload)).contains("参加过吗"));
    assert!(say(&f, "u1", "是").contains("已提交"));
    assert!(f.sv.conversation(l.id, p.id).unwrap().is_none());
    assert!(f.sv.has_answered(&f.sv.survey(l.id).unwrap(), p.id).unwrap());
    // Finishing and starting again (to change the answers) in one batch: the
    // new conversation is kept, not ended by the batch's commit.
    say(&f, "u1", &format!("/start {}", l.payload));
    let batch = [(msg("u1", "否"), Some(p.clone())), (msg("u1", &format!("/start {}", l.payload)), Some(p.clone()))];
    let out = f.sv.answer_batch(&batch).unwrap();
    assert!(out[0].replies[0].msg.body.contains("已提交"), "{:?}", out[0].replies[0].msg.body);
    assert!(f.sv.conversation(l.id, p.id).unwrap().is_some(), "begun again in the same batch");
}

/// The conversation ends after its response commits (`commit_pending`); a
/// crash between the two leaves it behind. Named: `/start` asks its last
/// question again and the same response is stored once. Anonymous: it is
/// dropped, and the answer cannot be changed.
#[test]
fn a_conversation_left_by_a_crash_after_its_response_is_harmless() {
    let f = fixture();
    let one = "days = 3\n[[questions]]\ntype = \"single\"\ntext = \"参加过吗？\"\nchoices = [\"是\", \"否\"]\n";
    for (title, anonymous) in [("实名", false), ("匿名", true)] {
        let def = format!("title = \"{title}\"\nanonymous = {anonymous}\n{one}");
        let l = launch(&f, &def, "43");
        let user = format!("u-{title}");
        let p = member(&f.tree, "李明", &user, "4143010533-001");
        say(&f, &user, &format!("/start {}", l.payload));
        let key = keys::survey_person(keys::CONVERSATION, l.id, p.id);
        let left = f.tree.store.surveys.get(key).unwrap().expect("the conversation row");
        assert!(say(&f, &user, "是").contains("已提交"));
        assert!(f.sv.conversation(l.id, p.id).unwrap().is_none(), "ended after the commit");
        // The crash: the response is stored, the conversation row is back.
        f.tree.store.surveys.insert(key, left).unwrap();
        let r = say(&f, &user, &format!("/start {}", l.payload));
        if anonymous {
            assert!(r.contains(Msg::AnonymousAlreadyAnswered.text()), "{r}");
            assert!(f.sv.conversation(l.id, p.id).unwrap().is_none(), "the leftover is dropped");
        } else {
            assert!(r.contains("参加过吗"), "{r}");
            assert!(say(&f, &user, "是").contains("已提交"));
        }
        let res = f.sv.results(None, l.id).unwrap();
        assert_eq!(res.responses.len(), 1, "{title}: one response");
        assert_eq!(res.responses[0].answers[0], Some(Answer::Choice(0)));
    }
}
