//! The demo's later acts: the features past the notice pipeline (topics,
//! showcase, privacy, interviews, the leaderboard, a campaign, modules and
//! branding, the morning digest), each a step of `Show::play`.

use treecast_wire::{Address, Inbound, Platform};

use super::acts::Show;
use super::{handle, official_mail, step, SCHOOL_MAIL};
use crate::error::Result;

impl Show {
    /// Step 14: a micro-topic opened by mail, posts from the Telegram group
    /// and the Matrix room, and the hot list in 李明's private chat.
    pub(super) async fn topic(&self) -> Result<()> {
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
    pub(super) async fn showcase(&self) -> Result<()> {
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
    pub(super) async fn interview(&self) -> Result<()> {
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
    pub(super) async fn leaderboard(&self) -> Result<()> {
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
    pub(super) async fn campaign(&self) -> Result<()> {
        step(19, "工作部署: 湖南 launches 高校团委微博建设; 中南大学 fills the 统计表 on Telegram, 湘潭大学 in Matrix, 湖南大学 by mail; 湖南科技大学's old group is imported; a week on, the late schools are escalated to 湖南; the compliance table and its XLSX");
        let mut launch = official_mail("/campaign launch weibo-jianshe @43");
        launch.message_id = "<campaign-1@example.test>".into();
        handle(&self.gw, &launch).await?;
        self.app.settle().await?;
        let id = crate::features::campaigns::store::campaigns(self.app.ctx.store())?.last().map(|c| c.id).unwrap_or(0);
        self.campaign_forms(id).await?;
        let csv = "code,platform,chat,name\n4143010534,telegram,-1002002,湖南科技大学团委（原群）\n";
        let imported = self.app.registry.admin(
            &self.app.ctx,
            "org.import_channels",
            serde_json::json!({ "name": "旧账号.csv", "csv": csv }),
        )?;
        println!("  {}", imported.text);
        self.app.settle().await?;
        self.campaign_week_on(id).await
    }

    /// The 统计表 filled three ways: 中南大学 question by question on
    /// Telegram (a wrong phone number asked again, the optional rest
    /// skipped), 湘潭大学 all at once in a Matrix DM, 湖南大学 by mail.
    async fn campaign_forms(&self, id: u64) -> Result<()> {
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
        Ok(())
    }

    /// A week on: the reminder a day before the form's deadline, the
    /// escalation a minute after it; the compliance table and its XLSX.
    async fn campaign_week_on(&self, id: u64) -> Result<()> {
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
    pub(super) async fn modules_and_branding(&self) -> Result<()> {
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
    pub(super) async fn privacy(&self) -> Result<()> {
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
    pub(super) async fn morning_digest(&self) -> Result<()> {
        step(12, "The next morning's daily digest (每日摘要, 08:30 China time; brought forward here): only officials with something waiting get one");
        crate::features::digest::bring_forward(&self.app.ctx)?;
        self.app.run_due_jobs()?;
        self.app.settle().await
    }
}
