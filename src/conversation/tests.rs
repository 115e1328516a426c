//! The engine on a non-survey script: a sign-up form (name, mobile, has-email branch, email) kept in memory.

use std::cell::RefCell;

use treecast_wire::ButtonAction;

use super::*;
use crate::error::Result;

struct Form {
    questions: Vec<Question>,
    saved: RefCell<Option<Progress>>,
    done: RefCell<Option<Vec<Option<Answer>>>>,
}

fn question(id: &str, text: &str, required: bool, kind: Kind, goto: Vec<(u8, Next)>) -> Question {
    Question { id: id.into(), text: text.into(), required, kind, goto }
}

fn form() -> Form {
    let has_email = Kind::Single { choices: vec!["有".into(), "没有".into()] };
    Form {
        questions: vec![
            question("name", "你的姓名", true, Kind::Field(Field::Name), vec![]),
            question("mobile", "手机号码", true, Kind::Field(Field::Mobile), vec![]),
            question("has_email", "有电子邮箱吗？", true, has_email, vec![(1, Next::End)]),
            question("email", "电子邮箱", false, Kind::Field(Field::Email), vec![]),
        ],
        saved: RefCell::new(None),
        done: RefCell::new(None),
    }
}

impl Script for Form {
    fn questions(&self) -> &[Question] {
        &self.questions
    }

    fn pattern(&self, _at: usize) -> Option<&regex::Regex> {
        None
    }

    fn button_prefix(&self) -> String {
        "fm:7".into()
    }

    fn save(&self, p: &Progress) -> Result<()> {
        *self.saved.borrow_mut() = Some(p.clone());
        Ok(())
    }

    fn finish(&self, p: Progress) -> Result<String> {
        let text = format!("报名成功 Signed up.{}", summary(&self.questions, &p.answers));
        *self.done.borrow_mut() = Some(p.answers);
        *self.saved.borrow_mut() = None;
        Ok(text)
    }

    fn cancel(&self) -> Result<String> {
        *self.saved.borrow_mut() = None;
        Ok("已取消报名。 Cancelled.".into())
    }
}

/// Opens the form with `p` and returns the first question.
fn open(f: &Form, p: Progress) -> Reply {
    f.save(&p).unwrap();
    ask(f, &p, None, true)
}

/// One input on the stored progress, with buttons shown.
fn send(f: &Form, input: Input) -> Reply {
    let p = f.saved.borrow().clone().expect("a conversation in progress");
    step(f, p, input, true).unwrap()
}

fn text(f: &Form, t: &str) -> String {
    send(f, Input::Text(t)).text
}

fn text_answer(s: &str) -> Option<Answer> {
    Some(Answer::Text(s.into()))
}

#[test]
fn a_form_of_typed_fields_is_read_checked_and_normalized() {
    let f = form();
    let r = open(&f, Progress::new(4));
    assert!(r.text.starts_with("第 1/4 题（姓名 name）\n你的姓名"), "{}", r.text);
    assert!(r.buttons.is_empty());
    let r = text(&f, "张3");
    assert!(r.starts_with("请输入姓名") && r.contains("第 1/4 题"), "{r}");
    let r = text(&f, "张 伟");
    assert!(r.contains("第 2/4 题（手机号码 mobile number）"), "{r}");
    let r = text(&f, "12345");
    assert!(r.starts_with("请输入 11 位手机号码。 Please enter an 11-digit mobile number.\n\n第 2/4 题"), "{r}");
    let r = send(&f, Input::Text("+86 138-0013-8000"));
    assert!(r.text.contains("第 3/4 题") && r.text.contains("A. 有"), "{}", r.text);
    let data: Vec<_> = r.buttons.iter().map(|b| b.action.clone()).collect();
    assert_eq!(data, [ButtonAction::Callback("fm:7:2:0".into()), ButtonAction::Callback("fm:7:2:1".into())]);
    let r = send(&f, Input::Pick { q: 2, pick: Pick::Index(0) });
    assert!(r.text.contains("第 4/4 题（电子邮箱 email，选填 optional）") && r.text.contains("/skip"), "{}", r.text);
    let r = text(&f, "张伟@qq.com");
    assert!(r.starts_with("请输入有效的电子邮箱地址"), "{r}");
    let r = text(&f, "Zhang.Wei＠QQ。COM");
    assert!(r.starts_with("报名成功") && r.contains("2. 手机号码 → 13800138000"), "{r}");
    let done = f.done.borrow().clone().unwrap();
    assert_eq!(
        done,
        [text_answer("张伟"), text_answer("13800138000"), Some(Answer::Choice(0)), text_answer("Zhang.Wei@qq.com")]
    );
    assert!(f.saved.borrow().is_none());
}

