//! Campaigns through the gateway and the recording adapter on the small
//! tree (湖南省: 湖南大学, 中南大学; 湖北省: 武汉大学): definitions and
//! their line-numbered errors, the launch and its announcement, forms in a
//! chat (one field at a time and all at once) and by mail, every field
//! type's rule, steps completing from the log, reminders and escalation
//! on a set clock, the compliance counts, exports, and who may do what.

use treecast_wire::{Address, Inbound, Platform};

use super::def::{self, Due};
use super::store;
use crate::notice::tests::{bed, Bed};
use crate::tree::people::Role;

/// 2026-11-16 09:00 China time: the launch.
const T0: u64 = 1_794_790_800;

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

fn mail(from: &str, text: &str) -> Inbound {
    let mut ev = Inbound::text(Address::direct(Platform::Email, from), from, text);
    ev.sender.verified = true;
    ev.message_id = format!("<{}@client.example>", crate::msgref::nonce());
    ev
}

fn levels() -> Vec<String> {
    ["national", "province", "school", "branch"].map(str::to_owned).to_vec()
}

/// A form of every field type, a bind step on Telegram, an ack of the
/// announcement, a manual step and a follow step.
const DEF: &str = r#"
title = "测试部署"
[target]
level = "school"

[[steps]]
title = "填写信息表"
kind = "form"
days = 2
at = "12:00"
  [[steps.fields]]
  type = "name"
  text = "负责人姓名"
  [[steps.fields]]
  type = "job_title"
  text = "职务"
  [[steps.fields]]
  type = "mobile"
  text = "手机号码"
  [[steps.fields]]
  type = "landline"
  text = "办公电话"
  required = false
  [[steps.fields]]
  type = "email"
  text = "电子邮箱"
  [[steps.fields]]
  type = "qq"
  text = "QQ"
  required = false
  [[steps.fields]]
  type = "single"
  text = "是否已有微博"
  choices = ["是", "否"]
  [[steps.fields]]
  type = "text"
  text = "备注"
  max_len = 10
  required = false

[[steps]]
title = "绑定 Telegram 群"
kind = "bind"
days = 4
platforms = ["telegram"]

[[steps]]
title = "确认收到部署"
kind = "ack"
days = 4

[[steps]]
title = "设置头像"
kind = "manual"
days = 6

[[steps]]
title = "关注"
kind = "follow"
days = 8
"#;

/// The bed at T0 with a national official (console `cn`) and 中南大学's
/// official on email (`csu@tw.example`); the campaign launched by CN to
/// every school. Returns its id.
async fn launched(b: &Bed, def: &str) -> u64 {
    b.app.ctx.clock.set(Some(T0));
    let cn = b.tree.add_person("全国团干部").unwrap();
    b.tree.add_identity(cn.id, Platform::Console, "cn").unwrap();
    b.tree.grant(cn.id, &b.tree.require("CN").unwrap(), Role::Official).unwrap();
    let csu = b.tree.add_person("钱老师").unwrap();
    b.tree.add_identity(csu.id, Platform::Email, "csu@tw.example").unwrap();
    b.tree.grant(csu.id, &b.tree.require("4143010534").unwrap(), Role::Official).unwrap();
    let args = serde_json::json!({ "name": "ceshi.toml", "text": def, "org": "CN", "by": "console:cn" });
    let r = b.app.registry.admin(&b.app.ctx, "campaign.launch", args).unwrap();
    assert!(r.text.contains("已发起工作部署 #") && r.text.contains("3 个单位"), "{}", r.text);
    b.settle().await;
    store::campaigns(&b.tree.store).unwrap().last().unwrap().id
}

fn status(b: &Bed, id: u64, org: &str) -> super::status::Status {
    let c = store::campaign(&b.tree.store, id).unwrap().unwrap();
    super::status::compute(&b.app.ctx, &c, &b.tree.require(org).unwrap()).unwrap()
}

/// (done, late, open) of each step within `org`.
fn counts(b: &Bed, id: u64, org: &str) -> Vec<(usize, usize, usize)> {
    status(b, id, org).steps.iter().map(|k| (k.done, k.late, k.open)).collect()
}

