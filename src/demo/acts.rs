//! The demo's acts from the national notice on, each one short step of the
//! story told through the gateway as the platforms would tell it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use treecast_wire::{Address, Inbound, InboundKind, Platform};

use super::{handle, last_msgref_to, last_notice, official_mail, step, ParentCode, SCHOOL_MAIL};
use crate::app::App;
use crate::error::Result;
use crate::features::surveys::Surveys;
use crate::gateway::Gateway;
use crate::notice::fanout::DeliveryState;
use crate::notice::Draft;
use crate::outbox::Stats;
use crate::tree::Tree;

pub(super) struct Show {
    pub app: App,
    pub tree: Tree,
    pub gw: Arc<Gateway>,
    pub surveys: Surveys,
    pub stats: Arc<Stats>,
    pub people: HashMap<&'static str, u64>,
    /// The Telegram group, Matrix room and mailing list of three 湖南大学 branches.
    pub bound: [Address; 3],
}

impl Show {
    pub async fn play(&self) -> Result<()> {
        let national = self.national_notice().await?;
        let hunan = self.email_notice(national).await?;
        self.replies(hunan).await?;
        self.acks(hunan).await?;
        self.status_and_reminder(hunan).await?;
        self.survey().await?;
        self.report_up().await?;
        self.morning_digest().await?;
        self.search().await?;
        self.topic().await?;
        self.showcase().await?;
        self.privacy().await?;
        self.interview().await?;
        self.leaderboard().await?;
        self.campaign().await?;
        self.modules_and_branding().await
    }

    fn delivered(&self) -> u64 {
        self.stats.delivered.load(Ordering::Relaxed)
    }

