//! Definition files (FILE:LINE errors), answer forms, results roll-up,
//! anonymity, exports and reminders.

use std::sync::{Arc, Mutex};

use super::answer::{choice_index, choice_list, rating};
use super::results::Tally;
use super::tests::{fixture, launch, member, say, Fix, DEF};
use super::*;

fn bad(src: &str) -> String {
    def::parse("bad.toml", src).unwrap_err().to_string()
}

const HEAD: &str = "title = \"x\"\ndays = 3\n[[questions]]\n";

#[test]
fn the_sample_definition_is_valid_and_uses_every_type() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/surveys/sixiang-dongtai.toml");
    let d = Surveys::check_file(&path).unwrap();
    let kinds: Vec<&str> = d.questions.iter().map(|q| q.kind.label()).collect();
    for k in ["单选", "多选", "填空", "数字", "评分"] {
        assert!(kinds.iter().any(|l| l.starts_with(k)), "{kinds:?}");
    }
    assert!(d.anonymous);
    assert!(d.questions[1].goto.iter().any(|(k, n)| *k == 1 && *n == def::Next::Question(4)));
}

#[test]
fn bad_definitions_name_the_file_and_line() {
    let e = bad(&format!(
        "{HEAD}type = \"single\"\ntext = \"a\"\nchoices = [\"是\", \"否\"]\ngoto = {{ \"否\" = \"q9\" }}\n"
    ));
    assert!(e.starts_with("bad.toml:7: `goto` target \"q9\""), "{e}");
    let e = bad(&format!("{HEAD}type = \"multi\"\ntext = \"a\"\nchoices = [\"A\", \"B\", \"C\"]\nmin = 3\nmax = 2\n"));
    assert!(e.starts_with("bad.toml:7: `min` (3) is more than `max` (2)"), "{e}");
    let e = bad(&format!("{HEAD}type = \"text\"\ntext = \"a\"\npattern = \"[0-9\"\n"));
    assert!(e.starts_with("bad.toml:6: `pattern` is not a valid regular expression"), "{e}");
    let e = bad(&format!("{HEAD}type = \"single\"\ntext = \"a\"\nchoices = []\n"));
    assert!(e.starts_with("bad.toml:6: a choice question needs a non-empty `choices` list"), "{e}");
    let e = bad(&format!("{HEAD}type = \"essay\"\ntext = \"a\"\n"));
    assert!(e.starts_with("bad.toml:4: unknown question type `essay`"), "{e}");
    let e = bad(&format!("{HEAD}type = \"text\"\ntext = \"a\ncolour = 1\n"));
    assert!(e.starts_with("bad.toml:5: "), "{e}");
    let e = bad(&format!("{HEAD}type = \"text\"\ntext = \"a\"\ncolour = 1\n"));
    assert!(e.starts_with("bad.toml:6: unknown field `colour`"), "{e}");
    let e = bad("title = \"x\"\n[[questions]]\ntype = \"rating\"\ntext = \"a\"\n");
    assert!(e.starts_with("bad.toml:1: the survey needs `closes = <date>` or `days = N`"), "{e}");
    let e = bad(&format!(
        "{HEAD}id = \"a\"\ntype = \"text\"\ntext = \"a\"\n[[questions]]\nid = \"b\"\ntype = \"rating\"\ntext = \"b\"\ngoto = {{ 1 = \"a\", 6 = \"end\" }}\n"
    ));
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(lines.iter().any(|l| l.starts_with("bad.toml:11: `6` in `goto` is not one of")), "{e}");
    assert!(lines.iter().any(|l| l.starts_with("bad.toml:11: `goto` from b may only jump forward")), "{e}");
    let e =
        bad("title = \"x\"\ncloses = 2025-03-01\nopens = 2025-03-02\n[[questions]]\ntype = \"text\"\ntext = \"a\"\n");
    assert!(e.starts_with("bad.toml:2: `closes` must be after `opens`"), "{e}");
}

