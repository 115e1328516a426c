//! Org mailboxes end to end through the gateway, the outbox and the
//! recording adapter: a school's report reaching the province's officials
//! on two platforms, an answer threading back, read state shared by an
//! org's officials, forwarding, the week's roll-up, mail, and bad input.

use treecast_wire::{Address, Attachment, Inbound, Outbound, OutboundKind, Platform};

use super::letters;
use crate::notice::tests::{bed, Bed};
use crate::tree::people::Role;

/// A private chat message with a message id, as adapters hand it over.
fn dm(platform: Platform, user: &str, text: &str) -> Inbound {
    let mut ev = Inbound::text(Address::direct(platform, user), user, text);
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    ev.message_id = format!("in-{}", SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    ev
}

/// The bed with a second province official, 湘 on Matrix.
async fn bed_two_officials() -> Bed {
    let b = bed().await;
    let p = b.tree.add_person("湘").unwrap();
    b.tree.add_identity(p.id, Platform::Matrix, "@xiang:hn.example").unwrap();
    b.tree.grant(p.id, &b.tree.require("43").unwrap(), Role::Official).unwrap();
    b
}

fn private_to(b: &Bed, to: &Address) -> Vec<Outbound> {
    b.to(to).into_iter().filter(|m| m.kind == OutboundKind::Private).collect()
}

/// The bot's last answer in a private chat, once the outbox has sent everything.
async fn answer(b: &Bed, to: &Address) -> String {
    b.settle().await;
    b.to(to)
        .into_iter()
        .filter(|m| m.kind == OutboundKind::Reply)
        .last()
        .map(|m| m.body.to_string())
        .unwrap_or_default()
}

fn hunan() -> Address {
    Address::direct(Platform::Email, "hunan@tw.example")
}

fn xiang() -> Address {
    Address::direct(Platform::Matrix, "@xiang:hn.example")
}

fn letter_count(b: &Bed) -> usize {
    b.tree.store.tree(crate::store::Keyspace::Named("mailbox.letters")).unwrap().len()
}

#[tokio::test]
async fn a_school_report_reaches_both_province_officials_and_the_answer_threads_back() {
    let b = bed_two_officials().await;
    let report = dm(Platform::Console, "hnu", "/report 第一季度工作总结\n本季度共开展主题团日活动 12 次。");
    let report_id = report.message_id.clone();
    b.say(report).await;
    b.settle().await;
    let said = answer(&b, &Bed::dm("hnu")).await;
    assert!(said.contains("已把工作信息报送《第一季度工作总结》") && said.contains("2 位团干部收到"), "{said}");
    assert!(said.contains("Sent the work report"), "{said}");

    // Both officials of 湖南省, one by mail and one on Matrix.
    for to in [hunan(), xiang()] {
        let got = private_to(&b, &to);
        assert_eq!(got.len(), 1, "{to:?}: {got:?}");
        let m = &got[0];
        assert_eq!(m.title.as_deref(), Some("[工作信息报送 Report] 第一季度工作总结"));
        assert!(m.body.contains("湖南大学团委（4143010533） · hnu 发来工作信息报送"), "{}", m.body);
        assert!(m.body.contains("本季度共开展主题团日活动 12 次。"), "{}", m.body);
        assert!(m.body.contains("以 共青团湖南省委学校部（43） 的名义答复"), "{}", m.body);
    }

    // Unread for the org, for both officials.
    b.say(dm(Platform::Email, "hunan@tw.example", "/inbox")).await;
    let inbox = answer(&b, &hunan()).await;
    assert!(
        inbox.contains("未读 1 封") && inbox.contains("第一季度工作总结（") && inbox.contains("（未读 unread）"),
        "{inbox}"
    );

    // 湘 answers on Matrix by replying to his copy.
    let copy = &private_to(&b, &xiang())[0];
    let mut reply = dm(Platform::Matrix, "@xiang:hn.example", "收到，请补充活动照片。");
    reply.in_reply_to = Some(b.chat.message_ids(&copy.id).unwrap()[0].clone());
    b.say(reply).await;
    b.settle().await;
    assert!(answer(&b, &xiang()).await.contains("已把答复《Re: 第一季度工作总结》"), "{}", answer(&b, &xiang()).await);

    // The answer reaches the school's official, threaded under their own message.
    let back = private_to(&b, &Bed::dm("hnu"));
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].title.as_deref(), Some("Re: 第一季度工作总结"));
    assert_eq!(back[0].in_reply_to.as_deref(), Some(report_id.as_str()));
    assert!(back[0].body.contains("共青团湖南省委学校部（43） · 湘 发来答复"), "{}", back[0].body);
    assert!(back[0].body.contains("收到，请补充活动照片。"));

    // Read for the whole org now, by 湘; the other official sees who.
    b.say(dm(Platform::Email, "hunan@tw.example", "/inbox")).await;
    let inbox = answer(&b, &hunan()).await;
    assert!(inbox.contains("未读 0 封") && inbox.contains("（湘 已读 read"), "{inbox}");

    // The school answers the answer by replying: the thread goes on, to both officials.
    let mut again = dm(Platform::Console, "hnu", "照片已补充。");
    again.in_reply_to = Some(b.chat.message_ids(&back[0].id).unwrap()[0].clone());
    b.say(again).await;
    b.settle().await;
    assert_eq!(private_to(&b, &hunan()).len(), 2);
    b.say(dm(Platform::Email, "hunan@tw.example", "/inbox")).await;
    assert!(answer(&b, &hunan()).await.contains("未读 1 封"), "the school's second answer is unread again");
    b.stop().await;
}