    /// Steps 3 and 4: a national notice to every branch, and its roll-up.
    async fn national_notice(&self) -> Result<u64> {
        step(3, "共青团中央学校部 posts a national notice: it fans out to every branch");
        let tree = &self.tree;
        let total = tree.channels_in(&tree.require("CN")?)?.len() as u64;
        let draft = Draft {
            issuer_code: "CN".into(),
            title: "关于开展“青春心向党”主题团日活动的通知".into(),
            body: "各省级团委学校部、各高校团委：\n请组织各团支部于本月内开展主题团日活动，并及时反馈开展情况。".into(),
            ack_required: true,
            ..Draft::default()
        };
        let national = tree.post(self.people["national"], draft, &self.app.ctx.rules())?;
        self.app.ctx.waker.wake();
        let t0 = Instant::now();
        let pb = crate::cli::progress(total, "fan-out");
        while !tree.store.active_notices()?.is_empty() {
            pb.set_position(self.delivered());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pb.finish_and_clear();
        let secs = t0.elapsed().as_secs_f64();
        println!("notice #{} delivered to {} chats in {secs:.1} s", national.id, self.delivered());
        step(4, "The national status roll-up (from counters, cheap at any size)");
        let st = tree.status(Some(self.people["national"]), national.id, None, 5)?;
        println!("{}", st.to_text(tree));
        Ok(national.id)
    }

    /// Step 5: the 湖南省 official posts by mail.
    async fn email_notice(&self, national: u64) -> Result<u64> {
        step(5, "The 湖南省 official emails a notice to notice+43@bot.example.test");
        let mut mail = official_mail("各高校团委、各团支部：\n请于11月30日前完成团员教育评议，并回复“收到”。");
        mail.subject = "关于开展团员教育评议的通知".into();
        mail.sent_to = Some("notice+43@bot.example.test".into());
        mail.message_id = "<post-1@example.test>".into();
        handle(&self.gw, &mail).await?;
        self.app.settle().await?;
        Ok(national.max(last_notice(&self.tree)?))
    }

    /// The platform message id of notice `n`'s copy in `addr`.
    fn copy(&self, n: u64, addr: &Address) -> Result<String> {
        let ch = self.tree.channel_by_address(addr)?.expect("bound above");
        let d = self.tree.store.delivery(n, ch.id)?.expect("delivered");
        Ok(match d.state {
            DeliveryState::Sent { message_ids, .. } => message_ids[0].clone(),
            other => panic!("not delivered: {other:?} (notice {n}, channel {})", ch.id),
        })
    }

    /// Step 6: a reply in the Telegram group reaches the official by mail; the answer comes back.
    async fn replies(&self, n: u64) -> Result<()> {
        step(6, "A student replies in the Telegram group; the official gets it privately by email and answers");
        let tg = &self.bound[0];
        let mut reply = Inbound::text(tg.clone(), "5001", "请问评议材料需要纸质版吗？");
        reply.sender.display_name = Some("李明".into());
        reply.message_id = "-1001001:77".into();
        reply.in_reply_to = Some(self.copy(n, tg)?);
        handle(&self.gw, &reply).await?;
        self.app.settle().await?;
        let mut answer = official_mail("电子版即可，发到学院团委邮箱。");
        answer.in_reply_to = Some(last_msgref_to(&self.tree, Platform::Email)?);
        handle(&self.gw, &answer).await?;
        self.app.settle().await
    }

    /// Step 7: acknowledgements by reaction and by a 收到 mail.
    async fn acks(&self, n: u64) -> Result<()> {
        step(7, "Branch B acknowledges with a ✅ reaction in Matrix; branch C replies 收到 by email");
        let [_, mx, list] = &self.bound;
        let mut react = Inbound::text(mx.clone(), "@student.b:localhost", "");
        react.kind = InboundKind::Reaction { key: "✅".into() };
        react.in_reply_to = Some(self.copy(n, mx)?);
        handle(&self.gw, &react).await?;
        let school = self.tree.require("4143010532-001")?.parent_code(&self.tree)?;
        let st = self.tree.status(Some(self.people["hunan"]), n, Some(&school), 3)?;
        println!("{}", st.to_text(&self.tree));
        let mut ack = Inbound::text(Address::direct(Platform::Email, "c1@example.test"), "c1@example.test", "收到");
        ack.in_reply_to = Some(self.copy(n, list)?);
        handle(&self.gw, &ack).await?;
        self.app.settle().await
    }

    /// Step 8: the status by mail, then a reminder to the rest.
    async fn status_and_reminder(&self, n: u64) -> Result<()> {
        step(8, "The official asks for the status of 湖南 by email, then reminds the rest");
        let mut ask = official_mail(format!("/status {n}"));
        ask.message_id = "<ask-1@example.test>".into();
        handle(&self.gw, &ask).await?;
        let before = self.delivered();
        let mut remind = official_mail(format!("/remind {n}"));
        remind.message_id = "<remind-1@example.test>".into();
        handle(&self.gw, &remind).await?;
        self.app.settle().await?;
        let reached = self.delivered() - before;
        println!("the reminder reached {reached} chats: every 湖南 chat except the 2 that acknowledged");
        Ok(())
    }

    /// Steps 9 and 10: a survey launched by mail, answered in two private chats, rolled up.
    async fn survey(&self) -> Result<()> {
        step(9, "The official launches a micro-survey (微调查) by email; two students answer in private chats");
        let mut launch = official_mail("/survey launch sixiang-dongtai 43");
        launch.message_id = "<survey-1@example.test>".into();
        handle(&self.gw, &launch).await?;
        self.app.settle().await?;
        let survey = self
            .surveys
            .all()?
            .pop()
            .ok_or_else(|| crate::Error::invalid(crate::catalogue::Msg::SurveyNotLaunched.text()))?;
        let start = format!("/start {}", survey.payload());
        // 李明 in his Telegram private chat; 赵敏 in her Matrix DM. Each answer is
        // typed the way people type: letters, 是/否, 、-separated choices, digits.
        let li = Address::direct(Platform::Telegram, "5001");
        let zhao = Address::direct(Platform::Matrix, "@student.b:localhost");
        let li_answers = [start.as_str(), "A", "是", "A、C", "4", "3", "/跳过", "多组织志愿服务活动"];
        let zhao_answers = [start.as_str(), "2", "否", "B", "0", "/skip", "希望活动时间更灵活"];
        for (chat, answers) in [(&li, &li_answers[..]), (&zhao, &zhao_answers[..])] {
            for (i, text) in answers.iter().enumerate() {
                let mut ev = Inbound::text(chat.clone(), &chat.id, *text);
                ev.message_id = format!("{}:{i}", chat.id);
                handle(&self.gw, &ev).await?;
            }
        }
        // Four classmates of 李明 answer too (console chats, silently): the
        // survey is anonymous, and results name a branch only where five
        // or more answered, so 李明's branch shows and 赵敏's merges into her school.
        let branch = self.tree.require("4143010532-001")?;
        for n in 1..=4 {
            let user = format!("classmate{n}");
            let p = self.tree.add_person(&format!("同学{n}"))?;
            self.tree.add_identity(p.id, Platform::Console, &user)?;
            self.tree.grant(p.id, &branch, crate::tree::people::Role::Member)?;
            let chat = Address::direct(Platform::Console, &user);
            let answers = [start.as_str(), "B", "是", "C", "5", "1", "/skip", "希望多开展实践活动"];
            for text in answers {
                handle(&self.gw, &Inbound::text(chat.clone(), &user, text)).await?;
            }
        }
        self.app.settle().await?;
        step(10, "Results roll up branch -> school -> province; the CSV export");
        let results = self.surveys.results(Some(self.people["hunan"]), survey.id)?;
        println!("{}", results.to_text(6));
        let csv = std::env::temp_dir().join(format!("treecast-demo-survey-{}.csv", std::process::id()));
        results.write_csv(&csv)?;
        let text = std::fs::read_to_string(&csv)?;
        let _ = std::fs::remove_file(&csv);
        for line in text.lines().take(1).chain(text.lines().filter(|l| l.contains("湖南大学")).take(4)) {
            println!("  {line}");
        }
        Ok(())
    }

    /// Step 11: a school reports upward by mail; the province reads it and answers in the thread.
    async fn report_up(&self) -> Result<()> {
        step(
            11,
            "湖南大学团委 mails a work report (工作信息报送) to report+43@; the 湖南省 official reads and answers it",
        );
        let mut report = Inbound::text(
            Address::direct(Platform::Email, SCHOOL_MAIL),
            SCHOOL_MAIL,
            "本周全校 64 个团支部完成团员教育评议，参评团员 2,310 人。",
        );
        report.subject = "湖南大学团委第47周工作信息".into();
        report.sent_to = Some("report+43@bot.example.test".into());
        report.message_id = "<report-1@example.test>".into();
        handle(&self.gw, &report).await?;
        self.app.settle().await?;
        let mut inbox = official_mail("/inbox");
        inbox.message_id = "<inbox-1@example.test>".into();
        handle(&self.gw, &inbox).await?;
        self.app.settle().await?;
        let mut answer = official_mail("收到，请把评议照片一并报来。");
        answer.in_reply_to = Some(super::last_msgref_of(&self.tree, Platform::Email, "mailbox")?);
        answer.message_id = "<answer-1@example.test>".into();
        handle(&self.gw, &answer).await?;
        self.app.settle().await?;
        let mut week = official_mail("/reports");
        week.message_id = "<reports-1@example.test>".into();
        handle(&self.gw, &week).await?;
        self.app.settle().await
    }

    /// Step 13: search, each asker within what they may see.
    async fn search(&self) -> Result<()> {
        step(
            13,
            "信息搜索: 李明 searches in his Telegram private chat (only what reached his branch); the official searches by mail, by pinyin initials too",
        );
        let li = Address::direct(Platform::Telegram, "5001");
        let mut ask = Inbound::text(li.clone(), &li.id, "/search 团日活动");
        ask.message_id = "5001:search".into();
        handle(&self.gw, &ask).await?;
        self.app.settle().await?;
        for (i, q) in ["/search 评议", "/搜索 hndx"].into_iter().enumerate() {
            let mut m = official_mail(q);
            m.message_id = format!("<search-{i}@example.test>");
            handle(&self.gw, &m).await?;
            self.app.settle().await?;
        }
        Ok(())
    }

    /// Step 14: a micro-topic opened by mail, posts from the Telegram group
    /// and the Matrix room, and the hot list in 李明's private chat.
    async fn topic(&self) -> Result<()> {
        step(14, "微话题: 湖南大学团委 opens #青春心连心# by mail; the Telegram group and the Matrix room post with the tag; 李明 asks for the hot list");
        let mut open = Inbound::text(
            Address::direct(Platform::Email, SCHOOL_MAIL),
            SCHOOL_MAIL,
            "/topic new #青春心连心# 晒晒你们班的主题团日活动",
        );
        open.message_id = "<topic-1@example.test>".into();
        handle(&self.gw, &open).await?;
        self.app.settle().await?;
        let [tg, mx, _] = &self.bound;
        let mut a = Inbound::text(tg.clone(), "5001", "我们班周五去敬老院了 #青春心连心#");
        a.message_id = "5001:topic".into();
        let mut b = Inbound::text(mx.clone(), "@student.b:localhost", "＃青春心连心＃ 我们班办了读书会");
        b.message_id = "$topic-b".into();
        for ev in [a, b] {
            handle(&self.gw, &ev).await?;
        }
        let li = Address::direct(Platform::Telegram, "5001");
        for (i, q) in ["/topics", "/topic #青春心连心#"].into_iter().enumerate() {
            let mut ask = Inbound::text(li.clone(), &li.id, q);
            ask.message_id = format!("5001:topics-{i}");
            handle(&self.gw, &ask).await?;
            self.app.settle().await?;
        }
        Ok(())
    }

    /// Step 15: a column of 湖南大学, a post from 李明 approved by mail, and
    /// 湖南省 featuring it down its subtree.
    async fn showcase(&self) -> Result<()> {
        step(15, "专栏与精彩展示: 湖南大学团委 opens a column; 李明 submits from Telegram; the school approves; 湖南省 features it for all 湖南");
        let school = |text: &str, id: &str| {
            let mut m = Inbound::text(Address::direct(Platform::Email, SCHOOL_MAIL), SCHOOL_MAIL, text);
            m.message_id = format!("<{id}@example.test>");
            m
        };
        handle(&self.gw, &school("/column new 团日风采 各班主题团日活动剪影", "column-1")).await?;
        let li = Address::direct(Platform::Telegram, "5001");
        let mut post =
            Inbound::text(li.clone(), &li.id, "/column post 团日风采 我们班周五去敬老院慰问老人，合影见附件。");
        post.message_id = "5001:column".into();
        post.attachments = vec![treecast_wire::Attachment {
            name: "团日合影.jpg".into(),
            content_type: "image/jpeg".into(),
            data: vec![0xFF; 2048],
        }];
        handle(&self.gw, &post).await?;
        self.app.settle().await?;
        let id = self.last_showcase_post()?;
        handle(&self.gw, &school(&format!("/column approve {id}"), "column-2")).await?;
        let mut feature = official_mail(format!("/feature {id} fanout"));
        feature.message_id = "<feature-1@example.test>".into();
        handle(&self.gw, &feature).await?;
        self.app.settle().await
    }

    /// The newest column post's id (the demo just submitted it).
    fn last_showcase_post(&self) -> Result<u64> {
        let mut last = 0;
        crate::features::showcase::store::each_post(self.app.ctx.store(), |p| {
            last = last.max(p.id);
            Ok(())
        })?;
        Ok(last)
    }

    /// Step 17: one round of a micro-interview: scheduled by mail, asked from
    /// Telegram (the button's deep link) and Matrix, moderated, voted for,
    /// answered by the guest by mail, published to 湖南大学's chats.
    async fn interview(&self) -> Result<()> {
        step(17, "微访谈: 湖南大学团委 schedules 湖南省's official as guest; students ask from Telegram and Matrix; the school approves; the guest answers by mail; the answers go out");
        let school = |text: String, id: &str| {
            let mut m = Inbound::text(Address::direct(Platform::Email, SCHOOL_MAIL), SCHOOL_MAIL, text);
            m.message_id = format!("<{id}@example.test>");
            m
        };
        let now = self.app.ctx.now();
        let at = |t: u64| crate::clock::show(t).replace(' ', "T");
        let new = format!(
            "/interview new email:{} {} {} 团学工作面对面\n省团委学校部老师在线回答同学们关于团学工作的问题。",
            super::OFFICIAL_MAIL,
            at(now.saturating_sub(60)),
            at(now + 3600)
        );
        handle(&self.gw, &school(new, "interview-1")).await?;
        self.app.settle().await?;
        // The interview just scheduled: the newest.
        let mut id = 0;
        crate::features::interviews::store::each_interview(self.app.ctx.store(), |iv| {
            id = id.max(iv.id);
            Ok(())
        })?;
        let li = Address::direct(Platform::Telegram, "5001");
        let b = Address::direct(Platform::Matrix, "@student.b:localhost");
        let says = [
            (li.clone(), format!("/start iv{id}")),
            (li.clone(), "团支部怎样组织好主题团日？".to_owned()),
            (b.clone(), format!("/ask {id} 推优入党的流程是怎样的？")),
        ];
        for (i, (to, text)) in says.into_iter().enumerate() {
            let mut ev = Inbound::text(to.clone(), &to.id, text);
            ev.message_id = format!("{}:interview-{i}", to.id);
            handle(&self.gw, &ev).await?;
            self.app.settle().await?;
        }
        let questions = crate::features::interviews::store::questions(self.app.ctx.store(), id)?;
        handle(&self.gw, &school(format!("/interview pending {id}"), "interview-2")).await?;
        for (i, q) in questions.iter().enumerate() {
            handle(&self.gw, &school(format!("/interview approve {}", q.id), &format!("interview-a{i}"))).await?;
        }
        let mut vote = Inbound::text(li.clone(), &li.id, format!("/vote {}", questions[1].id));
        vote.message_id = "5001:interview-vote".into();
        handle(&self.gw, &vote).await?;
        self.app.settle().await?;
        let answers = [
            "以班级实际为题，提前策划、全员参与、会后总结。",
            "按团章和学校规定，由团支部民主推荐，团委审核后报党组织。",
        ];
        let mut guest = official_mail(format!("/interview {id}"));
        guest.message_id = "<interview-g0@example.test>".into();
        handle(&self.gw, &guest).await?;
        for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
            let mut m = official_mail(format!("/answer {} {a}", q.id));
            m.message_id = format!("<interview-g{}@example.test>", i + 1);
            handle(&self.gw, &m).await?;
        }
        handle(&self.gw, &school(format!("/interview publish {id}"), "interview-3")).await?;
        self.app.settle().await
    }