#[test]
fn chinese_english_and_full_width_answer_forms() {
    let yn = ["是".to_owned(), "否".to_owned()];
    for (s, want) in [
        ("是", 0),
        ("yes", 0),
        ("Y", 0),
        ("对", 0),
        ("否", 1),
        ("no", 1),
        ("不是", 1),
        ("B", 1),
        ("ｂ", 1),
        ("２", 2 - 1),
        ("A.", 0),
        ("（A）", 0),
    ] {
        assert_eq!(choice_index(&yn, s), Some(want), "{s}");
    }
    assert_eq!(choice_index(&yn, "C"), None);
    assert_eq!(choice_index(&yn, "3"), None);
    let abc: Vec<String> = ["理论学习", "志愿服务", "社会实践", "其他"].map(String::from).to_vec();
    for s in ["A,C", "A、C", "A C", "AC", "ac", "a，c", "１、３", "13", "Ａ　Ｃ", "理论学习、社会实践", "A和C"]
    {
        assert_eq!(choice_list(&abc, s), Some(vec![0, 2]), "{s}");
    }
    assert_eq!(choice_list(&abc, "AX"), None);
    for (s, want) in [("4", 4), ("４", 4), ("★★★", 3), ("五", 5), ("2分", 2)] {
        assert_eq!(rating(s), Some(want), "{s}");
    }
    assert_eq!(rating("6"), None);
    assert_eq!(rating("0"), None);
}

/// Members in every branch; four of eight answer a survey for all of CN.
fn rollup() -> (Fix, Launched) {
    let f = fixture();
    for (who, branch) in [
        ("a1", "4143010533-001"),
        ("a2", "4143010533-001"),
        ("a3", "4143010533-001"),
        ("b1", "4143010533-002"),
        ("c1", "4143010534-001"),
        ("c2", "4143010534-001"),
        ("d1", "4142010486-001"),
        ("d2", "4142010486-001"),
    ] {
        member(&f.tree, &format!("学生{who}"), who, branch);
    }
    let l = launch(&f, DEF, "CN");
    let answers: [(&str, &[&str]); 4] = [
        ("a1", &["是", "A,B", "5", "10", "/skip"]),
        ("a2", &["否", "4", "/skip"]),
        ("b1", &["是", "C", "3", "0", "/skip"]),
        ("d1", &["否", "40", "13800138000"]),
    ];
    for (who, list) in answers {
        say(&f, who, &format!("/start {}", l.payload));
        for a in list {
            say(&f, who, a);
        }
    }
    (f, l)
}

#[test]
fn participation_and_tallies_roll_up_branch_school_province() {
    let (f, l) = rollup();
    let r = f.sv.results(Some(f.official.id), l.id).unwrap();
    let row = |code: &str| r.org(code).unwrap_or_else(|| panic!("no row {code}"));
    let pr = |code: &str| (row(code).responses, row(code).members);
    assert_eq!(pr("4143010533-001"), (2, 3));
    assert_eq!(pr("4143010533-002"), (1, 1));
    assert_eq!(pr("4143010533"), (3, 4));
    assert_eq!(pr("4143010534"), (0, 2));
    assert_eq!(pr("43"), (3, 6));
    assert_eq!(pr("42"), (1, 2));
    assert_eq!(pr("CN"), (4, 8));
    assert_eq!(row("4143010533-001").tallies[0], Tally::Counts(vec![1, 1]));
    let school = &row("4143010533").tallies;
    assert_eq!(school[0], Tally::Counts(vec![2, 1]));
    assert_eq!(school[1], Tally::Counts(vec![1, 1, 1]));
    assert_eq!(school[2], Tally::Counts(vec![0, 0, 1, 0, 1]));
    assert_eq!(school[3], Tally::Numbers { count: 3, sum: 14.0, min: 0.0, max: 10.0 });
    assert_eq!(row("42").tallies[0], Tally::Counts(vec![0, 1]));
    assert_eq!(row("CN").tallies[0], Tally::Counts(vec![2, 2]));
    assert_eq!(row("CN").tallies[3], Tally::Numbers { count: 4, sum: 54.0, min: 0.0, max: 40.0 });
    assert_eq!(row("CN").tallies[4], Tally::Texts(1));
    let text = r.to_text(10);
    assert!(text.contains("参与 Participation: 4/8 (50.0%)"), "{text}");
    assert!(text.contains("43 共青团湖南省委学校部 3/6 (50.0%)"), "{text}");
    assert!(text.contains("A. 是 — 2 (50.0%)"), "{text}");
    // In chat: an official of one school sees that school's part.
    let o = f.tree.add_person("赵老师").unwrap();
    f.tree.add_identity(o.id, treecast_wire::Platform::Telegram, "zhao").unwrap();
    f.tree.grant(o.id, &f.tree.require("4143010533").unwrap(), crate::tree::people::Role::Official).unwrap();
    let t = say(&f, "zhao", &format!("/survey results {}", l.id));
    assert!(t.contains("湖南大学团委") && t.contains("3/4 (75.0%)"), "{t}");
    let t = say(&f, "a1", &format!("/survey results {}", l.id));
    assert!(t.contains("may not run surveys"), "{t}");
}

