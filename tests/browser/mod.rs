//! Browser tests' harness: a real headless Chromium driven over WebDriver
//! (fantoccini) through the chromedriver peer (`scripts/peers/chromium.sh`).
//! A test file takes it with `mod browser;` and opens one session per test:
//!
//! ```ignore
//! let Some(b) = Browser::open().await else { return };
//! b.goto(&url).await;
//! b.fill("#title", "团委 通知").await;
//! b.submit("form#note").await;
//! b.wait_for_text("已收到").await;
//! b.close().await;
//! ```
//!
//! `TREECAST_WEBDRIVER` (from `scripts/peers/chromium.sh env`) names the
//! driver. Unset, the test says it is skipped and returns, unless `CI=true`,
//! where it fails: CI starts every peer. Set but unreachable, it fails.
//!
//! Every session gets a fresh Chromium profile and its own download folder;
//! screenshots and downloads stay in one folder per run, printed when used.
//! A session is ended by `close`, or when the `Browser` is dropped (also in a
//! panic): otherwise chromedriver keeps its Chromium running.
//!
//! WebDriver does not tell a page's HTTP status: `get` and `post_form` make
//! plain requests (no redirect followed) with a cookie of the test's choice,
//! e.g. the browser's own (`Browser::cookie_header`) or a forged one.

#![allow(dead_code)] // not every includer uses each helper

#[path = "../scenario/wait.rs"]
mod wait;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub use wait::poll;

/// How long the `wait_*` helpers wait before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The window a session renders in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// A phone held upright (390 x 844 CSS pixels, an iPhone 12 to 15).
    Phone,
    /// A laptop screen (1280 x 800).
    Desktop,
}

impl Window {
    pub fn size(self) -> (u32, u32) {
        match self {
            Window::Phone => (390, 844),
            Window::Desktop => (1280, 800),
        }
    }
}

/// One WebDriver session: one headless Chromium with a fresh profile.
pub struct Browser {
    client: Option<Client>,
    webdriver: String,
    session: String,
    downloads: PathBuf,
    // Removed after the session ends (fields drop after `Drop::drop`).
    _profile: tempfile::TempDir,
}

/// The folder this run's screenshots and downloads go to, kept after the run.
pub fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let dir = std::env::temp_dir().join("treecast-browser").join(format!("{secs}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the browser tests' run folder");
        dir
    })
}