    /// Step 18: the daily leaderboard run, brought forward, and 湖南's schools
    /// ranked for the 湖南 official.
    async fn leaderboard(&self) -> Result<()> {
        step(18, "活跃度排行榜: the daily run (03:00, brought forward); the 湖南 official asks for 湖南's schools (/rank 43)");
        let done = self.app.registry.admin(&self.app.ctx, "leaderboard.recompute", serde_json::json!({}))?;
        println!("  {}", done.text);
        let mut rank = official_mail("/rank 43");
        rank.message_id = "<rank-1@example.test>".into();
        handle(&self.gw, &rank).await?;
        self.app.settle().await
    }

    /// Step 19: the founding notice as a campaign for 湖南: two schools fill
    /// the 统计表 in chat (Telegram, Matrix), one by mail, one school's old Telegram
    /// group is imported (its bind step completes), a week later the rest
    /// are late and 湖南 hears; the compliance table and the XLSX export.
    async fn campaign(&self) -> Result<()> {
        step(19, "工作部署: 湖南 launches 高校团委微博建设; 中南大学 fills the 统计表 on Telegram, 湘潭大学 in Matrix, 湖南大学 by mail; 湖南科技大学's old group is imported; a week on, the late schools are escalated to 湖南; the compliance table and its XLSX");
        let mut launch = official_mail("/campaign launch weibo-jianshe @43");
        launch.message_id = "<campaign-1@example.test>".into();
        handle(&self.gw, &launch).await?;
        self.app.settle().await?;
        let id = crate::features::campaigns::store::campaigns(self.app.ctx.store())?.last().map(|c| c.id).unwrap_or(0);
        let csu = Address::direct(Platform::Telegram, "5002");
        let lines = "1. 负责人姓名：陈静\n2. 职务：团委副书记\n3. 手机号码：139 0731 0002\n4. 办公电话：0731-88870002\n5. 电子邮箱：chenjing@csu.edu.cn\n7. 是否已开通团委微博：B";
        for (i, text) in [format!("/start cf{id}"), lines.replace("139 0731 0002", "1390731000"), "13907310002".into()]
            .into_iter()
            .enumerate()
        {
            let mut ev = Inbound::text(csu.clone(), &csu.id, text);
            ev.message_id = format!("5002:campaign-{i}");
            handle(&self.gw, &ev).await?;
            self.app.settle().await?;
        }
        // /skip keeps what was given for the rest (QQ and the account name are optional).
        for i in 0..5 {
            if crate::features::campaigns::store::filling(self.app.ctx.store(), self.people["csu"])?.is_none() {
                break;
            }
            let mut ev = Inbound::text(csu.clone(), &csu.id, "/skip");
            ev.message_id = format!("5002:campaign-skip-{i}");
            handle(&self.gw, &ev).await?;
            self.app.settle().await?;
        }
        // 湘潭大学 in a Matrix DM, all at once.
        let xtu = Address::direct(Platform::Matrix, "@xtu.official:localhost");
        let lines = format!(
            "!campaign fill {id}\n1. 负责人姓名：周敏\n2. 职务：团委书记\n3. 手机号码：13907320003\n5. 电子邮箱：zhoumin@xtu.edu.cn\n7. 是否已开通团委微博：B"
        );
        let mut ev = Inbound::text(xtu.clone(), &xtu.id, lines);
        ev.message_id = "$campaign-xtu".into();
        handle(&self.gw, &ev).await?;
        let form = format!(
            "/campaign fill {id}\n1. 负责人姓名：刘洋\n2. 职务：团委书记\n3. 手机号码：13807310001\n5. 电子邮箱：liuyang@hnu.edu.cn\n6. QQ 号码：10001\n7. 是否已开通团委微博：A\n8. 已有微博账号名称：湖南大学团委"
        );
        let mut mail = Inbound::text(Address::direct(Platform::Email, SCHOOL_MAIL), SCHOOL_MAIL, form);
        mail.message_id = "<campaign-2@example.test>".into();
        handle(&self.gw, &mail).await?;
        let csv = "code,platform,chat,name\n4143010534,telegram,-1002002,湖南科技大学团委（原群）\n";
        let imported = self.app.registry.admin(
            &self.app.ctx,
            "org.import_channels",
            serde_json::json!({ "name": "旧账号.csv", "csv": csv }),
        )?;
        println!("  {}", imported.text);
        self.app.settle().await?;
        let c = crate::features::campaigns::store::campaign(self.app.ctx.store(), id)?;
        let Some(c) = c else { return Ok(()) };
        // A week on: the reminder went a day before the form's deadline; a minute after it, the escalation.
        let clock = &self.app.ctx.clock;
        clock.set(Some(c.dues[0] - 24 * 3600));
        self.app.run_due_jobs()?;
        clock.set(Some(c.dues[0] + 120));
        self.app.run_due_jobs()?;
        self.app.settle().await?;
        let mut status = official_mail(format!("/campaign status {id}"));
        status.message_id = "<campaign-3@example.test>".into();
        handle(&self.gw, &status).await?;
        self.app.settle().await?;
        let dir = tempfile::tempdir()?;
        let xlsx = dir.path().join("高校团委微博建设-统计表.xlsx");
        let args = serde_json::json!({ "id": id, "forms_xlsx": xlsx.display().to_string() });
        let reply = self.app.registry.admin(&self.app.ctx, "campaign.status", args)?;
        for f in &reply.files {
            f.write()?;
        }
        let size = std::fs::metadata(&xlsx).map(|m| m.len()).unwrap_or(0);
        println!(
            "  treecast campaign status {id} --forms-xlsx …: {} ({size} bytes, one row per 湖南 school)",
            xlsx.display()
        );
        clock.set(None);
        Ok(())
    }

