//! The story, one step per function, each checking what people see on the
//! real platforms (and the roll-ups the officials read).

use std::time::Duration;

use treecast::config::DEFAULT_FOOTER;
use treecast::features::services::store as services;
use treecast::notice::status::Status;
use treecast::tree::people::Role;
use treecast_matrix::matrix_sdk::RoomState;
use treecast_wire::Platform;

use super::mail::{self, Draft};
use super::poll;
use super::setup::*;
use super::telegram::text;

pub use super::setup::Scenario;

const NOTICE_BODY: &str =
    "各高校团委、各团支部：\n请于11月30日前完成团员教育评议，并回复“收到”。\n\n共青团湖南省委学校部";

/// The number after `marker` in `text` ("通知 #12" -> 12).
fn number_after(text: &str, marker: &str) -> u64 {
    let at = text.find(marker).unwrap_or_else(|| panic!("no {marker:?} in {text:?}")) + marker.len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

/// A reply as a mail client writes it: the answer above the quoted mail.
fn reply_text(answer: &str, to: &mail::Mail) -> String {
    format!("{answer}\n\n{}", to.quoted())
}

/// The official answers a mail from the bot as a mail client does: "Re:"
/// once, the mail quoted, In-Reply-To set. Returns the answer's Message-ID.
async fn official_answers(to: &mail::Mail, answer: &str) -> String {
    answers_as(OFFICIAL, to, answer).await
}

/// `from` answers a mail from the bot, as `official_answers`.
async fn answers_as(from: &str, to: &mail::Mail, answer: &str) -> String {
    let subject = match to.subject() {
        s if s.starts_with("Re:") => s.to_owned(),
        s => format!("Re: {s}"),
    };
    let text = reply_text(answer, to);
    mail::send(&Draft { from, to: BOT, subject: &subject, text: &text, in_reply_to: Some(&to.id()) }).await
}

impl Scenario {
    fn status(&self, focus: &str) -> Status {
        self.tree.status(Some(self.official), self.notice, Some(focus), 5).expect("status")
    }

    /// Posting by mail: the sender is not proven (Postfix strips incoming
    /// Authentication-Results and no DKIM milter runs), so the bot asks the
    /// mailbox owner to confirm by replying, and the official does.
    pub async fn official_posts_by_mail(&mut self) {
        self.step("1. the 湖南省 official mails a notice to notice+43@scenario.test");
        let title = format!("关于开展团员教育评议的通知（{}）", self.run % 100_000);
        let post = Draft { from: OFFICIAL, to: POST_TO_HUNAN, subject: &title, text: NOTICE_BODY, in_reply_to: None };
        let post = mail::send(&post).await;
        let ask =
            mail::wait_for(OFFICIAL_BOX, "the bot's request to confirm the post", |m| m.in_reply_to() == post).await;
        assert!(ask.text.contains("请直接回复本邮件以确认发布"), "{}", ask.text);
        assert_eq!(ask.subject(), format!("Re: {title}"));
        assert_eq!(self.console.delivered_count(), 0, "nothing goes out before the confirmation");

        self.step("   the official confirms by replying to the bot's mail");
        let yes = official_answers(&ask, "确认发布。").await;
        let done = mail::wait_for(OFFICIAL_BOX, "the bot's 'published' answer", |m| m.in_reply_to() == yes).await;
        assert!(done.text.contains("已发布") && done.text.contains(&title), "{}", done.text);
        self.notice = number_after(&done.text, "通知 #");
        self.title = title;
    }

    /// The copies in the Telegram group, the Matrix room and the list, with
    /// the footer; every other 湖南 branch got one, no branch outside did.
    pub async fn notice_lands_in_hunan_only(&mut self) {
        self.step("2. the notice reaches 湖南's branches: Telegram group A, Matrix room B, list C, the rest");
        let hunan = self.tree.require("43").unwrap();
        let me = &*self;
        let row = poll("the fan-out to every 湖南 channel", Duration::from_secs(60), || async move {
            let row = me.status("43").rows.remove(0);
            (row.delivered == row.channels).then_some(row)
        })
        .await;
        assert_eq!(row.failed, 0);

        let title = self.title.clone();
        let m = self.tg.wait_for(GROUP_A, "the notice in Telegram group A", |m| text(m).contains(&title)).await;
        for part in [DEFAULT_FOOTER, "完成团员教育评议", &format!("#{}", self.notice)] {
            assert!(text(&m).contains(part), "Telegram copy lacks {part:?}: {}", text(&m));
        }
        self.tg_notice = m["message_id"].as_i64().expect("a message id");

        let (event, body) =
            self.zhao.wait_for(&self.room_b, "the notice in Matrix room B", |b| b.contains(&title)).await;
        assert!(body.contains(DEFAULT_FOOTER) && body.contains("完成团员教育评议"), "Matrix copy: {body}");
        self.mx_notice = Some(event);

        for (i, member) in LIST_MEMBERS.iter().enumerate() {
            let m = mail::wait_for(member, "the notice on list C", |m| m.subject() == title).await;
            assert!(m.text.contains(DEFAULT_FOOTER) && m.text.contains("完成团员教育评议"), "list copy: {}", m.text);
            assert!(m.header("List-Id").contains("branch-c"), "list mail has a List-Id: {:?}", m.headers);
            if i == 0 {
                self.list_mail = m.id();
            }
        }

        let copies = self.console.delivered();
        for c in &copies {
            let org = self.tree.require(&c.to.id).unwrap();
            assert!(org.is_within(&hunan), "{} {} is outside 湖南 but got the notice", org.code, org.name);
            assert_eq!(c.footer.as_deref(), Some(DEFAULT_FOOTER));
            assert!(c.id.starts_with(&format!("n{}-", self.notice)), "only this notice went out: {}", c.id);
        }
        let console_in_hunan = self
            .tree
            .channels_in(&hunan)
            .unwrap()
            .iter()
            .filter(|(_, c)| c.address.platform == Platform::Console)
            .count();
        let chats: std::collections::HashSet<&str> = copies.iter().map(|c| c.to.id.as_str()).collect();
        assert_eq!((copies.len(), chats.len()), (console_in_hunan, console_in_hunan), "one copy per other 湖南 branch");
        assert_eq!(row.channels as usize, console_in_hunan + 3);
        eprintln!(
            "           {} 湖南 branches reached (3 real chats + {} console), none outside",
            row.channels,
            copies.len()
        );
    }

    /// A student's reply in the group reaches the official by mail; the
    /// official's answer by mail reaches the student in private.
    pub async fn student_reply_goes_back_and_forth(&mut self) {
        self.step("3. 李明 replies to the notice in the Telegram group");
        let question = "请问评议材料需要纸质版吗？";
        self.tg.say(LI, Some(GROUP_A), question, Some(self.tg_notice)).await;
        let relayed = mail::wait_for(OFFICIAL_BOX, "李明's reply by mail", |m| m.text.contains(question)).await;
        assert!(
            relayed.text.contains(LI.name) && relayed.subject().contains(&self.title),
            "{}\n{}",
            relayed.subject(),
            relayed.text
        );

        self.step("   the official answers by mail; 李明 gets it in his private chat");
        let answer = "电子版即可，发到学院团委邮箱。";
        official_answers(&relayed, answer).await;
        let got = self.tg.wait_for(LI.id, "the answer in 李明's private chat", |m| text(m).contains(answer)).await;
        assert!(text(&got).contains("张老师") && text(&got).contains(&self.title), "{}", text(&got));
        assert!(!text(&got).contains("写道"), "the quoted history is cut off: {}", text(&got));
        let group = self.tg.sent(GROUP_A).await;
        assert!(group.iter().all(|m| !text(m).contains(answer)), "the answer stays private");
    }

    /// Branch B acknowledges with a reaction, branch C with a mail.
    pub async fn acknowledgements_roll_up(&mut self) {
        self.step("4. 赵敏 reacts ✅ to the notice in Matrix room B");
        let event = self.mx_notice.clone().expect("the Matrix copy");
        self.zhao.react(&self.room_b, &event, "✅").await;
        let me = &*self;
        let st = poll("1 of 3 branches acknowledged", Duration::from_secs(30), || async move {
            let st = me.status(SCHOOL);
            (st.rows[0].acked == 1).then_some(st)
        })
        .await;
        assert_eq!((st.rows[0].delivered, st.rows[0].channels, st.rows[0].orgs), (3, 3, 3));
        let shown = st.to_text(&self.tree);
        eprintln!("{shown}");
        assert!(shown.contains("acknowledged 1/3"), "{shown}");
        let b = self.tree.ack_of(self.notice, self.branches[1].id).unwrap().expect("branch B acknowledged");
        assert_eq!(b.via, Platform::Matrix);

        self.step("   a member of list C replies 收到 to the list mail");
        let c1 = format!("{}@{}", LIST_MEMBERS[0], mail::DOMAIN);
        let copy =
            mail::inbox(LIST_MEMBERS[0]).await.into_iter().find(|m| m.id() == self.list_mail).expect("the list copy");
        let ack = Draft {
            from: &c1,
            to: BOT,
            subject: &format!("Re: {}", self.title),
            text: &reply_text("收到", &copy),
            in_reply_to: Some(&self.list_mail),
        };
        mail::send(&ack).await;
        let st = poll("2 of 3 branches acknowledged", Duration::from_secs(30), || async move {
            let st = me.status(SCHOOL);
            (st.rows[0].acked == 2).then_some(st)
        })
        .await;
        let shown = st.to_text(&self.tree);
        eprintln!("{shown}");
        assert!(shown.contains("acknowledged 2/3") && shown.contains(&self.branches[0].code), "{shown}");
        let c = self.tree.ack_of(self.notice, self.branches[2].id).unwrap().expect("branch C acknowledged");
        assert_eq!((c.via, c.by.as_str()), (Platform::Email, c1.as_str()));
        mail::wait_for(LIST_MEMBERS[0], "the bot's thanks for the acknowledgement", |m| m.text.contains("已确认收到"))
            .await;

        self.step("   the official asks for 湖南大学's status by mail");
        let ask = format!("/status {} {SCHOOL}", self.notice);
        let ask = mail::send(&Draft { from: OFFICIAL, to: BOT, subject: "查询", text: &ask, in_reply_to: None }).await;
        let answer = mail::wait_for(OFFICIAL_BOX, "the status by mail", |m| m.in_reply_to() == ask).await;
        assert!(answer.text.contains("delivered 3/3 · 已确认 acknowledged 2/3"), "{}", answer.text);
    }

    /// A survey launched by mail, answered in a Telegram private chat and a
    /// Matrix DM question by question, rolled up and exported.
    pub async fn survey_is_answered_and_exported(&mut self) {
        self.step("5. the official launches a micro-survey by mail: /survey launch");
        let cmd = format!("/survey launch {SURVEY_NAME} 43");
        let launch =
            mail::send(&Draft { from: OFFICIAL, to: BOT, subject: "微调查", text: &cmd, in_reply_to: None }).await;
        // A command mailed by an unproven sender runs only once confirmed.
        let ask =
            mail::wait_for(OFFICIAL_BOX, "the bot's request to confirm the launch", |m| m.in_reply_to() == launch)
                .await;
        assert!(ask.text.contains("请直接回复本邮件以确认") && ask.text.contains(&cmd), "{}", ask.text);
        assert!(self.surveys().all().unwrap().is_empty(), "nothing is launched before the confirmation");
        let yes = official_answers(&ask, "确认。").await;
        let launched = mail::wait_for(OFFICIAL_BOX, "the survey launch answer", |m| m.in_reply_to() == yes).await;
        let id = number_after(&launched.text, "微调查 #");
        let payload = format!("s{id}");

        // What students see: a deep link on Telegram, a `!start` hint on Matrix.
        let ann =
            self.tg.wait_for(GROUP_A, "the survey announcement on Telegram", |m| text(m).contains("【微调查】")).await;
        let link = ann["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().into_iter().flatten());
        let url: Vec<String> = link.filter_map(|b| b["url"].as_str().map(str::to_owned)).collect();
        assert!(url.iter().any(|u| u.ends_with(&format!("?start={payload}"))), "deep link to {payload}: {url:?}");
        let (_, body) =
            self.zhao.wait_for(&self.room_b, "the survey announcement on Matrix", |b| b.contains("【微调查】")).await;
        assert!(body.contains(&format!("!start {payload}")), "{body}");

        self.step("   李明 answers in his Telegram private chat");
        let start = format!("/start {payload}");
        for (say, expect) in
            [(start.as_str(), "第 1/3 题"), ("A", "第 2/3 题"), ("5", "第 3/3 题"), ("希望增加实践内容", "已提交")]
        {
            let seen = self.tg.sent(LI.id).await.len();
            self.tg.say(LI, None, say, None).await;
            let m = self.tg.next_after(LI.id, seen, &format!("the bot's answer to {say:?} on Telegram")).await;
            assert!(text(&m).contains(expect), "after {say:?} expected {expect:?}: {}", text(&m));
        }

        self.step("   赵敏 answers in a Matrix DM");
        let dm = self.zhao.create_dm(&self.bot_uid()).await;
        let (mx, dm_id) = (&self.mx, &dm);
        poll("the bot joins 赵敏's DM", Duration::from_secs(30), || async move {
            mx.client().get_room(dm_id).filter(|r| r.state() == RoomState::Joined)
        })
        .await;
        let start = format!("!start {payload}");
        for (i, (say, expect)) in
            [(start.as_str(), "第 1/3 题"), ("2", "第 2/3 题"), ("4分", "第 3/3 题"), ("!skip", "已提交")]
                .into_iter()
                .enumerate()
        {
            self.zhao.say(&dm, say).await;
            let got = self.zhao.nth(&dm, i, &format!("the bot's answer to {say:?} on Matrix")).await;
            assert!(got.contains(expect), "after {say:?} expected {expect:?}: {got}");
        }

        self.step("   results roll up under 湖南大学; the CSV export");
        let results = self.surveys().results(Some(self.official), id).expect("results");
        for code in [SCHOOL, "43"] {
            let r = results.org(code).expect("a row");
            assert_eq!((r.responses, r.members), (2, 2), "{code}");
        }
        let csv_path = std::env::temp_dir().join(format!("{}.csv", super::unique("treecast-scenario-")));
        results.write_csv(&csv_path).unwrap();
        let csv = std::fs::read_to_string(&csv_path).unwrap();
        let _ = std::fs::remove_file(&csv_path);
        eprintln!("{csv}");
        check_csv(&csv, &self.branches.iter().map(|b| b.code.clone()).collect::<Vec<_>>());
    }
}

impl Scenario {
    /// A school official reports upward by mail; the second province
    /// official reads it in Matrix and answers in the thread; the answer
    /// reaches the school by mail, threaded under the report.
    pub async fn school_reports_up_and_the_province_answers(&mut self) {
        self.step("6. 湖南大学团委's official mails a work report to report+43@scenario.test");
        let title = format!("湖南大学团委第47周工作信息（{}）", self.run % 100_000);
        let body = "本周全校团支部完成团员教育评议，参评团员 2,310 人。";
        let report =
            Draft { from: SCHOOL_OFFICIAL, to: REPORT_TO_HUNAN, subject: &title, text: body, in_reply_to: None };
        let report = mail::send(&report).await;
        // An unproven sender confirms by replying, as for a notice.
        let ask = mail::wait_for(SCHOOL_BOX, "the request to confirm the report", |m| m.in_reply_to() == report).await;
        assert!(ask.text.contains("的名义把《") && ask.text.contains("共青团湖南省委学校部（43）"), "{}", ask.text);
        let yes = answers_as(SCHOOL_OFFICIAL, &ask, "确认。").await;
        let sent = mail::wait_for(SCHOOL_BOX, "the bot's 'sent' answer", |m| m.in_reply_to() == yes).await;
        assert!(sent.text.contains("已把工作信息报送") && sent.text.contains("2 位团干部收到"), "{}", sent.text);

        self.step("   both 湖南省 officials get it: 张老师 by mail, 湘老师 in Matrix");
        let copy =
            mail::wait_for(OFFICIAL_BOX, "the report in 张老师's mailbox", |m| m.subject().contains(&title)).await;
        assert_eq!(copy.subject(), format!("[工作信息报送 Report] {title}"));
        let (event, got) =
            self.xiang.wait_for(&self.xiang_dm, "the report in 湘老师's DM", |b| b.contains(&title)).await;
        assert!(
            got.contains("湖南大学团委（4143010532） · 湖南大学团委 刘老师 发来工作信息报送") && got.contains(body),
            "{got}"
        );

        self.step("   湘老师 answers in the thread (a Matrix reply); it reaches the school by mail, threaded");
        let answer = "收到，请把评议照片一并报来。";
        self.xiang.reply(&self.xiang_dm, &event, answer).await;
        let back = mail::wait_for(SCHOOL_BOX, "the answer by mail", |m| m.text.contains(answer)).await;
        assert_eq!(back.subject(), format!("Re: {title}"));
        assert_eq!(back.in_reply_to(), report, "threaded under the school's own report mail");
        assert!(back.header("References").contains(&report), "References: {:?}", back.headers);
        assert!(back.text.contains("共青团湖南省委学校部（43） · 湖南省团委学校部 湘老师 发来答复"), "{}", back.text);

        // Read for the province, by 湘老师, whichever official looks.
        let hunan = self.tree.require("43").unwrap();
        let (unread, n) = treecast::features::mailbox::letters::unread(&self.tree.store, hunan.id, 5).unwrap();
        assert_eq!((n, unread.len()), (0, 0), "read for the whole org");
        let report_letter = treecast::features::mailbox::letters::recent(&self.tree.store, hunan.id, 5)
            .unwrap()
            .into_iter()
            .find(|l| l.title == title)
            .expect("the report in 湖南省's mailbox");
        let mark = treecast::features::mailbox::letters::read_mark(&self.tree.store, report_letter.id).unwrap();
        assert_eq!(mark.map(|m| m.name), Some("湖南省团委学校部 湘老师".to_owned()));
    }
}

impl Scenario {
    /// 湘老师 opens a micro-topic for 湖南 in Matrix; it is announced in the
    /// branches' chats; 李明 posts in the Telegram group (privacy mode off,
    /// as docs/topics.md asks) and 赵敏 in the Matrix room with the tag; the
    /// topic counts both branches.
    pub async fn a_topic_gathers_posts_from_telegram_and_matrix(&mut self) {
        self.step("7. 湘老师 opens #青春心连心# in Matrix; posts come from the Telegram group and the Matrix room");
        self.xiang.say(&self.xiang_dm, "!topic new #青春心连心# 晒晒你们班的主题团日活动").await;
        let (_, opened) =
            self.xiang.wait_for(&self.xiang_dm, "the answer to !topic new", |b| b.contains("已发起话题")).await;
        assert!(opened.contains("已发起话题 #青春心连心#（共青团湖南省委学校部"), "{opened}");
        self.tg.wait_for(GROUP_A, "the topic's announcement on Telegram", |m| text(m).contains("#青春心连心#")).await;
        self.zhao.wait_for(&self.room_b, "the topic's announcement on Matrix", |b| b.contains("#青春心连心#")).await;

        self.tg.say(LI, Some(GROUP_A), "我们班周五去敬老院了 #青春心连心#", None).await;
        self.zhao.say(&self.room_b, "＃青春心连心＃ 我们班办了读书会").await;
        let store = &self.tree.store;
        let topic = poll("both posts recorded", Duration::from_secs(30), || async move {
            let t = treecast::features::topics::store::with_tag(store, "青春心连心").unwrap().pop()?;
            let days = treecast::features::topics::store::days_from(store, t.id, 0).unwrap();
            (treecast::features::topics::view::standing(&days).branches == 2).then_some(t)
        })
        .await;
        let latest = treecast::features::topics::store::latest_posts(&self.tree.store, topic.id, 5).unwrap();
        let names: Vec<&str> = latest.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"李明") && names.contains(&"赵敏"), "{names:?}");

        self.xiang.say(&self.xiang_dm, "!topic #青春心连心#").await;
        let (_, view) = self.xiang.wait_for(&self.xiang_dm, "the answer to !topic", |b| b.contains("最新发言")).await;
        assert!(view.contains("共 2 个组织参与，2 条发言") && view.contains("我们班办了读书会"), "{view}");
    }
}

