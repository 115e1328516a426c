//! The browser harness (tests/browser/) against a real headless Chromium:
//! a tiny axum site with a Chinese page, a form behind a session cookie and
//! an .xlsx download, driven through every helper the web console's tests
//! will use.
//!
//! Run: `scripts/test.sh`, or `scripts/peers/chromium.sh start &&
//! eval "$(scripts/peers/chromium.sh env)" &&
//! cargo test --test browser_smoke -- --include-ignored --nocapture`.

mod browser;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use browser::{Browser, Window};

const HEADING: &str = "团委 通知";
const MOTTO: &str = "精彩微博团，青春心连心";

type Sessions = Arc<Mutex<HashSet<String>>>;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{HEADING}</title><style>body{{font-family:sans-serif;margin:1em}}\
         textarea,input{{display:block;width:90%;margin:.3em 0}}</style></head>\
         <body>{body}</body></html>"
    )
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix("session=").map(String::from))
}

/// The page; a visitor without a known session gets a new one.
async fn index(State(sessions): State<Sessions>, headers: HeaderMap) -> Response {
    let known = session_of(&headers).is_some_and(|s| sessions.lock().unwrap().contains(&s));
    let html = Html(page(&format!(
        "<h1>{HEADING}</h1><p id=\"motto\">{MOTTO}</p>\
         <form id=\"note\" method=\"post\" action=\"/note\">\
         <label>标题<input id=\"title\" name=\"title\" required></label>\
         <label>正文<textarea id=\"body\" name=\"body\" rows=\"3\"></textarea></label>\
         <button type=\"submit\">发送</button></form>\
         <p><a id=\"xlsx\" href=\"/report.xlsx\">下载 统计表</a> · <a id=\"whoami\" href=\"/whoami\">我的 Cookie</a></p>"
    )));
    if known {
        return html.into_response();
    }
    let id = format!("s{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    sessions.lock().unwrap().insert(id.clone());
    ([(header::SET_COOKIE, format!("session={id}; Path=/; HttpOnly; SameSite=Lax"))], html).into_response()
}

#[derive(serde::Deserialize)]
struct Note {
    title: String,
    body: String,
}

/// Shows the note back, to a known session only.
async fn note(State(sessions): State<Sessions>, headers: HeaderMap, Form(n): Form<Note>) -> Response {
    let known = session_of(&headers).is_some_and(|s| sessions.lock().unwrap().contains(&s));
    if !known {
        return (StatusCode::FORBIDDEN, Html(page("<p id=\"result\">无权限</p>"))).into_response();
    }
    let result = format!("已收到：{} — {}", escape(&n.title), escape(&n.body));
    Html(page(&format!("<h1>{HEADING}</h1><p id=\"result\">{result}</p>"))).into_response()
}

async fn whoami(headers: HeaderMap) -> Html<String> {
    let cookies = headers.get(header::COOKIE).and_then(|c| c.to_str().ok()).unwrap_or("");
    Html(page(&format!("<pre id=\"cookies\">{}</pre>", escape(cookies))))
}

/// A real workbook with a Chinese cell, as the console's exports will be.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, HEADING).unwrap();
    sheet.write(1, 0, MOTTO).unwrap();
    book.save_to_buffer().unwrap()
}

async fn report(State(xlsx): State<Arc<Vec<u8>>>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"report.xlsx\""),
        ],
        xlsx.as_ref().clone(),
    )
}