    /// Step 20: 湖南大学 switches the leaderboard off for itself and is
    /// answered so when it asks; a new branch group bound with a code gets
    /// the emblem as its picture and the org's name, level and slogan.
    async fn modules_and_branding(&self) -> Result<()> {
        step(20, "功能模块与统一形象: 湖南大学 switches 排行榜 off (/modules off 排行榜) and /rank says who can turn it on; branch C (a mailing list so far) opens a Telegram group, binds it with a code and gets the League emblem and the slogan");
        for (i, text) in ["/modules off 排行榜", "/rank"].into_iter().enumerate() {
            let mut mail = Inbound::text(Address::direct(Platform::Email, SCHOOL_MAIL), SCHOOL_MAIL, text);
            mail.message_id = format!("<modules-{i}@example.test>");
            handle(&self.gw, &mail).await?;
            self.app.settle().await?;
        }
        // The branch's code, as `treecast org invite 4143010532-003` prints it.
        let invite =
            self.app.registry.admin(&self.app.ctx, "org.invite", serde_json::json!({"code": "4143010532-003"}))?;
        println!("  {}", invite.text);
        let code = invite.text.split("/bind ").nth(1).and_then(|t| t.split_whitespace().next()).unwrap_or_default();
        let group = Address::group(Platform::Telegram, super::NEW_GROUP);
        let mut bind = Inbound::text(group, "5004", format!("/bind {code}"));
        bind.message_id = format!("{}:1", super::NEW_GROUP);
        handle(&self.gw, &bind).await?;
        self.app.settle().await
    }

    /// Step 16: a student sees what treecast holds about them; the school's
    /// official reads the audit log.
    async fn privacy(&self) -> Result<()> {
        step(16, "隐私: 李明 asks what treecast holds about him (/mydata); 湖南大学团委 reads its audit log (/audit)");
        let li = Address::direct(Platform::Telegram, "5001");
        let mut mine = Inbound::text(li.clone(), &li.id, "/mydata");
        mine.message_id = "5001:mydata".into();
        handle(&self.gw, &mine).await?;
        let mut audit = Inbound::text(Address::direct(Platform::Email, SCHOOL_MAIL), SCHOOL_MAIL, "/audit");
        audit.message_id = "<audit-1@example.test>".into();
        handle(&self.gw, &audit).await?;
        self.app.settle().await
    }

    /// Step 12: the next morning's digest for the 湖南 official.
    async fn morning_digest(&self) -> Result<()> {
        step(12, "The next morning's daily digest (每日摘要, 08:30 China time; brought forward here): only officials with something waiting get one");
        crate::features::digest::bring_forward(&self.app.ctx)?;
        self.app.run_due_jobs()?;
        self.app.settle().await
    }
}
