//! The web console in a real headless Chromium, against `treecast demo
//! --web`: the national official signs in with the one-time link the
//! console adapter printed, sees the national notice's chart, drills down to
//! a school, presses "remind the rest", posts a notice and sees it
//! delivered, downloads a survey's XLSX; a used link is refused; a forged
//! form without the CSRF token changes nothing; the 湖南 official gets 403 on
//! the 广东 notice. Screenshots go to the run folder (paths printed); with
//! `TREECAST_SCREENSHOTS=docs/screenshots` the main pages are copied there.
//!
//! Run: `scripts/test.sh`, or `scripts/peers/chromium.sh start && eval
//! "$(scripts/peers/chromium.sh env)" && cargo test --all-features --test
//! web_browser -- --include-ignored --nocapture`.

#![cfg(feature = "console")]

mod browser;

use std::time::Duration;

use browser::{get, poll, post_form, Browser, Window};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The demo, running with its console: the links and numbers it printed.
struct Demo {
    child: Child,
    url: String,
    /// The national official's link (in chat), then the 湖南 official's (by mail).
    links: Vec<String>,
    guangdong_notice: u64,
}

async fn start_demo() -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_treecast"))
        .args(["demo", "--branches", "3", "--web", "--web-listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start treecast demo --web");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // (chat, link): the console prints each message in a box headed by its chat.
    let mut links: Vec<(String, String)> = Vec::new();
    let mut chat = String::new();
    let mut guangdong_notice = 0;
    let url = tokio::time::timeout(Duration::from_secs(600), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(head) = line.strip_prefix("┌─ ") {
                chat = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            }
            if let Some(at) = line.find("http://") {
                let link = line[at..].split_whitespace().next().unwrap().to_owned();
                if link.contains("/login/") && !links.iter().any(|(_, l)| *l == link) {
                    links.push((chat.clone(), link));
                }
            }
            if let Some(rest) = line.strip_prefix("广东省团委学校部 posted notice #") {
                guangdong_notice = rest.trim().parse().unwrap();
            }
            if let Some(rest) = line.strip_prefix("web console ready: ") {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("the demo ended without starting its console");
    })
    .await
    .expect("the demo's console within 10 minutes");
    // Keep reading, so the demo never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let link_of = |who: &str| links.iter().find(|(c, _)| c == who).map(|(_, l)| l.clone());
    let links = vec![
        link_of("wang.national").expect("the national official's link, in their chat"),
        link_of("hunan.official@example.test").expect("the 湖南 official's link, by mail"),
    ];
    assert!(guangdong_notice > 0);
    Demo { child, url, links, guangdong_notice }
}

/// Opens the link, presses "sign in": the overview.
async fn sign_in(b: &Browser, link: &str) {
    b.goto(link).await;
    b.click("#sign-in").await;
    b.wait_for("#panel-notices").await;
}

/// Keeps a screenshot for the README when asked to.
fn keep(shot: &std::path::Path, name: &str) {
    if let Ok(dir) = std::env::var("TREECAST_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(shot, std::path::Path::new(&dir).join(format!("{name}.png"))).unwrap();
    }
}