async fn at(b: &Bed, t: u64) {
    b.app.ctx.clock.set(Some(t));
    b.app.run_due_jobs().unwrap();
    b.app.ctx.waker.wake();
    b.settle().await;
}

#[test]
fn definitions_are_checked_with_the_line_of_each_problem() {
    let d = def::parse("ceshi.toml", DEF, &levels()).unwrap();
    assert_eq!(d.steps.len(), 5);
    assert_eq!(d.steps[0].due, Due::After { days: 2, minute: 12 * 60 });
    assert_eq!(d.steps[0].kind.fields().len(), 8);
    // The shipped sample reads, with its form and four steps.
    let sample = std::fs::read_to_string("config/campaigns/weibo-jianshe.toml").unwrap();
    let s = def::parse("weibo-jianshe.toml", &sample, &levels()).unwrap();
    assert_eq!(s.steps.iter().map(|s| s.kind.word()).collect::<Vec<_>>(), ["form", "bind", "manual", "follow"]);
    let bad = DEF
        .replace("level = \"school\"", "level = \"campus\"")
        .replace("type = \"qq\"", "type = \"wechat\"")
        .replace("platforms = [\"telegram\"]", "platforms = [\"telegram\"]\nper = \"org\"")
        .replace("days = 6", "days = 6\nat = \"25:00\"");
    let e = def::parse("bad.toml", &bad, &levels()).unwrap_err().0;
    let line = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let expect = [
        (line("campus"), "no level `campus`"),
        (line("wechat"), "unknown question type `wechat`"),
        (line("per = \"org\""), "`per` does not apply to a bind step"),
        (line("25:00"), "`at` is not a time of day"),
    ];
    for (l, what) in expect {
        assert!(
            e.iter().any(|p| p.starts_with(&format!("bad.toml:{l}: ")) && p.contains(what)),
            "{what} at {l}: {e:?}"
        );
    }
    assert_eq!(e.len(), 4, "{e:?}");
    let none = def::parse("none.toml", "title = \"x\"\n[target]\nlevel = \"school\"\n", &levels()).unwrap_err();
    assert!(none.0[0].contains("no steps"), "{none}");
}

#[test]
fn a_relative_deadline_counts_days_from_the_launch_day_in_china_time() {
    // Launched 2026-11-16 23:30 China time: "2 days at 12:00" is 11-18 12:00.
    let late_evening = T0 + 14 * 3600 + 30 * 60;
    let due = Due::After { days: 2, minute: 12 * 60 }.resolve(late_evening);
    assert_eq!(crate::clock::show(due), "2026-11-18 12:00");
}

#[tokio::test]
async fn the_launch_announces_the_steps_with_a_fill_in_button_to_the_schools_only() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let ann = b.to(&Bed::group("4143010533"));
    let ann =
        ann.iter().find(|m| m.title.as_deref() == Some("【工作部署】测试部署")).expect("the school's group has it");
    assert!(ann.body.contains("1. 填写信息表（2026-11-18 12:00 前）"), "{}", ann.body);
    assert!(ann.buttons.iter().any(|bt| bt.label == "填写 Fill in"), "{:?}", ann.buttons);
    assert!(ann.body.contains(&format!("/start cf{id}")), "{}", ann.body);
    for other in ["43", "4143010533-001"] {
        assert!(
            !b.to(&Bed::group(other)).iter().any(|m| m.title.as_deref() == Some("【工作部署】测试部署")),
            "{other}"
        );
    }
    // Console groups were bound before: nothing is done (the bind step wants Telegram).
    assert_eq!(counts(&b, id, "CN")[1], (0, 0, 3));
}