#[test]
fn named_exports_have_one_row_per_response_with_org_columns() {
    let (f, l) = rollup();
    let r = f.sv.results(None, l.id).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("r.csv");
    r.write_csv(&csv_path).unwrap();
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("#,person_id,name,submitted,province_code,province_name,school_code,school_name,branch_code,branch_name,Q1 "), "{}", lines[0]);
    let a1 = lines.iter().find(|l| l.contains("学生a1")).unwrap();
    assert!(a1.contains("43,共青团湖南省委学校部,4143010533,湖南大学团委,4143010533-001,计算机科学与技术2023级1班团支部,A. 是,A. 理论学习；B. 志愿服务,5,10,"), "{a1}");
    let xlsx = dir.path().join("r.xlsx");
    r.write_xlsx(&xlsx).unwrap();
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.len() > 2000);
}

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Anonymous exports name an org only where at least five respondents share
/// it: a branch with one respondent would name the student. (The export used
/// to carry every row's branch code.)
#[test]
fn anonymous_exports_merge_small_groups_up_the_tree() {
    let f = fixture();
    let def = format!("anonymous = true\n{DEF}");
    let l = launch(&f, &def, "43");
    let mut who = Vec::new();
    for i in 0..5 {
        who.push((member(&f.tree, &format!("甲{i}"), &format!("a{i}"), "4143010533-001"), "4143010533-001"));
    }
    who.push((member(&f.tree, "乙", "b0", "4143010533-002"), "4143010533-002"));
    for (p, _) in &who {
        let uid = &p.identities[0].user;
        say(&f, uid, &format!("/start {}", l.payload));
        for a in ["是", "A", "4", "2", "/skip"] {
            say(&f, uid, a);
        }
    }
    let r = f.sv.results(None, l.id).unwrap();
    assert_eq!(r.total().responses, 6);
    let rows = r.rows();
    let with_branch = |code: &str| rows.iter().filter(|row| row.iter().any(|c| c == code)).count();
    assert_eq!(with_branch("4143010533-001"), 5, "five share that branch: it is shown");
    assert_eq!(with_branch("4143010533-002"), 0, "one alone: the branch is not shown");
    assert_eq!(rows.iter().filter(|row| row.iter().any(|c| c == "4143010533")).count(), 6, "the school is");
}

