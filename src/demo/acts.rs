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
        let pb = crate::progress::progress(total, "fan-out");
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
}