#[tokio::test]
async fn a_form_is_filled_one_field_at_a_time_with_each_rule_explained_and_edited_until_the_deadline() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let opened = b.ask(dm("hnu", &format!("/start cf{id}"))).await;
    assert!(opened.contains("“填写信息表”——湖南大学团委") && opened.contains("第 1/8 项"), "{opened}");
    // Each bad value gets the field's rule in Chinese, then in English; nothing moves on.
    for (good, bad, rule, english) in [
        ("张伟", "12", "请输入姓名", "Please enter a name"),
        ("团委副书记", "5", "请输入职务", "Please enter a job title"),
        ("138 0013 8000", "12345", "请输入 11 位手机号码", "Please enter an 11-digit mobile number"),
        ("0731-88821234", "88821234", "请输入带区号的座机号码", "with its area code"),
        ("zhangwei@hnu.edu.cn", "zhangwei@", "请输入有效的电子邮箱地址", "valid email address"),
        ("10001", "0123", "不以 0 开头的 QQ 号", "not starting with 0"),
        ("B", "C", "请回复选项字母或序号", "Reply with one letter"),
        ("无", "这一段备注写得实在太长了超过十个字", "回答太长", "Too long"),
    ] {
        let said = b.ask(dm("hnu", bad)).await;
        assert!(said.contains(rule) && said.contains(english), "{bad:?} -> {said}");
        assert!(said.starts_with(|c: char| !c.is_ascii()), "Chinese first: {said}");
        let next = b.ask(dm("hnu", good)).await;
        assert!(!next.contains(rule), "{good:?} -> {next}");
    }
    let c = store::campaign(&b.tree.store, id).unwrap().unwrap();
    let org = b.tree.require("4143010533").unwrap();
    let s = store::submission(&b.tree.store, id, 0, org.id, 0).unwrap().expect("submitted");
    let shown: Vec<String> = s
        .answers
        .iter()
        .zip(c.def.steps[0].kind.fields())
        .map(|(a, q)| a.as_ref().unwrap().show(q.kind.choices()))
        .collect();
    assert_eq!(shown[..6], ["张伟", "团委副书记", "13800138000", "0731-88821234", "zhangwei@hnu.edu.cn", "10001"]);
    b.settle().await;
    assert_eq!(counts(&b, id, "43")[0], (1, 0, 1), "the form step is done for 湖南大学");
    // Changed before the deadline: the old answers are offered, /skip keeps them.
    let again = b.ask(dm("hnu", &format!("/campaign fill {id}"))).await;
    assert!(again.contains("当前答案 Current answer: 张伟"), "{again}");
    b.ask(dm("hnu", "/cancel")).await;
    // After the deadline a submitted form no longer changes.
    b.app.ctx.clock.set(Some(c.dues[0] + 1));
    let closed = b.ask(dm("hnu", &format!("/campaign fill {id}"))).await;
    assert!(closed.contains("表单已于 2026-11-18 12:00 截止，不能再修改"), "{closed}");
}

#[tokio::test]
async fn a_form_is_filled_at_once_from_lines_and_the_problems_are_listed_with_the_rest_kept() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let text = format!(
        "/campaign fill {id}\n1. 负责人姓名：李华\n2. 职务：书记\n3. 手机号码：1380013800\n5. 电子邮箱：lihua@hnu.edu.cn\n7. 是否已有微博：A\n9. 乱写：x"
    );
    let said = b.ask(dm("hnu", &text)).await;
    assert!(said.contains("有 2 处需要修改（其余已保留）"), "{said}");
    assert!(said.contains("3. 手机号码：请输入 11 位手机号码"), "{said}");
    assert!(said.contains("“9. 乱写”不是表中的项目"), "{said}");
    assert!(said.contains("第 3/8 项"), "the conversation goes on at the first bad field: {said}");
    let org = b.tree.require("4143010533").unwrap();
    assert!(store::submission(&b.tree.store, id, 0, org.id, 0).unwrap().is_none(), "nothing half-saved");
    // The good values were kept: fixing the mobile and skipping the rest submits.
    let mut last = b.ask(dm("hnu", "13800138000")).await;
    for _ in 0..5 {
        if last.contains("已提交") {
            break;
        }
        last = b.ask(dm("hnu", "/skip")).await;
    }
    assert!(last.contains("已提交“填写信息表”（湖南大学团委）"), "{last}");
    let s = store::submission(&b.tree.store, id, 0, org.id, 0).unwrap().unwrap();
    assert!(matches!(&s.answers[0], Some(crate::conversation::Answer::Text(n)) if n == "李华"), "{:?}", s.answers);
}