#[test]
fn anonymous_answers_cannot_be_joined_to_people() {
    let logs = LogBuf::default();
    let w = logs.clone();
    let sub = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || w.clone()).finish();
    let f = fixture();
    let people = [member(&f.tree, "李明", "u1", "4143010533-001"), member(&f.tree, "张华", "u2", "4143010533-001")];
    member(&f.tree, "王芳", "u3", "4143010533-002");
    let def = format!("anonymous = true\n{DEF}");
    let l = tracing::subscriber::with_default(sub, || {
        let l = launch(&f, &def, "43");
        for (who, list) in [("u1", ["是", "A", "4", "2", "/skip"]), ("u2", ["是", "B", "2", "6", "/skip"])] {
            let r = say(&f, who, &format!("/start {}", l.payload));
            assert!(r.contains("匿名"), "{r}");
            for a in list {
                say(&f, who, a);
            }
        }
        let r = say(&f, "u1", &format!("/start {}", l.payload));
        assert!(r.contains("cannot be changed"), "{r}");
        l
    });
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // No row of the survey names or numbers a person.
    for kv in f.tree.store.surveys.iter() {
        let (k, v) = kv.unwrap();
        for p in &people {
            let id = p.id.to_be_bytes();
            assert!(
                !k.windows(8).any(|w| w == id) && !v.windows(8).any(|w| w == id),
                "row {k:?} holds person {}",
                p.id
            );
        }
        if k[0] == keys::ANONYMOUS {
            let r: Response = crate::store::decode(&v).unwrap();
            assert_eq!((r.person, r.at), (None, None));
        }
    }
    let r = f.sv.results(None, l.id).unwrap();
    assert_eq!(r.total().responses, 2);
    assert_eq!(r.org("4143010533-001").unwrap().tallies[0], Tally::Counts(vec![2, 0]));
    // Two answers are too few to show or export anonymously.
    let dir = tempfile::tempdir().unwrap();
    let err = r.write_csv(&dir.path().join("a.csv")).unwrap_err().to_string();
    assert!(err.contains("Fewer than 5 responses") && err.contains("少于 5 份"), "{err}");
    let text = r.to_text(10);
    assert!(text.contains("the answers are not shown") && !text.contains("Q1"), "{text}");
    // With more answers in the audience the export works (checked below).
    for i in 3..8 {
        member(&f.tree, &format!("学生{i}"), &format!("v{i}"), "4143010533-001");
        say(&f, &format!("v{i}"), &format!("/start {}", l.payload));
        for a in ["是", "A", "4", "2", "/skip"] {
            say(&f, &format!("v{i}"), a);
        }
    }
    let r = f.sv.results(None, l.id).unwrap();
    r.write_csv(&dir.path().join("a.csv")).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("a.csv")).unwrap();
    assert!(!csv.contains("person_id") && !csv.contains("submitted"), "{csv}");
    for p in &people {
        for needle in [p.name.as_str(), &p.identities[0].user] {
            assert!(!csv.contains(needle), "export shows {needle}: {csv}");
            assert!(!log.contains(needle), "log shows {needle}");
        }
    }
    // The event log says a response was finished, in which branch, not by whom.
    let answered: Vec<_> = crate::events::read(&f.tree.store, 0, 100_000)
        .unwrap()
        .into_iter()
        .flat_map(|r| match r.event {
            crate::events::Event::SurveyAnswered { survey, answered } if survey == l.id => answered,
            _ => Vec::new(),
        })
        .map(|(_, person)| person)
        .collect();
    assert!(!answered.is_empty() && answered.iter().all(Option::is_none), "{answered:?}");
    // The reminder still knows who has answered, without knowing what.
    f.sv.set_clock(Some(l.closes - 3600));
    let due = f.sv.due_reminders(l.id).unwrap();
    let to: Vec<&str> = due.iter().map(|q| q.msg.to.id.as_str()).collect();
    assert_eq!(to, ["u3"]);
}

#[test]
fn reminders_go_once_and_only_to_members_who_have_not_answered() {
    let (f, l) = rollup();
    // Each finished named response is listed, with its person, in the events.
    let named = crate::events::read(&f.tree.store, 0, 100_000)
        .unwrap()
        .into_iter()
        .flat_map(|r| match r.event {
            crate::events::Event::SurveyAnswered { survey, answered } if survey == l.id => answered,
            _ => Vec::new(),
        })
        .filter(|(_, person)| person.is_some())
        .count();
    assert_eq!(named, 4);
    // One job, due a day before closing (the definition's remind_before_hours).
    let key = format!("{}:{}", crate::features::surveys::REMIND_JOB, l.id);
    let at = crate::schedule::due_at(&f.tree.store, &key).unwrap().expect("scheduled at launch");
    assert_eq!(at, (l.closes - 24 * 3600) * 1000);
    f.sv.set_clock(Some(l.closes - 3600));
    let due = f.sv.due_reminders(l.id).unwrap();
    let mut to: Vec<String> = due.iter().map(|q| q.msg.to.id.clone()).collect();
    to.sort();
    assert_eq!(to, ["a3", "c1", "c2", "d2"]);
    assert!(due[0].msg.body.contains(&format!("/start {}", l.payload)));
    f.tree.store.commit(&f.sv.reminder_writes(l.id).unwrap()).unwrap();
    assert!(f.sv.due_reminders(l.id).unwrap().is_empty(), "once only");
}