#[test]
fn a_branch_ends_the_form_early() {
    let f = form();
    open(&f, Progress::new(4));
    text(&f, "李明");
    text(&f, "13912345678");
    let r = text(&f, "没有");
    assert!(r.starts_with("报名成功"), "{r}");
    assert_eq!(f.done.borrow().as_ref().unwrap()[3], None);
}

#[test]
fn back_skip_and_cancel() {
    let f = form();
    open(&f, Progress::new(4));
    let r = send(&f, Input::Back).text;
    assert!(r.starts_with("已经是第一题") && r.contains("第 1/4 题"), "{r}");
    let r = send(&f, Input::Skip).text;
    assert!(r.starts_with("此题为必答题") && !r.contains("/skip"), "{r}");
    text(&f, "王芳");
    let r = send(&f, Input::Back).text;
    assert!(r.contains("第 1/4 题") && r.contains("当前答案 Current answer: 王芳"), "{r}");
    let r = send(&f, Input::Skip).text;
    assert!(r.contains("第 2/4 题") && r.contains("/back"), "{r}");
    text(&f, "13912345678");
    text(&f, "A");
    let r = send(&f, Input::Skip).text;
    assert!(r.starts_with("报名成功"), "{r}");
    assert_eq!(f.done.borrow().as_ref().unwrap()[0], text_answer("王芳"));
    open(&f, Progress::new(4));
    let r = send(&f, Input::Cancel);
    assert_eq!(r, Reply::text("已取消报名。 Cancelled."));
    assert!(f.saved.borrow().is_none());
}

#[test]
fn editing_keeps_answers_with_skip_and_drops_those_off_a_changed_branch() {
    let f = form();
    let before = vec![text_answer("王芳"), text_answer("13912345678"), Some(Answer::Choice(0)), text_answer("a@b.cn")];
    let r = open(&f, Progress::editing(before));
    assert!(r.text.contains("当前答案 Current answer: 王芳"), "{}", r.text);
    send(&f, Input::Skip);
    send(&f, Input::Skip);
    let r = text(&f, "没有");
    assert!(r.starts_with("报名成功") && !r.contains("a@b.cn"), "{r}");
    let done = f.done.borrow().clone().unwrap();
    assert_eq!(done, [text_answer("王芳"), text_answer("13912345678"), Some(Answer::Choice(1)), None]);
}

#[test]
fn buttons_only_when_the_caller_says_the_chat_shows_them_and_stale_ones_are_refused() {
    let f = form();
    open(&f, Progress::new(4));
    text(&f, "王芳");
    text(&f, "13912345678");
    let p = f.saved.borrow().clone().unwrap();
    let r = step(&f, p.clone(), Input::Text("？"), false).unwrap();
    assert!(r.buttons.is_empty() && r.text.contains("第 3/4 题"), "{}", r.text);
    let r = step(&f, p.clone(), Input::Pick { q: 0, pick: Pick::Index(0) }, true).unwrap();
    assert!(r.text.starts_with("这道题不是当前题目") && r.buttons.len() == 2, "{}", r.text);
    let r = step(&f, p, Input::Pick { q: 2, pick: Pick::Done }, true).unwrap();
    assert!(r.text.starts_with("这个按钮已失效"), "{}", r.text);
    assert_eq!(parse_button("fm:7:2:ok", "fm"), Some(("7", 2, Pick::Done)));
    assert_eq!(parse_button("fm:7:2:1", "fm"), Some(("7", 2, Pick::Index(1))));
    assert_eq!(parse_button("sv:7:2:1", "fm"), None);
    assert_eq!(parse_button("fmx:7:2:1", "fm"), None);
}