#[tokio::test]
async fn a_form_by_mail_comes_back_filled_and_only_its_addressee_can_submit_it() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let me = "csu@tw.example";
    b.say(mail(me, &format!("/campaign fill {id}"))).await;
    b.settle().await;
    let sent = b.to(&Address::direct(Platform::Email, me));
    let form = sent.last().unwrap();
    assert!(form.body.contains("请直接回复本邮件") && form.body.contains("\n3. 手机号码："), "{}", form.body);
    let mid = b.chat.message_ids(&form.id).unwrap()[0].clone();
    // Someone else answering the form mail changes nothing.
    let mut forged = mail(
        "hunan@tw.example",
        "1. 负责人姓名：王五\n2. 职务：书记\n3. 手机号码：13800138000\n5. 电子邮箱：a@b.cn\n7. 是否已有微博：B",
    );
    forged.in_reply_to = Some(mid.clone());
    b.say(forged).await;
    let csu = b.tree.require("4143010534").unwrap();
    assert!(store::submission(&b.tree.store, id, 0, csu.id, 0).unwrap().is_none());
    // The addressee replies with a bad mobile: the problems and the form again, the good values in place.
    let mut reply = mail(
        me,
        "1. 负责人姓名：钱伟\n2. 职务：团委书记\n3. 手机号码：12345\n5. 电子邮箱：QIAN@CSU.edu.cn\n7. 是否已有微博：B",
    );
    reply.in_reply_to = Some(mid);
    b.say(reply).await;
    b.settle().await;
    let back = b.to(&Address::direct(Platform::Email, me)).last().unwrap().clone();
    assert!(back.body.contains("有 1 处需要修改") && back.body.contains("1. 负责人姓名：钱伟"), "{}", back.body);
    let mid = b.chat.message_ids(&back.id).unwrap()[0].clone();
    let mut fixed = mail(me, "3. 手机号码：+86 139 0000 1111");
    fixed.in_reply_to = Some(mid);
    b.say(fixed).await;
    b.settle().await;
    let done = b.to(&Address::direct(Platform::Email, me)).last().unwrap().body.to_string();
    assert!(done.contains("已提交“填写信息表”（中南大学团委）"), "{done}");
    let s = store::submission(&b.tree.store, id, 0, csu.id, 0).unwrap().unwrap();
    assert!(matches!(&s.answers[4], Some(crate::conversation::Answer::Text(e)) if e == "QIAN@csu.edu.cn"));
}