/// Serves the site on 127.0.0.1; its base address, without a trailing slash.
async fn serve(xlsx: Arc<Vec<u8>>) -> String {
    let sessions: Sessions = Default::default();
    let app = Router::new()
        .route("/", get(index))
        .route("/note", axum::routing::post(note))
        .route("/whoami", get(whoami))
        .with_state(sessions)
        .merge(Router::new().route("/report.xlsx", get(report)).with_state(xlsx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chromium peer: scripts/test.sh, or scripts/peers/chromium.sh start"]
async fn chinese_page_form_cookies_download_and_screenshots() {
    let Some(b) = Browser::open_with(Window::Desktop).await else { return };
    let xlsx = Arc::new(workbook());
    let base = serve(xlsx.clone()).await;

    // The page, its Chinese text, the address.
    b.goto(&base).await;
    assert_eq!(b.text("h1").await, HEADING);
    assert_eq!(b.text("#motto").await, MOTTO);
    assert!(b.source().await.contains(MOTTO));
    assert_eq!(b.url().await, format!("{base}/"));
    assert_eq!(b.js("return document.title", vec![]).await, HEADING);
    assert!(b.exists("form#note").await && !b.exists("#result").await);

    // Both window sizes: the viewport and the screenshot are that size.
    assert_eq!(b.js("return [innerWidth, innerHeight]", vec![]).await, serde_json::json!([1280, 800]));
    let desktop = b.screenshot("desktop").await;
    assert_eq!(browser::png_size(&std::fs::read(&desktop).unwrap()), (1280, 800));
    b.resize(Window::Phone).await;
    assert_eq!(b.js("return [innerWidth, innerHeight]", vec![]).await, serde_json::json!([390, 844]));
    let phone = b.screenshot("phone").await;
    assert_eq!(browser::png_size(&std::fs::read(&phone).unwrap()), (390, 844));

    // The form: typed in Chinese, submitted, the answer read back.
    b.fill("#title", HEADING).await;
    b.fill("#body", MOTTO).await;
    assert_eq!(b.js("return document.querySelector('#body').value", vec![]).await, MOTTO);
    b.submit("form#note").await;
    b.wait_for_url("/note").await;
    let result = b.wait_for("#result").await;
    assert_eq!(result.text().await.unwrap(), format!("已收到：{HEADING} — {MOTTO}"));
    b.wait_for_text("已收到").await;
    b.screenshot("phone-result").await;
    b.resize(Window::Desktop).await;

    // Cookies: the HttpOnly session is visible to the test and replays in a
    // plain request; none or a forged one is refused.
    let session = b.cookie("session").await.expect("the page set a session cookie");
    let header = b.cookie_header().await;
    assert_eq!(header, format!("session={session}"));
    let note = format!("{base}/note");
    let fields = [("title", "伪造"), ("body", "表单 & <b>")];
    let replayed = browser::post_form(&note, Some(&header), &fields).await;
    assert_eq!(replayed.status, 200, "{replayed:?}");
    assert!(replayed.body.contains("已收到：伪造 — 表单 &amp; &lt;b&gt;"), "{}", replayed.body);
    assert_eq!(browser::post_form(&note, None, &fields).await.status, 403);
    assert_eq!(browser::post_form(&note, Some("session=forged"), &fields).await.status, 403);
    let fresh = browser::get(&format!("{base}/"), None).await;
    assert_eq!(fresh.status, 200);
    assert!(fresh.set_cookies.iter().any(|c| c.starts_with("session=") && c.contains("HttpOnly")), "{fresh:?}");
    assert!(browser::get(&format!("{base}/"), Some(&header)).await.set_cookies.is_empty());
    assert_eq!(browser::get(&format!("{base}/nowhere"), None).await.status, 404);

    // A cookie forged in the browser is refused there too; deleting it gets a new session.
    b.add_cookie("theme", "dark").await;
    b.goto(&format!("{base}/whoami")).await;
    let sent = b.text("#cookies").await;
    assert!(sent.contains("theme=dark") && sent.contains(&format!("session={session}")), "{sent}");
    b.goto(&base).await;
    b.delete_cookie("session").await;
    b.add_cookie("session", "forged").await;
    assert_eq!(b.cookie("session").await.as_deref(), Some("forged"));
    b.fill("#title", "伪造").await;
    b.submit("form#note").await;
    b.wait_for_text("无权限").await;
    b.delete_cookie("session").await;
    assert_eq!(b.cookie("session").await, None);
    assert_eq!(b.cookies().await, vec![("theme".to_owned(), "dark".to_owned())]);
    b.goto(&base).await;
    let renewed = b.cookie("session").await.expect("a new session");
    assert_ne!(renewed, session);

    // The download lands in the session's folder, byte for byte.
    b.click("a#xlsx").await;
    let file = b.wait_for_download("xlsx").await;
    assert!(file.starts_with(b.downloads()));
    assert_eq!(file.file_name().unwrap(), "report.xlsx");
    assert_eq!(std::fs::read(&file).unwrap(), *xlsx);

    b.close().await;
}

/// A Browser dropped without `close` (as in a panic) still ends its session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chromium peer: scripts/test.sh, or scripts/peers/chromium.sh start"]
async fn a_dropped_browser_ends_its_session() {
    let Some(b) = Browser::open_with(Window::Phone).await else { return };
    let webdriver = std::env::var("TREECAST_WEBDRIVER").unwrap();
    let url = format!("{}/session/{}/url", webdriver.trim_end_matches('/'), b.session_id());
    assert_eq!(browser::get(&url, None).await.status, 200);
    let dropped = std::thread::spawn(move || {
        let _b = b;
        panic!("a test failing with its browser open");
    })
    .join();
    assert!(dropped.is_err());
    let after = browser::get(&url, None).await;
    assert_eq!(after.status, 404, "{after:?}");
    assert!(after.body.contains("invalid session id"), "{}", after.body);
}
