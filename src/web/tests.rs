//! The console over HTTP, in-process: sign-in by a one-time link, the
//! session cookie, what an official may see, CSRF on every form, and the
//! refusals (a used, expired or revoked link, a session after `logout all`,
//! a student). The browser tests (`tests/web_browser.rs`) do the same in Chromium.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use treecast_wire::{Inbound, Platform};

use super::session;
use crate::catalogue::Msg;
use crate::notice::tests::{bed, draft_for, Bed};
use crate::tree::people::Role;

struct Got {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(b: &Bed, req: Request<Body>) -> Got {
    let web = super::Web::new(b.app.ctx.clone(), b.app.registry.clone());
    let app = super::router(web).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let location = resp.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let cookies = resp.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    Got { status, location, cookies, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

fn value_of(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap().to_owned()))
        .unwrap_or_default()
}

/// `/web` in chat, then the link's page and its button: the session cookie.
async fn sign_in(b: &Bed, user: &str) -> (String, String) {
    let answer = b.ask(Inbound::text(Bed::dm(user), user, "/web")).await;
    let at = answer.find("/login/").expect("a link") + "/login/".len();
    let token = answer[at..].split_whitespace().next().unwrap().to_owned();
    let page = send(b, get(&format!("/login/{token}"), "")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let pre = value_of(&page.cookies, "tc_pre");
    let done = send(b, post(&format!("/login/{token}"), &format!("tc_pre={pre}"), &format!("pre={pre}"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let set = done.cookies.iter().find(|c| c.starts_with("tc_session=")).expect("a session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    assert!(!set.contains("Secure"), "plain http on loopback: not Secure");
    let sid = value_of(&done.cookies, "tc_session");
    let csrf = session::session(b.app.ctx.store(), &sid, b.app.ctx.now()).unwrap().unwrap().csrf;
    (format!("tc_session={sid}"), csrf)
}

#[tokio::test]
async fn a_link_signs_in_once_and_the_overview_shows_the_orgs_coverage() {
    let b = bed().await;
    let first = send(&b, get("/", "")).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location, "/login?next=%2F");
    let (cookie, _) = sign_in(&b, "hnu").await;
    let page = send(&b, get("/", &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("湖南大学团委"), "the official's org");
    assert!(page.body.contains("id=\"panel-notices\""), "the notices panel");
    // 湖南大学 has two branches, both with a chat: 2 / 2.
    assert!(page.body.contains("2 / 2"), "{}", page.body);
    // English on request.
    let en = send(&b, get("/?lang=en", &cookie)).await;
    assert!(en.body.contains("With a chat / all orgs"));
}

#[tokio::test]
async fn used_expired_and_revoked_links_and_ended_sessions_are_refused_with_a_sentence() {
    let b = bed().await;
    let store = b.app.ctx.store();
    let hnu = b.people["hnu"];
    let expired = session::new_link(store, hnu, b.app.ctx.now() - 1000, 60).unwrap();
    let got = send(&b, get(&format!("/login/{expired}"), "")).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(got.body.contains("这个登录链接已过期"), "{}", got.body);
    let unknown = send(&b, get("/login/not-a-link", "")).await;
    assert!(unknown.body.contains("这个登录链接无效"));
    let (cookie, _) = sign_in(&b, "hnu").await;
    // The same link again: refused.
    let used = session::new_link(store, hnu, b.app.ctx.now(), 600).unwrap();
    session::redeem_link(store, &used, b.app.ctx.now(), 600).unwrap();
    let again = send(&b, get(&format!("/login/{used}"), "")).await;
    assert!(again.body.contains("已经用过了"), "{}", again.body);
    // `/web logout all` in chat ends the browser's session too.
    b.ask(Inbound::text(Bed::dm("hnu"), "hnu", "/web logout all")).await;
    let after = send(&b, get("/notices", &cookie)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "back to the sign-in page");
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let b = bed().await;
    let n = b.post("hnu", draft_for("4143010533", "周五团日活动")).unwrap();
    b.settle().await;
    let (cookie, csrf) = sign_in(&b, "hnu").await;
    let before = b.app.ctx.store().latest_notices(10).unwrap().len();
    let forged = send(&b, post(&format!("/notice/{}/remind", n.id), &cookie, "")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("缺少校验码"), "{}", forged.body);
    let wrong = send(&b, post(&format!("/notice/{}/remind", n.id), &cookie, "csrf=guess")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(b.app.ctx.store().latest_notices(10).unwrap().len(), before, "no reminder was made");
    let ok = send(&b, post(&format!("/notice/{}/remind", n.id), &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location, format!("/notice/{}?done=reminded", n.id));
    assert_eq!(b.app.ctx.store().latest_notices(10).unwrap().len(), before + 1, "the reminder");
    // The sign-in form needs its own token too.
    let login = send(&b, post("/login", "", "identity=hnu%40example.org")).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_official_sees_their_subtree_only() {
    let b = bed().await;
    // An official of 武汉大学 (湖北) posts; 湖南大学's official may not look.
    let whu = b.tree.add_person("whu").unwrap();
    b.tree.add_identity(whu.id, Platform::Console, "whu").unwrap();
    b.tree.grant(whu.id, &b.tree.require("4142010486").unwrap(), Role::Official).unwrap();
    let theirs = b.tree.post(whu.id, draft_for("4142010486", "武大通知"), &b.app.ctx.rules()).unwrap();
    let ours = b.post("hnu", draft_for("4143010533", "湖大通知")).unwrap();
    b.settle().await;
    let (cookie, _) = sign_in(&b, "hnu").await;
    let denied = send(&b, get(&format!("/notice/{}", theirs.id), &cookie)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    let page = send(&b, get(&format!("/notice/{}", ours.id), &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("湖大通知") && page.body.contains("<svg"), "the chart");
    assert!(page.body.contains("计算机科学与技术2023级1班团支部"), "a branch row");
    let list = send(&b, get("/notices", &cookie)).await;
    assert!(list.body.contains("湖大通知") && !list.body.contains("武大通知"), "{}", list.body);
    // Another school's letters are not theirs either; their own org's are.
    let letters = send(&b, get("/inbox?org=4142010486", &cookie)).await;
    assert_eq!(letters.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&b, get("/inbox", &cookie)).await.status, StatusCode::OK);
    // The operator's page is not theirs.
    let ops = send(&b, get("/ops", &cookie)).await;
    assert_eq!(ops.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_student_gets_no_link_and_the_login_page_does_not_tell_who_is_registered() {
    let b = bed().await;
    let page = send(&b, get("/login", "")).await;
    let pre = value_of(&page.cookies, "tc_pre");
    let cookie = format!("tc_pre={pre}");
    for who in ["li", "nobody-here", "hnu"] {
        let identity = format!("console:{who}");
        let got = send(&b, post("/login", &cookie, &format!("pre={pre}&identity={identity}"))).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(got.body.contains("如果这是一位已登记团干部的身份"), "{who}: the same sentence");
    }
    b.settle().await;
    assert!(b.to(&Bed::dm("li")).iter().all(|m| !m.body.contains("/login/")), "the student got no link");
    assert!(b.to(&Bed::dm("hnu")).iter().any(|m| m.body.contains("/login/")), "the official did");
    let bad = send(&b, post("/login", &cookie, &format!("pre={pre}&identity=%3F%3F"))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains(Msg::WebBadIdentity.text().split(' ').next().unwrap()));
}

#[tokio::test]
async fn every_page_in_the_navigation_opens_for_an_official_in_both_languages() {
    let b = bed().await;
    b.post("hnu", draft_for("4143010533", "周五团日活动")).unwrap();
    b.settle().await;
    let (cookie, _) = sign_in(&b, "hnu").await;
    let nav = send(&b, get("/", &cookie)).await.body;
    let links: Vec<String> = nav
        .split("<nav>")
        .nth(1)
        .unwrap()
        .split("</nav>")
        .next()
        .unwrap()
        .split("href=\"")
        .skip(1)
        .map(|h| h[..h.find('"').unwrap()].to_owned())
        .collect();
    assert!(links.len() >= 10, "{links:?}");
    for path in links.iter().map(String::as_str).chain(["/search?q=团日", "/tree?org=4143010533&q=计算机"]) {
        for lang in ["zh", "en"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let got = send(&b, get(&format!("{path}{sep}lang={lang}"), &cookie)).await;
            // The leaderboard has not been computed in a fresh bed: one sentence, not a failure.
            let ok = got.status == StatusCode::OK || (path == "/rank" && got.status == StatusCode::NOT_FOUND);
            assert!(ok, "{path} ({lang}): {} {}", got.status, got.body);
            assert!(got.body.contains("<html lang="), "{path}: a whole page");
        }
    }
    let found = send(&b, get("/tree?org=4143010533&q=计算机", &cookie)).await;
    assert!(found.body.contains("计算机科学与技术2023级1班团支部"), "{}", found.body);
}