#[tokio::test]
async fn read_shows_the_whole_thread_and_marks_it_read_by_name() {
    let b = bed_two_officials().await;
    b.say(dm(Platform::Console, "hnu", "/msg 43 请问表彰名额何时下达？")).await;
    b.settle().await;
    let copy = &private_to(&b, &hunan())[0];
    let id = copy.body.split("（#").nth(1).and_then(|s| s.split('）').next()).unwrap().to_owned();
    b.say(dm(Platform::Matrix, "@xiang:hn.example", &format!("/read {id}"))).await;
    let shown = answer(&b, &xiang()).await;
    assert!(shown.contains(&format!("往来 #{id}《请问表彰名额何时下达？》")), "{shown}");
    assert!(shown.contains("私信 message · 湖南大学团委（4143010533） · hnu"), "{shown}");
    assert!(shown.contains("（湘 已读 read"), "marked read as it is shown: {shown}");
    b.say(dm(Platform::Email, "hunan@tw.example", "/inbox")).await;
    assert!(answer(&b, &hunan()).await.contains("未读 0 封"), "{}", answer(&b, &hunan()).await);
    // Another school's official sees nothing of it, not even that it exists.
    let csu = b.tree.add_person("中南").unwrap();
    b.tree.add_identity(csu.id, Platform::Console, "csu").unwrap();
    b.tree.grant(csu.id, &b.tree.require("4143010534").unwrap(), Role::Official).unwrap();
    b.say(dm(Platform::Console, "csu", &format!("/read {id}"))).await;
    let refused = answer(&b, &Bed::dm("csu")).await;
    assert!(
        refused.contains(&format!("没有你能查看的 #{id} 号信件")) && refused.contains("that you may see"),
        "{refused}"
    );
    // In a group, letters are never shown.
    b.say(Inbound::text(Bed::group("4143010533"), "hnu", format!("/read {id}"))).await;
    let in_group = answer(&b, &Bed::group("4143010533")).await;
    assert!(in_group.contains("不在群里显示") && !in_group.contains("表彰名额"), "{in_group}");
    b.stop().await;
}

#[tokio::test]
async fn forwarding_keeps_the_chain_and_the_week_rolls_up_per_child_and_level() {
    let b = bed_two_officials().await;
    let national = b.tree.add_person("团中央").unwrap();
    b.tree.add_identity(national.id, Platform::Console, "cn").unwrap();
    b.tree.grant(national.id, &b.tree.require("CN").unwrap(), Role::Official).unwrap();
    b.say(dm(Platform::Console, "hnu", "/报送 志愿服务周报\n本周志愿服务 300 人次。")).await;
    b.say(dm(Platform::Console, "sec", "/report 支部周报\n完成团员评议。")).await;
    b.settle().await;
    let id = letters::unread(&b.tree.store, b.tree.require("43").unwrap().id, 5).unwrap().0[0].id;

    b.say(dm(Platform::Email, "hunan@tw.example", "/reports")).await;
    let week = answer(&b, &hunan()).await;
    assert!(week.contains("下级已报送 1/2") && week.contains("1 of 2 child orgs reported"), "{week}");
    assert!(week.contains(&format!(" ✓ 湖南大学团委：1 份 report(s) #{id}")), "{week}");
    assert!(week.contains(" ✗ 中南大学团委：未报送 none yet"), "{week}");
    assert!(week.contains(" 高校团委 school：1/2 已报送") && week.contains(" 团支部 branch：1/3 已报送"), "{week}");

    b.say(dm(Platform::Email, "hunan@tw.example", &format!("/forward {id}"))).await;
    b.settle().await;
    let up = private_to(&b, &Bed::dm("cn"));
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0].title.as_deref(), Some("[工作信息报送 Report] 志愿服务周报"));
    assert!(up[0].body.contains("本周志愿服务 300 人次。"), "{}", up[0].body);
    assert!(
        up[0].body.contains("转发经过 forwarded along: 湖南大学团委（4143010533） → 共青团湖南省委学校部（43） → 共青团中央学校部（CN）"),
        "{}",
        up[0].body
    );
    // Forwarding read it for the province.
    b.say(dm(Platform::Email, "hunan@tw.example", "/inbox")).await;
    assert!(answer(&b, &hunan()).await.contains("未读 0 封"));
    // The nation's roll-up counts the province's forward, and the levels below.
    b.say(dm(Platform::Console, "cn", "/reports")).await;
    let nation = answer(&b, &Bed::dm("cn")).await;
    assert!(nation.contains("下级已报送 1/2") && nation.contains("✗ 共青团湖北省委学校部"), "{nation}");
    assert!(nation.contains(" 高校团委 school：1/3 已报送"), "{nation}");
    b.stop().await;
}

