//! Columns and featuring through the gateway and the recording adapter:
//! create, submit (with a file), review, announce, feature from above with
//! a fan-out crediting the child, who may do each, and bad input.

use treecast_wire::{Address, Attachment, Inbound, Platform};

use crate::notice::tests::{bed, Bed};

fn dm(user: &str, text: &str) -> Inbound {
    Inbound::text(Bed::dm(user), user, text)
}

fn number_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text.find(marker).unwrap_or_else(|| panic!("{marker:?} in {text}")) + marker.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

fn photo(bytes: usize) -> Attachment {
    Attachment { name: "团日合影.jpg".into(), content_type: "image/jpeg".into(), data: vec![0xFF; bytes] }
}

#[tokio::test]
async fn a_post_is_submitted_approved_announced_and_featured_from_above() {
    let b = bed().await;
    let made = b.ask(dm("hnu", "/column new 团日风采 各班主题团日活动")).await;
    assert!(made.contains("已创建专栏“团日风采”（湖南大学团委）"), "{made}");
    let mut submit = dm("li", "/column post 团日风采 我们班周五去敬老院慰问老人");
    submit.attachments = vec![photo(2_000)];
    let sent = b.ask(submit).await;
    let id = number_after(&sent, "已投稿 #");
    assert!(sent.contains("等待团干部审核"), "{sent}");
    // Not shown before approval; a member may not approve.
    assert!(b.ask(dm("wang", "/column 团日风采")).await.contains("暂无文章"));
    let member = b.ask(dm("li", &format!("/column approve {id}"))).await;
    assert!(member.contains("你无权") && !member.contains("已通过"), "{member}");
    let pending = b.ask(dm("hnu", "/column pending")).await;
    assert!(
        pending.contains(&format!("#{id}")) && pending.contains("敬老院") && pending.contains("团日合影.jpg"),
        "{pending}"
    );

    let approved = b.ask(dm("hnu", &format!("/column approve {id} announce"))).await;
    assert!(approved.contains("已通过") && approved.contains("已作为通知"), "{approved}");
    let group = b.to(&Bed::group("4143010533-002"));
    let ann = group.iter().find(|m| m.body.contains("敬老院")).expect("announced to 湖南大学's groups");
    assert!(ann.body.contains("来自 计算机科学与技术2023级1班团支部") && ann.attachments.len() == 1, "{}", ann.body);
    let shown = b.ask(dm("wang", "/column 团日风采")).await;
    assert!(shown.contains(&format!("#{id}")) && shown.contains("· li：我们班周五去敬老院"), "{shown}");

    // 湖南大学's own official is not above it; 湖南省's is, and fans it out.
    let own = b.ask(dm("hnu", &format!("/feature {id}"))).await;
    assert!(own.contains("只有 湖南大学团委 的上级组织的团干部可以推荐"), "{own}");
    let mail = Address::direct(Platform::Email, "hunan@tw.example");
    let featured = b.ask(Inbound::text(mail.clone(), "hunan@tw.example", format!("/feature {id} fanout"))).await;
    assert!(
        featured.contains("已列入 共青团湖南省委学校部 的精彩展示") && featured.contains("已作为通知"),
        "{featured}"
    );
    let other_school = b.to(&Bed::group("4143010534-001"));
    let down = other_school.iter().find(|m| m.body.contains("敬老院")).expect("fanned out to 湖南's other schools");
    assert!(down.body.contains("来自 计算机科学与技术2023级1班团支部"), "{}", down.body);
    assert!(!b.to(&Bed::group("4142010486-001")).iter().any(|m| m.body.contains("敬老院")), "not to 湖北");
    let again = b.ask(Inbound::text(mail, "hunan@tw.example", format!("/feature {id}"))).await;
    assert!(again.contains("已推荐过"), "{again}");
    let showcase = b.ask(dm("nobody", "/showcase 43")).await;
    assert!(showcase.contains("共青团湖南省委学校部 的精彩展示") && showcase.contains("敬老院"), "{showcase}");

    // Approved showcase is public in search.
    let found = b.ask(dm("nobody", "/search 敬老院")).await;
    assert!(found.contains("[专栏 column] 【专栏·团日风采】"), "{found}");
}

#[tokio::test]
async fn bad_input_and_review_once_each_get_one_sentence() {
    let b = bed().await;
    b.ask(dm("hnu", "/column new 团日风采")).await;
    let twice = b.ask(dm("hnu", "/column new 团日风采")).await;
    assert!(twice.contains("已有专栏“团日风采”"), "{twice}");
    let unknown = b.ask(dm("li", "/column post 不存在 你好")).await;
    assert!(unknown.contains("没有你所在组织或其上级的专栏“不存在”"), "{unknown}");
    let limit = b.app.ctx.rules().max_attachment_bytes as usize;
    let mut big = dm("li", "/column post 团日风采 合影");
    big.attachments = vec![photo(limit + 1)];
    let refused = b.ask(big).await;
    assert!(refused.contains("超过") && refused.contains("未投稿"), "{refused}");
    let sent = b.ask(dm("li", "/column post 团日风采 读书会")).await;
    let id = number_after(&sent, "已投稿 #");
    let unapproved = b
        .ask(Inbound::text(
            Address::direct(Platform::Email, "hunan@tw.example"),
            "hunan@tw.example",
            format!("/feature {id}"),
        ))
        .await;
    assert!(unapproved.contains("尚未通过审核"), "{unapproved}");
    let rejected = b.ask(dm("hnu", &format!("/column reject {id} 请补充照片"))).await;
    assert!(rejected.contains("已退回"), "{rejected}");
    let again = b.ask(dm("hnu", &format!("/column approve {id}"))).await;
    assert!(again.contains("已审核过"), "{again}");
    assert!(b.ask(dm("hnu", "/column approve 999999")).await.contains("没有编号为 #999999"));
    assert!(b.ask(dm("hnu", "/column")).await.contains("用法：/column new"));
}

#[tokio::test]
async fn a_column_shows_its_own_posts_not_a_longer_named_neighbours() {
    let b = bed().await;
    b.ask(dm("hnu", "/column new 团日")).await;
    b.ask(dm("hnu", "/column new 团日风采")).await;
    let mut ids = Vec::new();
    for (column, text) in [("团日", "第一篇"), ("团日风采", "第二篇"), ("团日风采", "第三篇")] {
        let sent = b.ask(dm("li", &format!("/column post {column} {text}"))).await;
        let id = number_after(&sent, "已投稿 #");
        b.ask(dm("hnu", &format!("/column approve {id}"))).await;
        ids.push(id);
    }
    let short = b.ask(dm("wang", "/column 团日")).await;
    assert!(short.contains("第一篇") && !short.contains("第二篇") && !short.contains("第三篇"), "{short}");
    let long = b.ask(dm("wang", "/column 團日風采")).await;
    assert!(long.contains("第二篇") && long.contains("第三篇") && !long.contains("第一篇"), "{long}");
    assert!(long.find("第三篇") < long.find("第二篇"), "newest first: {long}");
}
