//! Surveys on the conversation engine: typed fields in definitions; conversation rows read as before.

use super::tests::{fixture, launch, member, say};
use super::*;
use crate::conversation::Field;

const FORM: &str = r#"
title = "志愿者登记"
days = 3

[[questions]]
type = "姓名"
text = "姓名"

[[questions]]
type = "mobile"
text = "手机号码"

[[questions]]
type = "date"
text = "可以参加的日期"
required = false
"#;

#[test]
fn typed_fields_in_a_survey_are_checked_normalized_and_counted() {
    let f = fixture();
    let l = launch(&f, FORM, "43");
    let d = f.sv.survey(l.id).unwrap().def;
    let kinds: Vec<&Kind> = d.questions.iter().map(|q| &q.kind).collect();
    assert_eq!(kinds, [&Kind::Field(Field::Name), &Kind::Field(Field::Mobile), &Kind::Field(Field::Date)]);
    member(&f.tree, "李明", "u1", "4143010533-001");
    let r = say(&f, "u1", &format!("/start {}", l.payload));
    assert!(r.contains("第 1/3 题（姓名 name）"), "{r}");
    say(&f, "u1", "李 明");
    let r = say(&f, "u1", "1380013800");
    assert!(r.starts_with("请输入 11 位手机号码。 Please enter an 11-digit mobile number.") && r.contains("第 2/3 题"));
    say(&f, "u1", "+86 138 0013 8000");
    let r = say(&f, "u1", "2026年2月30日");
    assert!(r.starts_with("没有这一天") && r.contains("第 3/3 题"), "{r}");
    let r = say(&f, "u1", "２０２６年３月５日");
    assert!(r.contains("已提交") && r.contains("2026-03-05"), "{r}");
    let res = f.sv.results(None, l.id).unwrap();
    let a = &res.responses[0].answers;
    assert_eq!(a[1], Some(Answer::Text("13800138000".into())));
    assert_eq!(res.total().tallies[0], results::Tally::Texts(1));
}

#[test]
fn typed_fields_take_no_choices_range_or_pattern() {
    let head = "title = \"x\"\ndays = 3\n[[questions]]\n";
    let e = def::parse("bad.toml", &format!("{head}type = \"qq\"\ntext = \"a\"\npattern = \"[0-9]+\"\n")).unwrap_err();
    assert!(e.to_string().starts_with("bad.toml:6: `pattern` applies to text questions only"), "{e}");
    let e = def::parse("bad.toml", &format!("{head}type = \"email\"\ntext = \"a\"\nchoices = [\"a\"]\n")).unwrap_err();
    assert!(e.to_string().starts_with("bad.toml:6: `choices` belong to single and multi"), "{e}");
}

/// The row as written before the engine moved out of the survey module.
#[derive(Serialize)]
struct FlatRow {
    branch: u32,
    at: u16,
    answers: Vec<Option<Answer>>,
    trail: Vec<u16>,
    picked: Vec<u8>,
    editing: bool,
    slot: Option<[u8; 16]>,
}

#[test]
fn conversation_rows_keep_their_layout() {
    let answers = vec![Some(Answer::Choice(1)), None, Some(Answer::Text("是".into()))];
    let flat = FlatRow {
        branch: 7,
        at: 2,
        answers: answers.clone(),
        trail: vec![0, 1],
        picked: vec![3],
        editing: true,
        slot: Some([9; 16]),
    };
    let c: Conversation = decode(&encode(&flat)).unwrap();
    let progress = Progress { at: 2, answers, trail: vec![0, 1], picked: vec![3], editing: true };
    assert_eq!(c, Conversation { branch: 7, progress, slot: Some([9; 16]) });
    assert_eq!(encode(&c), encode(&flat));
}