fn number(text: &str) -> u64 {
    text.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

#[tokio::test]
#[ignore = "peer test: needs chromedriver (scripts/peers/chromium.sh)"]
async fn an_official_follows_a_national_notice_posts_one_and_downloads_results() {
    let Some(b) = Browser::open().await else { return };
    let mut demo = start_demo().await;
    let base = demo.url.clone();

    // The national official signs in with the link from their chat.
    sign_in(&b, &demo.links[0]).await;
    let shot = b.screenshot("overview").await;
    let page = b.source().await;
    assert!(page.contains("王老师") && page.contains("org-CN"), "the national official's overview: {page}");
    keep(&shot, "overview");

    // The same link a second time: refused with one sentence.
    let again = get(&demo.links[0], None).await;
    assert_eq!(again.status, 403);
    assert!(again.body.contains("这个登录链接已经用过了"), "{}", again.body);

    // The national notice: its chart per province, then a province, then a school.
    b.goto(&format!("{base}/notices")).await;
    let find = "return [...document.querySelectorAll('#notices a')].find(a => a.textContent.includes('青春心向党')).getAttribute('href')";
    let href = b.js(find, vec![]).await;
    b.goto(&format!("{base}{}", href.as_str().expect("the national notice in the list"))).await;
    b.wait_for("#chart svg").await;
    let chart = b.source().await;
    assert!(chart.contains("共青团湖南省委学校部"), "a province row in the chart and table");
    keep(&b.screenshot("national-notice").await, "notice");
    b.click("a.drill[href*='org=43']").await;
    b.wait_for_text("湖南大学").await;
    b.click("a.drill[href*='org=4143010532']").await;
    b.wait_for("#levels").await;
    assert!(b.text("h1").await.contains("青春心向党"));
    assert!(b.source().await.contains("4143010532-001"), "the school's branches");
    b.screenshot("school").await;

    // "Remind the rest".
    b.click("#remind").await;
    b.wait_for_text("已向尚未确认的组织发出提醒").await;

    // A forged form (the session's cookie, no CSRF token) changes nothing.
    let cookie = b.cookie_header().await;
    let path = b.url().await;
    let notice: u64 = path.split("/notice/").nth(1).unwrap().split(['?', '/']).next().unwrap().parse().unwrap();
    let forged = post_form(&format!("{base}/notice/{notice}/remind"), Some(&cookie), &[]).await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("缺少校验码"), "{}", forged.body);

    // Post a notice, with the preview, and see it delivered.
    b.goto(&format!("{base}/post")).await;
    b.fill("input[name=title]", "网页工作台发布的测试通知").await;
    b.fill("textarea[name=body]", "请各级团组织查收。").await;
    poll("the preview with the body", Duration::from_secs(10), || async {
        b.text("#preview").await.contains("请各级团组织查收").then_some(())
    })
    .await;
    keep(&b.screenshot("post-preview").await, "post");
    b.click("#publish").await;
    b.wait_for_url("done=posted").await;
    poll("the web-posted notice delivered to every chat", Duration::from_secs(120), || async {
        b.goto(&b.url().await).await;
        let channels = number(&b.text("#total-channels").await);
        (channels > 1000 && number(&b.text("#total-delivered").await) == channels).then_some(())
    })
    .await;
    b.screenshot("posted").await;

    // The survey's results: charts, then the XLSX.
    b.goto(&format!("{base}/surveys")).await;
    b.click("#surveys a[href^='/survey/']").await;
    b.wait_for("#responses").await;
    keep(&b.screenshot("survey").await, "survey");
    b.click("#xlsx").await;
    let xlsx = std::fs::read(b.wait_for_download("xlsx").await).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an .xlsx is a zip");

    // On a phone.
    b.resize(Window::Phone).await;
    b.goto(&base).await;
    b.wait_for("#panel-notices").await;
    keep(&b.screenshot("phone-overview").await, "phone");
    b.close().await;

    // The 湖南 official may not open the 广东 notice.
    let h = Browser::open().await.unwrap();
    sign_in(&h, &demo.links[1]).await;
    let cookie = h.cookie_header().await;
    let theirs = get(&format!("{base}/notice/{}", demo.guangdong_notice), Some(&cookie)).await;
    assert_eq!(theirs.status, 403, "{}", theirs.body);
    h.goto(&format!("{base}/notice/{}", demo.guangdong_notice)).await;
    let said = h.text("#error-text").await;
    assert!(
        said.contains("你无权查看") && said.contains("共青团广东省委学校部"),
        "one sentence naming the org: {said}"
    );
    h.screenshot("forbidden").await;
    h.close().await;
    demo.child.kill().await.unwrap();
}