#[tokio::test]
async fn steps_complete_from_the_log_and_the_compliance_counts_roll_up_by_hand() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let c = store::campaign(&b.tree.store, id).unwrap().unwrap();
    // 湖南大学: the form (all at once), a Telegram group bound, the ack, the mark by 湖南省, following by /digest on.
    let form = format!("/campaign fill {id}\n1：李华\n2：书记\n3：13800138000\n5：a@hnu.edu.cn\n7：A");
    assert!(b.ask(dm("hnu", &form)).await.contains("已提交"));
    b.tree.bind(&b.tree.require("4143010533").unwrap(), Address::group(Platform::Telegram, "-100123")).unwrap();
    let copy = b.copy_id(c.notice.unwrap(), "4143010533");
    let mut ack = Inbound::text(Bed::group("4143010533"), "hnu", "收到");
    ack.in_reply_to = Some(copy);
    b.say(ack).await;
    let marked = b.ask(dm("cn", &format!("/campaign mark {id} 4 4143010533"))).await;
    assert!(marked.contains("已标记“设置头像”完成：湖南大学团委"), "{marked}");
    assert!(b.ask(dm("hnu", "/digest on")).await.contains("每日摘要"));
    // 武汉大学: only its Telegram group, after the deadline of the bind step.
    b.app.ctx.clock.set(Some(c.dues[1] + 60));
    b.tree.bind(&b.tree.require("4142010486").unwrap(), Address::group(Platform::Telegram, "-100456")).unwrap();
    b.settle().await;
    // At the bind deadline + 1 minute: by hand, per step (done, late, open) over the 3 schools:
    // form: 1 done, 2 late; bind: 2 done (one late), 1 late; ack: 1 done, 2 late; manual: 1 done, 2 open; follow: 1, 0, 2.
    assert_eq!(counts(&b, id, "CN"), [(1, 2, 0), (2, 1, 0), (1, 2, 0), (1, 0, 2), (1, 0, 2)]);
    let s = status(&b, id, "CN");
    assert_eq!(s.steps[1].done_late, 1);
    // Rolled up per province: 湖南 2 schools, 湖北 1.
    let hunan = s.rows.iter().find(|r| r.org.code == "43").unwrap();
    assert_eq!((hunan.steps[0].done, hunan.steps[0].late), (1, 1));
    let hubei = s.rows.iter().find(|r| r.org.code == "42").unwrap();
    assert_eq!((hubei.steps[1].done, hubei.steps[1].done_late), (1, 1));
    assert_eq!(counts(&b, id, "43"), [(1, 1, 0), (1, 1, 0), (1, 1, 0), (1, 0, 1), (1, 0, 1)]);
    let text = s.to_text();
    assert!(
        text.contains("1. 填写信息表（截止 due 2026-11-18 12:00）：完成 done 1，逾期 late 2，未到期 open 0"),
        "{text}"
    );
    // In tree order (湖北 comes first in the small tree).
    assert!(text.contains("逾期未完成 Late —— 填写信息表：武汉大学团委、中南大学团委"), "{text}");
    // A mark taken back is open again.
    b.ask(dm("cn", &format!("/campaign unmark {id} 4 4143010533"))).await;
    b.settle().await;
    assert_eq!(counts(&b, id, "CN")[3], (0, 0, 3));
}

#[tokio::test]
async fn reminders_go_before_each_deadline_to_the_open_orgs_and_the_late_ones_go_up_to_their_parent() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let c = store::campaign(&b.tree.store, id).unwrap().unwrap();
    let form = format!("/campaign fill {id}\n1：李华\n2：书记\n3：13800138000\n5：a@hnu.edu.cn\n7：A");
    assert!(b.ask(dm("hnu", &form)).await.contains("已提交"));
    let csu_mail = Address::direct(Platform::Email, "csu@tw.example");
    let hunan_mail = Address::direct(Platform::Email, "hunan@tw.example");
    let before = (b.to(&Bed::dm("hnu")).len(), b.to(&csu_mail).len(), b.to(&hunan_mail).len());
    // 24 hours before the form's deadline: only 中南大学 (open) is reminded.
    at(&b, c.dues[0] - 24 * 3600).await;
    let csu: Vec<String> = b.to(&csu_mail)[before.1..].iter().map(|m| m.body.to_string()).collect();
    assert!(csu.iter().any(|t| t.contains("【工作部署提醒】") && t.contains("中南大学团委 尚未完成")), "{csu:?}");
    assert!(!b.to(&Bed::dm("hnu"))[before.0..].iter().any(|m| m.body.contains("工作部署提醒")), "湖南大学 is done");
    // At the deadline 湖南省's official hears which of its schools are late; nobody else does.
    at(&b, c.dues[0] + 60).await;
    let up: Vec<String> = b.to(&hunan_mail)[before.2..].iter().map(|m| m.body.to_string()).collect();
    let esc = up.iter().find(|t| t.contains("【工作部署催办】")).unwrap_or_else(|| panic!("{up:?}"));
    assert!(
        esc.contains("共青团湖南省委学校部 下属有 1 个单位未完成") && esc.contains("4143010534 中南大学团委"),
        "{esc}"
    );
    assert!(!esc.contains("湖南大学团委"), "{esc}");
    // 武汉大学 is late too; its parent 湖北 has no official: the job still runs through.
    assert_eq!(counts(&b, id, "CN")[0], (1, 2, 0));
    // The escalation runs once.
    let n = b.to(&hunan_mail).len();
    at(&b, c.dues[0] + 7200).await;
    assert_eq!(b.to(&hunan_mail).len(), n);
}