impl Scenario {
    /// 湘老师 schedules a micro-interview of 王老师 (on Matrix) for 湖南 in
    /// Matrix; 李明 asks through the button's deep link on Telegram; 湘老师
    /// approves; 王老师 answers in his Matrix DM; the answer goes out to the
    /// Telegram group and the Matrix room. Then a column post from 李明 on
    /// Telegram is approved and featured by 湖南, fanned out to both.
    pub async fn an_interview_and_a_featured_post(&mut self) {
        self.step("8. 微访谈: asked on Telegram, approved and answered in Matrix, published to both");
        let hs = std::env::var("TREECAST_TEST_MATRIX_URL").unwrap_or_else(|_| "http://127.0.0.1:8008".into());
        let pass = super::unique("pw");
        let uid = super::matrix::register(&hs, &format!("wang-{}", self.run), &pass, "王老师").await;
        let guest_id = self.tree.add_person("就业指导中心 王老师").unwrap().id;
        self.tree.add_identity(guest_id, Platform::Matrix, uid.as_str()).unwrap();
        let wang = super::matrix::User::login(&hs, &uid, &pass).await;
        let wang_dm = wang.create_dm(&self.bot_uid()).await;
        let (mx, dm) = (&self.mx, &wang_dm);
        poll("the bot joins 王老师's DM", Duration::from_secs(30), || async move {
            mx.client().get_room(dm).filter(|r| r.state() == RoomState::Joined)
        })
        .await;

        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let at = |t: u64| treecast::clock::show(t).replace(' ', "T");
        let new = format!("!interview new matrix:{uid} {} {} 就业季答疑\n欢迎同学们提问", at(now - 60), at(now + 3600));
        self.xiang.say(&self.xiang_dm, &new).await;
        let (_, made) =
            self.xiang.wait_for(&self.xiang_dm, "the answer to !interview new", |b| b.contains("已安排微访谈")).await;
        let id = number_after(&made, "已安排微访谈 #");
        self.tg.wait_for(GROUP_A, "the interview's announcement on Telegram", |m| text(m).contains("就业季答疑")).await;
        self.zhao.wait_for(&self.room_b, "the interview's announcement on Matrix", |b| b.contains("就业季答疑")).await;

        // The "提问 Ask" button opens the private chat with /start ivID.
        let seen = self.tg.sent(LI.id).await.len();
        self.tg.say(LI, None, &format!("/start iv{id}"), None).await;
        let lead = self.tg.next_after(LI.id, seen, "the bot asking for the question").await;
        assert!(text(&lead).contains("请发送你的问题"), "{}", text(&lead));
        self.tg.say(LI, None, "考研还是直接工作，怎么选？", None).await;
        let asked = self.tg.next_after(LI.id, seen + 1, "the question's receipt").await;
        let q = number_after(text(&asked), "已提交问题 #");

        self.xiang.say(&self.xiang_dm, &format!("!interview approve {q}")).await;
        self.xiang.wait_for(&self.xiang_dm, "the approval", |b| b.contains(&format!("问题 #{q} 已通过"))).await;
        wang.say(&wang_dm, &format!("!answer {q} 先想清楚自己想做什么研究，再决定。")).await;
        let (_, done) = wang.wait_for(&wang_dm, "the guest's receipt", |b| b.contains("已回答问题")).await;
        assert!(done.contains(&format!("已回答问题 #{q}")), "{done}");
        self.xiang.say(&self.xiang_dm, &format!("!interview publish {id}")).await;
        self.xiang.wait_for(&self.xiang_dm, "the publication", |b| b.contains("分 1 条发给听众")).await;
        let tg = self.tg.wait_for(GROUP_A, "the answers on Telegram", |m| text(m).contains("第 1 批回答")).await;
        assert!(text(&tg).contains("先想清楚") && text(&tg).contains("匿名") && !text(&tg).contains("李明"));
        let (_, mx_batch) =
            self.zhao.wait_for(&self.room_b, "the answers on Matrix", |b| b.contains("第 1 批回答")).await;
        assert!(mx_batch.contains("考研还是直接工作") && mx_batch.contains("先想清楚"), "{mx_batch}");

        self.step("   a column post from Telegram, approved and featured by 湖南 down to both");
        self.xiang.say(&self.xiang_dm, &format!("!column new @{SCHOOL} 团日风采 各班主题团日活动")).await;
        self.xiang.wait_for(&self.xiang_dm, "the column", |b| b.contains("已创建专栏“团日风采”")).await;
        let seen = self.tg.sent(LI.id).await.len();
        self.tg.say(LI, None, "/column post 团日风采 我们班周五去敬老院慰问老人", None).await;
        let sub = self.tg.next_after(LI.id, seen, "the submission's receipt").await;
        let post = number_after(text(&sub), "已投稿 #");
        self.xiang.say(&self.xiang_dm, &format!("!column approve {post}")).await;
        self.xiang.wait_for(&self.xiang_dm, "the post's approval", |b| b.contains(&format!("#{post} 已通过"))).await;
        self.xiang.say(&self.xiang_dm, &format!("!feature {post} fanout")).await;
        let (_, featured) = self.xiang.wait_for(&self.xiang_dm, "the featuring", |b| b.contains("的精彩展示")).await;
        assert!(featured.contains("已作为通知"), "{featured}");
        let tg = self.tg.wait_for(GROUP_A, "the featured post on Telegram", |m| text(m).contains("【精彩展示】")).await;
        assert!(text(&tg).contains("敬老院") && text(&tg).contains("来自"), "{}", text(&tg));
        self.zhao.wait_for(&self.room_b, "the featured post on Matrix", |b| b.contains("【精彩展示】")).await;
    }
}