fn next_number() -> usize {
    static N: AtomicUsize = AtomicUsize::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Chromium's switches. The machine's network is closed: everything that
/// would phone home is off, or Chromium keeps retrying refused connections.
fn chromium_args(window: Window, profile: &Path) -> Vec<String> {
    let (w, h) = window.size();
    let mut args: Vec<String> = [
        "--headless=new",
        // Needed as root; the pages are the tests' own.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--no-pings",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        // Pages, dates and number fields as a Chinese official sees them.
        "--lang=zh-CN",
    ]
    .map(String::from)
    .into();
    args.push(format!("--window-size={w},{h}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

impl Browser {
    /// A desktop-sized session, or None (after saying so) when no driver is
    /// configured outside CI.
    pub async fn open() -> Option<Browser> {
        Browser::open_with(Window::Desktop).await
    }

    /// A session in the given window, or None as for `open`.
    pub async fn open_with(window: Window) -> Option<Browser> {
        let webdriver = match std::env::var("TREECAST_WEBDRIVER") {
            Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => {
                let hint = "scripts/peers/chromium.sh start && eval \"$(scripts/peers/chromium.sh env)\"";
                if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                    panic!("TREECAST_WEBDRIVER is unset in CI; the chromium peer must run: {hint}");
                }
                println!("browser tests skipped: TREECAST_WEBDRIVER is unset (run {hint})");
                return None;
            }
        };
        let n = next_number();
        let downloads = run_dir().join(format!("downloads-{n}"));
        std::fs::create_dir_all(&downloads).unwrap();
        let profile = tempfile::Builder::new().prefix("treecast-chromium-").tempdir().unwrap();
        let binary = std::env::var("TREECAST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut options = json!({
            "args": chromium_args(window, profile.path()),
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "safebrowsing.enabled": false,
            },
        });
        if Path::new(&binary).exists() {
            options["binary"] = json!(binary);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|e| panic!("no Chromium session from the driver at {webdriver}: {e}"));
        let session = client.session_id().await.unwrap().expect("a new session has an id");
        let b = Browser { client: Some(client), webdriver, session, downloads, _profile: profile };
        // --window-size sets the outer window; make the page's viewport the size asked for.
        b.resize(window).await;
        Some(b)
    }

    /// The fantoccini client, for what the helpers below lack.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("session already closed")
    }

    /// This session's WebDriver id.
    pub fn session_id(&self) -> &str {
        &self.session
    }

    /// Ends the session (Chromium quits).
    pub async fn close(mut self) {
        if let Some(c) = self.client.take() {
            c.close().await.expect("end the WebDriver session");
        }
    }

    /// Makes the page's viewport (`window.innerWidth` x `innerHeight`) the window's size.
    pub async fn resize(&self, window: Window) {
        let (w, h) = window.size();
        let c = self.client();
        c.set_window_size(w, h).await.unwrap();
        // Headless windows have no frame, but measure in case one does.
        let inner = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
        let (iw, ih) = (inner[0].as_u64().unwrap() as u32, inner[1].as_u64().unwrap() as u32);
        if (iw, ih) != (w, h) {
            c.set_window_size(w + (w - iw.min(w)), h + (h - ih.min(h))).await.unwrap();
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client().goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The address the browser shows now.
    pub async fn url(&self) -> String {
        self.client().current_url().await.unwrap().to_string()
    }

    /// The current DOM as HTML.
    pub async fn source(&self) -> String {
        self.client().source().await.unwrap()
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client().find_all(Locator::Css(css)).await.unwrap()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Empties an input or textarea and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        e.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Submits a form as its submit button would (`requestSubmit`: the
    /// submit event fires and the form is validated, so htmx sees it).
    pub async fn submit(&self, form_css: &str) {
        let form = self.find(form_css).await;
        self.js("arguments[0].requestSubmit()", vec![json!(form)]).await;
    }

    /// An element's rendered text (as `innerText`).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Runs `script` as a function body (`arguments[i]` are `args`); its `return` value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client().execute(script, args).await.unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Waits until `css` matches; the first match.
    pub async fn wait_for(&self, css: &str) -> Element {
        poll(&format!("an element matching {css}"), PATIENCE, || async {
            self.client().find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        poll(&format!("the text {text:?} on the page"), PATIENCE, || async {
            let body = self.client().execute("return document.body ? document.body.innerText : ''", vec![]).await;
            body.ok().filter(|b| b.as_str().is_some_and(|b| b.contains(text))).map(|_| ())
        })
        .await
    }

    /// Waits until the address contains `part`.
    pub async fn wait_for_url(&self, part: &str) {
        poll(&format!("an address containing {part:?}"), PATIENCE, || async {
            self.client().current_url().await.ok().filter(|u| u.as_str().contains(part)).map(|_| ())
        })
        .await
    }

    /// Every cookie of the current page as (name, value), HttpOnly ones too.
    pub async fn cookies(&self) -> Vec<(String, String)> {
        let all = self.client().get_all_cookies().await.unwrap();
        all.iter().map(|c| (c.name().to_owned(), c.value().to_owned())).collect()
    }

    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().await.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The current page's cookies as a `Cookie:` header value, for `get`/`post_form`.
    pub async fn cookie_header(&self) -> String {
        let all = self.cookies().await;
        all.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Sets a cookie for the current page's host (path `/`, SameSite=Lax).
    /// Chromium refuses one without a domain (fantoccini sends a null one)
    /// and SameSite=None without Secure, so both are given.
    pub async fn add_cookie(&self, name: &str, value: &str) {
        let url = self.client().current_url().await.unwrap();
        let host = url.host_str().expect("add_cookie needs a page from a host open");
        let c = Cookie::parse(format!("{name}={value}; Path=/; Domain={host}; SameSite=Lax"))
            .unwrap_or_else(|e| panic!("cookie {name}={value}: {e}"));
        self.client().add_cookie(c).await.unwrap_or_else(|e| panic!("add cookie {name}: {e}"));
    }

    pub async fn delete_cookie(&self, name: &str) {
        self.client().delete_cookie(name).await.unwrap_or_else(|e| panic!("delete cookie {name}: {e}"));
    }

    /// Saves a PNG of the viewport in the run folder and prints its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.unwrap();
        let path = run_dir().join(format!("{:02}-{name}.png", next_number()));
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }

    /// This session's download folder.
    pub fn downloads(&self) -> &Path {
        &self.downloads
    }

    /// Waits until a download ending in `.ext` is complete in the download
    /// folder (no `.crdownload` left, size steady); its path.
    pub async fn wait_for_download(&self, ext: &str) -> PathBuf {
        let suffix = format!(".{ext}");
        let mut last: Option<(PathBuf, u64)> = None;
        poll(&format!("a {suffix} download in {}", self.downloads.display()), PATIENCE, || {
            let mut found = None;
            let mut partial = false;
            for e in std::fs::read_dir(&self.downloads).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                partial |= name.ends_with(".crdownload");
                if name.ends_with(&suffix) {
                    found = Some((e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)));
                }
            }
            let done = match (&found, &last) {
                (Some(now), Some(before)) if !partial && now == before => Some(now.0.clone()),
                _ => None,
            };
            last = found;
            async move { done }
        })
        .await
    }
}

impl Drop for Browser {
    /// Ends a session that `close` did not (a panic, an early return):
    /// a plain blocking DELETE, so it works without a running runtime.
    fn drop(&mut self) {
        if self.client.take().is_none() {
            return;
        }
        let Some(hostport) = self.webdriver.strip_prefix("http://").map(|r| r.split('/').next().unwrap_or(r)) else {
            return;
        };
        let ended = (|| -> std::io::Result<()> {
            let addr =
                std::net::ToSocketAddrs::to_socket_addrs(hostport)?.next().ok_or(std::io::ErrorKind::NotFound)?;
            let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            let prefix = self.webdriver.strip_prefix("http://").unwrap()[hostport.len()..].to_owned();
            write!(
                s,
                "DELETE {prefix}/session/{} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            )?;
            // chromedriver answers once the session is gone; its headers will do
            // (it keeps the connection open, so reading to the end would wait).
            let (mut reply, mut buf) = (Vec::new(), [0u8; 1024]);
            while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                reply.extend_from_slice(&buf[..n]);
            }
            Ok(())
        })();
        if let Err(e) = ended {
            eprintln!("browser: could not end WebDriver session {}: {e}", self.session);
        }
    }
}

/// A plain HTTP reply: what the browser does not tell.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// `Location`, for redirects (they are not followed).
    pub location: Option<String>,
    /// Every `Set-Cookie` value.
    pub set_cookies: Vec<String>,
    pub body: String,
}

/// A plain request with the given headers (e.g. `("cookie", "session=…")`).
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<Bytes>>(HttpConnector::new());
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body))).unwrap();
    let res = tokio::time::timeout(PATIENCE, client.request(req))
        .await
        .unwrap_or_else(|_| panic!("{method} {url}: no answer in {PATIENCE:?}"))
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let header =
        |n: &str| res.headers().get_all(n).iter().filter_map(|v| v.to_str().ok().map(String::from)).collect::<Vec<_>>();
    let (location, set_cookies) = (header("location").into_iter().next(), header("set-cookie"));
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, location, set_cookies, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// GET with an optional `Cookie:` header.
pub async fn get(url: &str, cookie: Option<&str>) -> Reply {
    let headers: Vec<_> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    request("GET", url, &headers, Vec::new()).await
}

/// POST of an urlencoded form, as a browser sends it, with an optional `Cookie:` header.
pub async fn post_form(url: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
    let body = fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&");
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    headers.extend(cookie.map(|c| ("cookie", c)));
    request("POST", url, &headers, body.into_bytes()).await
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Width and height of a PNG, from its header.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24, "not a PNG");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}