#[tokio::test]
async fn only_the_orgs_officials_and_those_above_act_for_it_and_see_its_compliance() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    // A member cannot fill the school's form; the branch secretary neither.
    for who in ["li", "sec"] {
        let said = b.ask(dm(who, &format!("/start cf{id}"))).await;
        assert!(said.contains("不需要你所在的单位填写"), "{who}: {said}");
    }
    // 湖南大学's official cannot fill 中南大学's form, nor mark its own manual step.
    let said = b.ask(dm("hnu", &format!("/campaign fill {id} @4143010534"))).await;
    assert!(said.contains("只有 4143010534 中南大学团委 的团干部"), "{said}");
    let said = b.ask(dm("hnu", &format!("/campaign mark {id} 4 4143010533"))).await;
    assert!(said.contains("只有 43 共青团湖南省委学校部 的团干部"), "{said}");
    // An automatic step cannot be marked by hand.
    let said = b.ask(dm("cn", &format!("/campaign mark {id} 2 4143010533"))).await;
    assert!(said.contains("会根据实际情况自动完成"), "{said}");
    // Compliance: 湖南大学's official sees its own school, not 湖北's.
    let own = b.ask(dm("hnu", &format!("/campaign {id}"))).await;
    assert!(own.contains("4143010533 湖南大学团委") && own.contains("… 未完成 open"), "{own}");
    let other = b.ask(dm("hnu", &format!("/campaign status {id} 42"))).await;
    assert!(!other.contains("完成情况") && other.contains("42"), "{other}");
    // 湖南省 (above) fills for a school by naming it.
    let text = format!("/campaign fill {id} @4143010534\n1：赵六\n2：书记\n3：13800138000\n5：z@csu.edu.cn\n7：B");
    let mut ev = Inbound::text(Address::direct(Platform::Email, "hunan@tw.example"), "hunan@tw.example", text);
    ev.message_id = "<fill@tw.example>".into();
    ev.sender.verified = false;
    b.say(ev).await;
    b.settle().await;
    let asked = b.to(&Address::direct(Platform::Email, "hunan@tw.example")).last().unwrap().body.to_string();
    assert!(asked.contains("请直接回复本邮件以确认"), "an unproven mail sender confirms first: {asked}");
    let csu = b.tree.require("4143010534").unwrap();
    assert!(store::submission(&b.tree.store, id, 0, csu.id, 0).unwrap().is_none());
}

#[tokio::test]
async fn exports_put_the_tree_columns_first_with_one_row_per_school() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    let form = format!("/campaign fill {id}\n1：李华\n2：书记\n3：13800138000\n5：a@hnu.edu.cn\n7：A");
    assert!(b.ask(dm("hnu", &form)).await.contains("已提交"));
    b.settle().await;
    let s = status(&b, id, "43");
    let t = s.forms(&b.app.ctx, 0).unwrap();
    assert_eq!(t.head[..4], ["province_code", "province_name", "school_code", "school_name"]);
    assert_eq!(t.rows.len(), 2, "both 湖南 schools, one without a form");
    assert_eq!(t.rows[0][..4], ["43", "共青团湖南省委学校部", "4143010533", "湖南大学团委"]);
    assert!(t.rows[0].contains(&"13800138000".to_owned()) && t.rows[0].contains(&"是".to_owned()), "{:?}", t.rows[0]);
    let csv = String::from_utf8(t.csv(std::path::Path::new("x.csv")).unwrap()).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("4143010534,中南大学团委"), "{csv}");
    let xlsx = s.table(&b.app.ctx).unwrap().xlsx(std::path::Path::new("x.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"), "a zip container");
    // In chat the follow-up official gets both files, and the audit log keeps it.
    let before = b.to(&Bed::dm("cn")).len();
    b.say(dm("cn", &format!("/campaign export {id} form 43"))).await;
    b.settle().await;
    let got = &b.to(&Bed::dm("cn"))[before..];
    let names: Vec<&str> = got.iter().flat_map(|m| m.attachments.iter().map(|a| a.name.as_str())).collect();
    assert_eq!(names, [format!("campaign-{id}-forms-43.xlsx"), format!("campaign-{id}-forms-43.csv")]);
    // A school's official may not export another school's forms.
    let said = b.ask(dm("hnu", &format!("/campaign export {id} form 4143010534"))).await;
    assert!(said.contains("4143010534") && got.len() == 1, "{said}");
}