#[tokio::test]
async fn a_mail_to_an_org_address_is_a_letter_and_an_unproven_sender_confirms_first() {
    let b = bed().await;
    let mut mail = dm(Platform::Email, "hunan@tw.example", "请于周五前报送团员发展计划。");
    mail.subject = "关于团员发展计划".into();
    mail.sent_to = Some("org+4143010533@bot.example".into());
    mail.sender.verified = false;
    mail.attachments = vec![Attachment {
        name: "计划表.xlsx".into(),
        content_type: "application/octet-stream".into(),
        data: vec![7; 100],
    }];
    let out = b.say(mail.clone()).await;
    b.settle().await;
    assert!(matches!(out, treecast_wire::Outcome::Rejected { .. }), "held until confirmed: {out:?}");
    assert!(private_to(&b, &Bed::dm("hnu")).is_empty(), "nothing sent before the confirmation");
    assert_eq!(letter_count(&b), 0);
    let ask = b.to(&hunan()).into_iter().last().unwrap();
    assert!(
        ask.body.contains("以 共青团湖南省委学校部（43） 的名义把《关于团员发展计划》发给 湖南大学团委（4143010533）"),
        "{}",
        ask.body
    );
    // The real mailbox answers the confirmation.
    let mut yes = dm(Platform::Email, "hunan@tw.example", "确认");
    yes.in_reply_to = Some(b.chat.message_ids(&ask.id).unwrap()[0].clone());
    yes.sender.verified = false;
    b.say(yes).await;
    b.settle().await;
    let got = private_to(&b, &Bed::dm("hnu"));
    assert_eq!(got.len(), 1, "{}", answer(&b, &hunan()).await);
    assert_eq!(got[0].title.as_deref(), Some("[私信 Message] 关于团员发展计划"));
    assert_eq!(got[0].attachments.len(), 1);
    assert_eq!(got[0].attachments[0].name, "计划表.xlsx");
    assert!(got[0].body.contains("附件 Attachments: 计划表.xlsx"), "{}", got[0].body);
    // A proven sender's mail goes at once; the same mail offered again is sent once.
    let mut proven = mail.clone();
    proven.sender.verified = true;
    proven.message_id = "<again@tw.example>".into();
    b.say(proven.clone()).await;
    b.say(proven).await;
    b.settle().await;
    assert_eq!(private_to(&b, &Bed::dm("hnu")).len(), 2, "the repeat was not sent again");
    // (Both answers are queued at once; the outbox may send them in either order.)
    let told = b.to(&hunan()).into_iter().filter(|m| m.kind == OutboundKind::Reply).map(|m| m.body.to_string());
    assert_eq!(told.filter(|t| t.contains("已作为 #") && t.contains("not sent again")).count(), 1);
    b.stop().await;
}