impl Scenario {
    /// 湘老师's command in his Matrix DM, and the bot's first answer to it
    /// holding `marker` (what the bot said instead, if it never comes).
    pub async fn xiang_asks(&self, cmd: &str, marker: &str) -> String {
        let dm = &self.xiang_dm;
        let seen = self.xiang.seen(dm).len();
        self.xiang.say(dm, cmd).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let new: Vec<String> = self.xiang.seen(dm).into_iter().skip(seen).map(|(_, b)| b).collect();
            if let Some(b) = new.iter().find(|b| b.contains(marker)) {
                return b.clone();
            }
            assert!(std::time::Instant::now() < deadline, "no {marker:?} in the answer to {cmd:?}: {new:#?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// 湘老师 launches a campaign (工作部署) for 湖南's schools in Matrix;
    /// 中南大学's official fills its form in his Telegram private chat one
    /// field at a time, 湖南大学's by mail (the blank form mailed to him,
    /// answered in the reply); 湘老师 reads the compliance table in Matrix.
    pub async fn a_campaign_form_is_filled_in_telegram_and_by_mail_and_followed_in_matrix(&mut self) {
        self.step("9. 工作部署: 湘老师 launches a campaign for 湖南's schools in Matrix");
        let hunan = self.tree.require("43").unwrap();
        let schools = self.tree.subtree(&hunan).map(Result::unwrap).filter(|o| o.level == 2).count();
        let launched = self.xiang_asks(&format!("!campaign launch {CAMPAIGN_NAME} @43"), "已发起工作部署 #").await;
        let id = number_after(&launched, "已发起工作部署 #");
        let scope = format!("（共青团湖南省委学校部，{schools} 个单位）");
        assert!(launched.contains(CAMPAIGN_TITLE) && launched.contains(&scope), "{launched}");
        let c = treecast::features::campaigns::store::campaign(&self.tree.store, id).unwrap().expect("stored");
        let due = |i: usize| treecast::clock::show(c.dues[i]);

        self.step("   中南大学's official fills the form in his Telegram private chat, one field at a time");
        let start = format!("/start cf{id}");
        for (say, expect) in [
            (start.as_str(), "第 1/4 项"),
            ("钱伟", "第 2/4 项"),
            ("12345", "请输入 11 位手机号码"),
            ("139 0000 1111", "第 3/4 项"),
            ("qian@csu.edu.cn", "第 4/4 项"),
            ("B", "已提交"),
        ] {
            let seen = self.tg.sent(QIAN.id).await.len();
            self.tg.say(QIAN, None, say, None).await;
            let m = self.tg.next_after(QIAN.id, seen, &format!("the bot's answer to {say:?} on Telegram")).await;
            let got = text(&m);
            assert!(got.contains(expect), "after {say:?} expected {expect:?}: {got}");
            match say {
                s if s == start => {
                    let lead = format!("——中南大学团委（截止 {}）", due(0));
                    assert!(got.contains(CAMPAIGN_FORM) && got.contains(&lead), "{got}");
                }
                "12345" => assert!(!got.contains("第 3/4 项"), "a wrong mobile does not move on: {got}"),
                "B" => {
                    let saved = [CAMPAIGN_FORM, "（中南大学团委）", "13900001111"];
                    assert!(got.contains("已提交") && saved.iter().all(|p| got.contains(p)), "{got}");
                }
                _ => {}
            }
        }

        self.step("   湖南大学's official asks for the form by mail, confirms, and answers the form mail");
        let cmd = format!("/campaign fill {id}");
        let fill =
            mail::send(&Draft { from: SCHOOL_OFFICIAL, to: BOT, subject: "填表", text: &cmd, in_reply_to: None }).await;
        // A command mailed by an unproven sender runs only once confirmed.
        let ask =
            mail::wait_for(SCHOOL_BOX, "the request to confirm /campaign fill", |m| m.in_reply_to() == fill).await;
        assert!(ask.text.contains("请直接回复本邮件以确认") && ask.text.contains(&cmd), "{}", ask.text);
        let yes = answers_as(SCHOOL_OFFICIAL, &ask, "确认。").await;
        let form = mail::wait_for(SCHOOL_BOX, "the blank form by mail", |m| m.in_reply_to() == yes).await;
        let head = format!("——湖南大学团委，截止 {}。请直接回复本邮件", due(0));
        for part in [
            CAMPAIGN_FORM,
            head.as_str(),
            "\n1. 负责人姓名：\n",
            "\n2. 手机号码：\n",
            "\n4. 是否已开通团委微博：\n",
            "（A. 已开通  B. 尚未开通）",
        ] {
            assert!(form.text.contains(part), "the form mail lacks {part:?}: {}", form.text);
        }
        let filled = "1. 负责人姓名：刘洋\n2. 手机号码：138 0013 8000\n3. 电子邮箱：liuyang@hnu.edu.cn\n4. 是否已开通团委微博：A";
        let reply = answers_as(SCHOOL_OFFICIAL, &form, filled).await;
        let done = mail::wait_for(SCHOOL_BOX, "the answer to the filled form", |m| m.in_reply_to() == reply).await;
        let saved = [CAMPAIGN_FORM, "（湖南大学团委）", "13800138000"];
        assert!(done.text.contains("已提交") && saved.iter().all(|p| done.text.contains(p)), "{}", done.text);

        self.step("   湘老师 reads the compliance table in Matrix: the form done by both schools");
        let store = &self.tree.store;
        poll("both forms counted done", Duration::from_secs(30), || async move {
            let done = treecast::features::campaigns::store::done(store, id).unwrap();
            (done.iter().filter(|(step, _, _)| *step == 0).count() == 2).then_some(())
        })
        .await;
        let table = self.xiang_asks(&format!("!campaign status {id}"), &format!("【工作部署 #{id}】")).await;
        eprintln!("{}", table.lines().take(12).collect::<Vec<_>>().join("\n"));
        let open = schools - 2;
        for part in [
            format!("【工作部署 #{id}】"),
            CAMPAIGN_TITLE.to_owned(),
            format!("共青团湖南省委学校部 完成情况：{schools} 个单位"),
            format!("1. {CAMPAIGN_FORM}（截止 due {}）：完成 done 2，逾期 late 0，未到期 open {open}", due(0)),
            format!("2. 绑定团委群聊（截止 due {}）：完成 done 0，逾期 late 0，未到期 open {schools}", due(1)),
            format!("3. 设置统一头像和简介（截止 due {}）：完成 done 0，逾期 late 0，未到期 open {schools}", due(2)),
            format!("· {SCHOOL} 湖南大学团委：✓ | … | …"),
            format!("· {CSU} 中南大学团委：✓ | … | …"),
            "· 4143010534 湖南科技大学团委：… | … | …".to_owned(),
        ] {
            assert!(table.contains(&part), "the table lacks {part:?}:\n{table}");
        }
        assert!(!table.contains("逾期未完成"), "nothing is late yet: {table}");
    }
}

impl Scenario {
    /// 资讯服务: 湘老师 opens 就业招聘 for 湖南 in Matrix; 李明 subscribes in
    /// his Telegram private chat and 周婷, a student of branch C, by mail
    /// (`subscribe+ID@`, confirmed by replying: double opt-in); the item
    /// 湘老师 publishes reaches both privately, the mail with the service in
    /// its subject and her own `List-Unsubscribe`.
    pub async fn a_student_subscribes_in_telegram_and_by_mail_and_receives_an_item(&mut self) {
        self.step("10. 资讯服务: 湘老师 opens 就业招聘 for 湖南 in Matrix");
        let hunan = self.tree.require("43").unwrap();
        let opened =
            self.xiang_asks(&format!("!service new @43 {SERVICE}\n发布实习和招聘信息"), "已开设资讯服务").await;
        let id = number_after(&opened, "，#");
        let domain = BOT.split_once('@').expect("the bot's address").1;
        let head = format!("已开设资讯服务“{SERVICE}”（{}，#{id}）", hunan.name);
        assert!(opened.contains(&head) && opened.contains(&format!("/start svc{id}")), "{opened}");

        self.step("   李明 subscribes in his Telegram private chat");
        let seen = self.tg.sent(LI.id).await.len();
        self.tg.say(LI, None, &format!("/subscribe {SERVICE}"), None).await;
        let joined = self.tg.next_after(LI.id, seen, "the answer to /subscribe on Telegram").await;
        let done = format!("已订阅“{SERVICE}”（{}）", hunan.name);
        assert!(text(&joined).contains(&done), "{}", text(&joined));

        // Registered only now: a third member of 湖南大学's branches would
        // have changed the survey's member counts above.
        self.step("   周婷 of branch C mails subscribe+ID@, and confirms by replying to the bot's mail");
        let zhou = self.tree.add_person(STUDENT_NAME).unwrap().id;
        self.tree.add_identity(zhou, Platform::Email, STUDENT).unwrap();
        self.tree.grant(zhou, &self.branches[2], Role::Member).unwrap();
        // The peer delivers subscribe@ and unsubscribe@scenario.test to the
        // bot's mailbox only with them in its alias table (peers/email/virtual).
        let to = format!("subscribe+{id}@{domain}");
        let ask = Draft { from: STUDENT, to: &to, subject: "订阅", text: "请帮我订阅。", in_reply_to: None };
        let ask = mail::send(&ask).await;
        let confirm =
            mail::wait_for(STUDENT_BOX, "the request to confirm the subscription", |m| m.in_reply_to() == ask).await;
        let please = format!("请直接回复本邮件，确认订阅“{SERVICE}”（{}）", hunan.name);
        assert!(confirm.text.contains(&please), "{}", confirm.text);
        let store = &self.tree.store;
        assert!(services::sub(store, id, zhou).unwrap().is_none(), "not subscribed before the reply");
        let yes = answers_as(STUDENT, &confirm, "确认订阅。").await;
        let joined =
            mail::wait_for(STUDENT_BOX, "the answer to the confirming reply", |m| m.in_reply_to() == yes).await;
        assert!(joined.text.contains(&done), "{}", joined.text);
        let sub = services::sub(store, id, zhou).unwrap().expect("subscribed after the reply");

        self.step("   湘老师 publishes an item; it reaches 李明 on Telegram and 周婷 by mail");
        let (first, more) = ("华为校园招聘宣讲会：12月3日 19:00", "地点：学术报告厅，欢迎各专业同学参加。");
        let published = self.xiang_asks(&format!("!publish {SERVICE}\n{first}\n{more}"), "已发布到").await;
        let going = format!("已发布到“{SERVICE}”");
        assert!(published.contains(&going) && published.contains("正发给 2 位订阅者"), "{published}");
        let tg = self.tg.wait_for(LI.id, "the item in 李明's private chat", |m| text(m).contains(first)).await;
        let got = text(&tg);
        let lead = format!("【{SERVICE}】{}\n{first}\n{more}", hunan.name);
        assert!(got.starts_with(&lead) && got.contains(&format!("/unsubscribe {SERVICE}")), "{got}");
        let subject = format!("【{SERVICE}】{first}");
        let item = mail::wait_for(STUDENT_BOX, "the item by mail", |m| m.subject() == subject).await;
        assert!(item.text.contains(first) && item.text.contains(more), "{}", item.text);
        let unsubscribe = item.header("List-Unsubscribe");
        assert!(unsubscribe.contains(&format!("<mailto:unsubscribe+{}@{domain}>", sub.token)), "{:?}", item.headers);
        let group = self.tg.sent(GROUP_A).await;
        assert!(group.iter().all(|m| !text(m).contains(first)), "the item goes to subscribers only");
    }
}

impl Scenario {
    /// 李明 on Telegram, 赵敏 in Matrix and 刘老师 by mail each see what
    /// treecast holds about them and have it deleted; afterwards their
    /// accounts match nobody, while the branch's acknowledgement stands.
    pub async fn people_see_and_delete_their_data(&mut self) {
        self.step("12. /mydata and /forget: 李明 on Telegram");
        let li_id = LI.id.to_string();
        for (say, expect) in [
            ("/mydata", format!("telegram:{li_id}")),
            ("/forget", "/forget 确认".to_owned()),
            ("/forget 确认", "你的个人信息已删除".to_owned()),
            ("/whoami", "尚未登记".to_owned()),
        ] {
            let seen = self.tg.sent(LI.id).await.len();
            self.tg.say(LI, None, say, None).await;
            let m = self.tg.next_after(LI.id, seen, &format!("the bot's answer to {say:?} on Telegram")).await;
            assert!(text(&m).contains(&expect), "after {say:?} expected {expect:?}: {}", text(&m));
            if say == "/mydata" {
                assert!(text(&m).contains("李明") && text(&m).contains("团支部"), "{}", text(&m));
            }
        }
        assert!(self.tree.person_by_identity(Platform::Telegram, &li_id).unwrap().is_none());

        self.step("   赵敏 in a Matrix DM");
        let zhao_id = self.zhao.client.user_id().expect("logged in").to_string();
        let dm = self.zhao.create_dm(&self.bot_uid()).await;
        let (mx, dm_id) = (&self.mx, &dm);
        poll("the bot joins 赵敏's new DM", Duration::from_secs(30), || async move {
            mx.client().get_room(dm_id).filter(|r| r.state() == RoomState::Joined)
        })
        .await;
        for (i, (say, expect)) in
            [("!mydata", zhao_id.as_str()), ("!forget", "/forget 确认"), ("!forget 确认", "你的个人信息已删除")]
                .into_iter()
                .enumerate()
        {
            self.zhao.say(&dm, say).await;
            let got = self.zhao.nth(&dm, i, &format!("the bot's answer to {say:?} on Matrix")).await;
            assert!(got.contains(expect), "after {say:?} expected {expect:?}: {got}");
        }
        assert!(self.tree.person_by_identity(Platform::Matrix, &zhao_id).unwrap().is_none());

        self.step("   刘老师 by mail: /mydata at once, /forget after the confirmation reply");
        let asked = mail::send(&Draft {
            from: SCHOOL_OFFICIAL,
            to: BOT,
            subject: "我的信息",
            text: "/mydata",
            in_reply_to: None,
        })
        .await;
        let mine = mail::wait_for(SCHOOL_BOX, "the /mydata answer by mail", |m| m.in_reply_to() == asked).await;
        assert!(
            mine.text.contains(&format!("email:{SCHOOL_OFFICIAL}")) && mine.text.contains("湖南大学团委"),
            "{}",
            mine.text
        );
        let forget = mail::send(&Draft {
            from: SCHOOL_OFFICIAL,
            to: BOT,
            subject: "删除",
            text: "/forget 确认",
            in_reply_to: None,
        })
        .await;
        let ask = mail::wait_for(SCHOOL_BOX, "the request to confirm /forget", |m| m.in_reply_to() == forget).await;
        assert!(self.tree.person_by_identity(Platform::Email, SCHOOL_OFFICIAL).unwrap().is_some(), "not before");
        let yes = answers_as(SCHOOL_OFFICIAL, &ask, "确认。").await;
        let done = mail::wait_for(SCHOOL_BOX, "the /forget answer by mail", |m| m.in_reply_to() == yes).await;
        assert!(done.text.contains("你的个人信息已删除"), "{}", done.text);
        assert!(self.tree.person_by_identity(Platform::Email, SCHOOL_OFFICIAL).unwrap().is_none());

        // The branches' acknowledgements made earlier still count.
        let shown = self.status(SCHOOL).to_text(&self.tree);
        assert!(shown.contains("acknowledged 2/3"), "{shown}");
    }
}

/// Two rows, each under 湖南省 / 湖南大学 and its own branch, with its answers.
fn check_csv(csv: &str, branches: &[String]) {
    let mut r = ::csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {head:?}"));
    let rows: Vec<Vec<String>> = r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let (q1, q2, q3) = (head.len() - 3, head.len() - 2, head.len() - 1);
    let expect =
        [("李明", &branches[0], "A. 已完成", "5", "希望增加实践内容"), ("赵敏", &branches[1], "B. 未完成", "4", "")];
    for (name, branch, a1, a2, a3) in expect {
        let row = rows.iter().find(|r| r[col("name")] == name).unwrap_or_else(|| panic!("no row for {name}: {csv}"));
        assert_eq!(row[col("province_code")], "43");
        assert_eq!(row[col("school_code")], SCHOOL);
        assert_eq!(row[col("school_name")], "湖南大学团委");
        assert_eq!(&row[col("branch_code")], branch);
        assert_eq!((row[q1].as_str(), row[q2].as_str(), row[q3].as_str()), (a1, a2, a3), "{name}'s answers");
    }
}
