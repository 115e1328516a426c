//! Typed field parsers on what people type, full-width too: good values normalized, bad ones refused bilingually.

use super::fields::{date, email, landline, mobile, name, qq};
use super::*;

/// One Chinese sentence, then one English sentence.
fn assert_bilingual(e: &str) {
    let (zh, en) = e.split_once("。 ").unwrap_or_else(|| panic!("not Chinese then English: {e}"));
    assert!(!en.contains("。 "), "more than one Chinese sentence: {e}");
    assert!(zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)), "{e}");
    assert!(en.starts_with(|c: char| c.is_ascii_uppercase()) && en.ends_with('.'), "{e}");
    assert_eq!(en.matches(". ").count(), en.matches("e.g. ").count(), "more than one English sentence: {e}");
}

fn check(parse: fn(&str) -> Result<String, &'static str>, good: &[(&str, &str)], bad: &[&str]) {
    for (input, want) in good {
        assert_eq!(parse(input).as_deref(), Ok(*want), "{input}");
    }
    for input in bad {
        let e = parse(input).expect_err(input);
        assert_bilingual(e);
    }
}

#[test]
fn names() {
    check(
        name,
        &[
            ("张伟", "张伟"),
            ("张 伟", "张伟"),
            ("欧阳娜娜", "欧阳娜娜"),
            ("阿依古丽・买买提", "阿依古丽·买买提"),
            ("Ｚｈａｎｇ  Ｗｅｉ", "Zhang Wei"),
            ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ],
        &["张", "张3", "13800138000", "·张伟", "张伟Zhang", "", "@@"],
    );
    assert_eq!(name("张3"), Err("请输入姓名，如 张伟 或 Zhang Wei。 Please enter a name, e.g. 张伟 or Zhang Wei."));
}

#[test]
fn mobile_numbers() {
    check(
        mobile,
        &[
            ("13800138000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("(+86) 13800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("0086 13800138000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),
            ("１９９　８８８８　７７７７", "19988887777"),
        ],
        &["12800138000", "1380013800", "138001380001", "23800138000", "0731-88888888", "+1 13800138000", "手机"],
    );
    assert_eq!(mobile("1380013800"), Err("请输入 11 位手机号码。 Please enter an 11-digit mobile number."));
}

#[test]
fn landlines() {
    check(
        landline,
        &[
            ("0731-88888888", "0731-88888888"),
            ("0731 8888 8888", "0731-88888888"),
            ("(0731)88888888", "0731-88888888"),
            ("０７３１－８８８８８８８８", "0731-88888888"),
            ("010-62345678", "010-62345678"),
            ("02188888888", "021-88888888"),
            ("0731-8888888", "0731-8888888"),
            ("0731-8888-8888", "0731-88888888"),
            ("0731-88888888-123", "0731-88888888-123"),
            ("0731-88888888转8001", "0731-88888888-8001"),
            ("0731-88888888 分机 12", "0731-88888888-12"),
            ("0731-88888888 ext. 5", "0731-88888888-5"),
            ("+86 731 8888 8888", "0731-88888888"),
        ],
        &["88888888", "13800138000", "0731-888", "073-88888888", "0731-08888888", "0731-88888888转", "座机"],
    );
}

#[test]
fn email_addresses() {
    check(
        email,
        &[
            ("name@example.com", "name@example.com"),
            ("Zhang.Wei@QQ.COM", "Zhang.Wei@qq.com"),
            ("１２３４５６＠ｑｑ．ｃｏｍ", "123456@qq.com"),
            ("tuanwei@hnu。edu。cn", "tuanwei@hnu.edu.cn"),
            ("a+b_c@mail-1.example.org", "a+b_c@mail-1.example.org"),
        ],
        &["张伟@qq.com", "name@", "name@qq", "name@@qq.com", "name qq.com", "name@qq..com", ".name@qq.com", "a@-x.com"],
    );
}

#[test]
fn qq_numbers() {
    check(
        qq,
        &[("12345", "12345"), ("10001", "10001"), ("１２３４５６７８", "12345678"), ("1234 5678", "12345678")],
        &["1234", "012345", "123456789012", "qq123456", "一二三四五"],
    );
}

#[test]
fn dates() {
    check(
        date,
        &[
            ("2026-11-25", "2026-11-25"),
            ("2026年11月25日", "2026-11-25"),
            ("2026年1月5日", "2026-01-05"),
            ("２０２６年１１月２５号", "2026-11-25"),
            ("2026 年 11 月 25 日", "2026-11-25"),
            ("2026/1/5", "2026-01-05"),
            ("2026.11.25", "2026-11-25"),
            ("20261125", "2026-11-25"),
            ("2024-02-29", "2024-02-29"),
        ],
        &[
            "2026-02-29",
            "2026-13-01",
            "2026年4月31日",
            "11/25/2026",
            "明天",
            "2026年11月",
            "1800-01-01",
            "2026-11-25-1",
        ],
    );
    assert_eq!(
        date("2026-02-29"),
        Err("没有这一天，请检查年月日。 There is no such day; please check the year, month and day.")
    );
}

#[test]
fn field_questions_read_normalized_text_and_keep_the_common_refusals() {
    let q = Question {
        id: "m".into(),
        text: "手机".into(),
        required: true,
        kind: Kind::Field(Field::Mobile),
        goto: vec![],
    };
    assert_eq!(q.read(None, "１３８　００１３　８０００"), Ok(Answer::Text("13800138000".into())));
    assert_eq!(q.read(None, "　"), Err("请回答本题。 Please answer the question.".into()));
    for f in [Field::Name, Field::Mobile, Field::Landline, Field::Email, Field::Qq, Field::Date] {
        let k = Kind::Field(f);
        assert!(!k.label().is_ascii() && k.hint().is_some(), "{f:?}");
        assert_bilingual(&f.read("?").unwrap_err());
    }
    assert_eq!(Field::from_word("手机"), Some(Field::Mobile));
    assert_eq!(Field::from_word("essay"), None);
}