#[tokio::test]
async fn bad_letters_get_one_sentence_and_nothing_is_sent() {
    let b = bed().await;
    let cases: &[(&str, &[&str])] = &[
        (
            "/msg 9999 你好",
            &["没有代码为“9999”或名称含“9999”的组织", "No org has the code or a name containing \"9999\""],
        ),
        ("/msg 4142010486 你好", &["不能给", "may not write to"]),
        ("/msg 43", &["信件内容为空", "The letter is empty"]),
        ("/msg", &["用法：/msg", "Usage: /msg"]),
        ("/report", &["用法：/report", "Usage: /report"]),
        ("/read 77777", &["没有你能查看的 #77777 号信件", "There is no letter #77777"]),
        ("/forward x", &["用法：/forward", "Usage: /forward"]),
    ];
    for (text, want) in cases {
        b.say(dm(Platform::Console, "hnu", text)).await;
        let said = answer(&b, &Bed::dm("hnu")).await;
        for w in *want {
            assert!(said.contains(w), "{text}: {said}");
        }
    }
    // Too large an attachment.
    let mut big = dm(Platform::Console, "hnu", "/msg 43 见附件");
    let limit = b.app.ctx.rules().max_attachment_bytes as usize;
    big.attachments =
        vec![Attachment { name: "视频.mp4".into(), content_type: "video/mp4".into(), data: vec![0; limit + 1] }];
    b.say(big).await;
    let said = answer(&b, &Bed::dm("hnu")).await;
    assert!(said.contains("超过上限") && said.contains("nothing was sent"), "{said}");
    // A chat file too large for the adapter to fetch comes with its declared size only.
    let mut huge = dm(Platform::Console, "hnu", "/msg 43 录像见附件");
    huge.attachments = vec![Attachment::too_large("录像.mp4", 200 * 1024 * 1024)];
    b.say(huge).await;
    let said = answer(&b, &Bed::dm("hnu")).await;
    assert!(said.contains("附件共 204800 KB，超过上限") && said.contains("nothing was sent"), "{said}");
    // A member may write to their branch, not to the province.
    b.say(dm(Platform::Console, "li", "/msg 43 你好")).await;
    assert!(answer(&b, &Bed::dm("li")).await.contains("团员只能写给"), "{}", answer(&b, &Bed::dm("li")).await);
    b.settle().await;
    assert_eq!(letter_count(&b), 0);
    assert!(b.chat.delivered().iter().all(|m| m.kind != OutboundKind::Private), "nothing went to anyone");
    b.stop().await;
}

#[tokio::test]
async fn a_member_writes_to_their_branch_and_the_answer_comes_back_to_them_only() {
    let b = bed().await;
    b.say(dm(Platform::Console, "li", "/私信 4143010533-001 想申请入党积极分子培训")).await;
    b.settle().await;
    let copy = private_to(&b, &Bed::dm("sec"));
    assert_eq!(copy.len(), 1);
    assert!(copy[0].body.contains("li（计算机科学与技术2023级1班团支部） · li 发来私信"), "{}", copy[0].body);
    let mut reply = dm(Platform::Console, "sec", "好的，下周报名。");
    reply.in_reply_to = Some(b.chat.message_ids(&copy[0].id).unwrap()[0].clone());
    b.say(reply).await;
    b.settle().await;
    let back = private_to(&b, &Bed::dm("li"));
    assert_eq!(back.len(), 1);
    assert!(back[0].body.contains("答复您") && back[0].body.contains("好的，下周报名。"), "{}", back[0].body);
    assert!(private_to(&b, &Bed::dm("wang")).is_empty(), "another member sees nothing");
    // Another member cannot answer into the thread by guessing.
    let mut forged = dm(Platform::Console, "wang", "我也要");
    forged.in_reply_to = Some(b.chat.message_ids(&back[0].id).unwrap()[0].clone());
    b.say(forged).await;
    assert!(answer(&b, &Bed::dm("wang")).await.contains("没有你能查看的"), "{}", answer(&b, &Bed::dm("wang")).await);
    b.stop().await;
}

#[tokio::test]
async fn a_report_by_mail_goes_to_the_parent_only() {
    let b = bed().await;
    let national = b.tree.add_person("团中央").unwrap();
    b.tree.add_identity(national.id, Platform::Console, "cn").unwrap();
    b.tree.grant(national.id, &b.tree.require("CN").unwrap(), Role::Official).unwrap();
    let mut up = dm(Platform::Email, "hunan@tw.example", "本月全省共开展团日活动 1,200 场。");
    up.subject = "十一月工作信息".into();
    up.sent_to = Some("report+CN@bot.example".into());
    b.say(up).await;
    b.settle().await;
    let got = private_to(&b, &Bed::dm("cn"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].title.as_deref(), Some("[工作信息报送 Report] 十一月工作信息"));
    // Down is not a report: one sentence, nothing sent.
    let mut down = dm(Platform::Email, "hunan@tw.example", "x");
    down.subject = "误发".into();
    down.sent_to = Some("report+4143010533@bot.example".into());
    b.say(down).await;
    let said = answer(&b, &hunan()).await;
    assert!(
        said.contains("工作信息报送只能由团干部发给本组织的上级") && said.contains("goes from an official"),
        "{said}"
    );
    assert!(private_to(&b, &Bed::dm("hnu")).is_empty());
    b.stop().await;
}