#[tokio::test]
async fn a_second_account_linked_completes_the_follow_step_and_choice_buttons_answer_a_field() {
    let b = bed().await;
    let id = launched(&b, DEF).await;
    // 湖南大学's official links a Telegram account: the follow step is done for the school.
    let said = b.ask(dm("hnu", "/link")).await;
    let code: String = said.split("/link ").nth(1).unwrap().chars().take_while(char::is_ascii_alphanumeric).collect();
    let tg = Address::direct(Platform::Telegram, "7001");
    b.say(Inbound::text(tg.clone(), "7001", format!("/link {code}"))).await;
    b.settle().await;
    assert_eq!(counts(&b, id, "43")[4], (1, 0, 1), "follow: 湖南大学 done, 中南大学 open");
    // On a platform that shows buttons, a choice field is answered by pressing one.
    b.app.ctx.caps.set(Platform::Telegram, treecast_wire::Capabilities { buttons: true, ..Default::default() });
    let start = Inbound::text(
        tg.clone(),
        "7001",
        format!("/campaign fill {id}\n1：李华\n2：书记\n3：13800138000\n5：a@hnu.edu.cn"),
    );
    b.say(start).await;
    b.settle().await;
    let asked = b.to(&tg).last().unwrap().clone();
    assert!(asked.body.contains("第 7/8 项"), "the missing choice is asked: {}", asked.body);
    let pick = asked.buttons.iter().find(|bt| bt.label.contains("否")).expect("a button per choice");
    let treecast_wire::ButtonAction::Callback(data) = &pick.action else { panic!("{pick:?}") };
    let mut press = Inbound::text(tg.clone(), "7001", "");
    press.kind = treecast_wire::InboundKind::Button { data: data.clone() };
    b.say(press).await;
    b.settle().await;
    let next = b.to(&tg).last().unwrap().body.to_string();
    assert!(next.contains("第 8/8 项"), "{next}");
    b.say(Inbound::text(tg.clone(), "7001", "/skip")).await;
    b.settle().await;
    let org = b.tree.require("4143010533").unwrap();
    let s = store::submission(&b.tree.store, id, 0, org.id, 0).unwrap().expect("submitted from Telegram");
    assert_eq!(s.answers[6], Some(crate::conversation::Answer::Choice(1)));
}

#[tokio::test]
async fn a_form_per_person_is_done_for_the_org_once_each_official_has_filled_it() {
    let b = bed().await;
    let per_person = DEF.replacen("kind = \"form\"", "kind = \"form\"\nper = \"person\"", 1);
    let id = launched(&b, &per_person).await;
    let second = b.tree.add_person("周老师").unwrap();
    b.tree.add_identity(second.id, Platform::Console, "zhou").unwrap();
    b.tree.grant(second.id, &b.tree.require("4143010533").unwrap(), Role::Official).unwrap();
    let form = format!("/campaign fill {id}\n1：李华\n2：书记\n3：13800138000\n5：a@hnu.edu.cn\n7：A");
    assert!(b.ask(dm("hnu", &form)).await.contains("已提交"));
    b.settle().await;
    assert_eq!(counts(&b, id, "43")[0], (0, 0, 2), "one of two officials: not done yet");
    assert!(b.ask(dm("zhou", &form.replace("李华", "周敏"))).await.contains("已提交"));
    b.settle().await;
    assert_eq!(counts(&b, id, "43")[0], (1, 0, 1));
    let rows = status(&b, id, "43").forms(&b.app.ctx, 0).unwrap().rows;
    assert_eq!(rows.len(), 2, "one row per person: {rows:?}");
}
