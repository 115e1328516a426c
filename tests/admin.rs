//! The command line beside a running `treecast serve`: every subcommand
//! goes through the admin API and prints what it prints on the store
//! itself; the API refuses requests without the token and never logs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_treecast");
const TOKEN: &str = "tok-9f2c41d7e3b5";
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/sample-orgs.csv");
const SURVEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/surveys/sixiang-dongtai.toml");

struct Place {
    dir: PathBuf,
    cfg: PathBuf,
}

fn place(root: &Path, name: &str) -> Place {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("treecast.toml");
    let toml =
        format!("data_dir = {:?}\n[console]\nquiet = true\n[admin]\nlisten = \"127.0.0.1:0\"\n", dir.join("data"));
    std::fs::write(&cfg, toml).unwrap();
    std::fs::write(dir.join("body.txt"), "请各团支部于本周五前完成团员信息核对。\n").unwrap();
    std::fs::write(dir.join("附件.txt"), "名单").unwrap();
    let chats = "code,platform,chat,name\n4143010533-001,telegram,-1001001,计算机2023级1班\n4143010533,matrix,!hnu:example.org,湖南大学团委\n";
    std::fs::write(dir.join("旧账号.csv"), chats).unwrap();
    std::fs::write(dir.join("坏账号.csv"), "code,platform,chat,name\n9999,telegram,x,坏\n").unwrap();
    let export = r#"{"name": "班群", "messages": [{"id": 1, "type": "message", "date": "2023-09-01T10:00:00", "date_unixtime": "1693533600", "from": "李明", "text": "周五团日活动"}]}"#;
    std::fs::write(dir.join("result.json"), export).unwrap();
    let survey = "title = \"团课反馈\"\ndays = 7\n[[questions]]\ntype = \"single\"\ntext = \"本次团课有收获吗？\"\nchoices = [\"有\", \"没有\"]\n";
    std::fs::write(dir.join("团课反馈.toml"), survey).unwrap();
    let campaign = "title = \"团委微博建设\"\n[target]\nlevel = \"school\"\n[[steps]]\ntitle = \"负责人信息\"\nkind = \"form\"\ndays = 7\n[[steps.fields]]\ntype = \"mobile\"\ntext = \"手机\"\n[[steps]]\ntitle = \"设置头像\"\nkind = \"manual\"\ndays = 10\n";
    std::fs::write(dir.join("部署.toml"), campaign).unwrap();
    std::fs::write(dir.join("坏部署.toml"), campaign.replace("kind = \"manual\"", "kind = \"handmade\"")).unwrap();
    Place { dir, cfg }
}

fn treecast(p: &Place, args: &[&str], token: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.arg("--config").arg(&p.cfg).args(args).current_dir(&p.dir).env_remove("TREECAST_DATA_DIR");
    match token {
        Some(t) => c.env("TREECAST_ADMIN_TOKEN", t),
        None => c.env_remove("TREECAST_ADMIN_TOKEN"),
    };
    c.output().unwrap()
}

fn serve(p: &Place) -> Child {
    let child = Command::new(BIN)
        .arg("--config")
        .arg(&p.cfg)
        .arg("serve")
        .current_dir(&p.dir)
        .env("TREECAST_ADMIN_TOKEN", TOKEN)
        .env("TREECAST_LOG", "debug")
        .env_remove("TREECAST_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(p.dir.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let sock = p.dir.join("data/admin.sock");
    let t = Instant::now();
    while !sock.exists() {
        assert!(t.elapsed() < Duration::from_secs(30), "serve did not open its admin socket");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn stop(mut child: Child) {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "serve stopped with {status}");
}

/// Every operator subcommand once, in an order where each has something to do.
fn every_subcommand() -> Vec<Vec<&'static str>> {
    let w = "email:wang@hnu.edu.cn";
    vec![
        vec!["tree", "import", SAMPLE],
        vec!["tree", "stats"],
        vec!["tree", "show", "4143010533"],
        vec!["tree", "show", "9999"],
        // Before anything happened, so the scores do not wait on the log.
        vec!["rank"],
        vec!["rank", "--recompute"],
        vec!["rank", "--org", "43"],
        vec!["tree", "rename", "4143010533-002", "软件工程2023级2班团支部"],
        vec!["tree", "move", "4143010534-001", "4143010533"],
        vec!["tree", "generate", "--branches", "1", "--csv", "national.csv"],
        vec!["tree", "export", "exported.csv"],
        vec!["search", "--rebuild"],
        vec!["search", "hndx"],
        vec!["search", "团委", "--org", "43", "--kind", "org"],
        vec!["search", "\"团委"],
        vec!["person", "add", "王老师", "--id", w, "--official", "4143010533"],
        vec!["person", "add", "学生一", "--id", "telegram:1001", "--member", "4143010533-001"],
        vec!["person", "add", "湖南老师", "--id", "email:hn@tw.example", "--official", "43"],
        vec!["msg", "send", "--by", w, "--report", "--title", "第一季度工作总结", "--body-file", "body.txt"],
        vec!["msg", "send", "--by", w, "--to", "4142010486", "--title", "越级", "--body-file", "body.txt"],
        vec!["msg", "inbox", "--by", "email:hn@tw.example"],
        vec!["org", "invite", "4143010533-001"],
        vec!["org", "invite", "--under", "43", "--level", "branch", "--csv", "codes.csv"],
        vec!["org", "invite", "--under", "43"],
        vec!["org", "bind", "4143010533-002", "telegram:-100555"],
        vec!["org", "modules", "4143010533"],
        vec!["org", "brand", "--under", "43"],
        vec!["org", "module", "43", "话题", "off-below"],
        vec!["org", "module", "43", "话题", "reset"],
        vec!["org", "module", "43", "微博", "off"],
        vec!["org", "module-default", "bridge", "branch", "off"],
        vec!["org", "module-default", "bridge", "branch", "maybe"],
        vec!["org", "import-channels", "坏账号.csv"],
        vec!["org", "import-channels", "旧账号.csv"],
        vec!["org", "import-channels", "旧账号.csv"],
        vec!["org", "import-history", "--org", "4143010533-001", "result.json"],
        vec!["org", "import-history", "--org", "4143010533-001", "result.json"],
        vec!["org", "import-history", "--org", "4143010533-001", "body.txt"],
        vec!["org", "channels", "--under", "43"],
        vec!["org", "unbind", "telegram:-100555"],
        vec!["org", "unbind", "telegram:-100555"],
        vec!["org", "channels", "--unbound", "--level", "branch"],
        vec![
            "org",
            "bind-list",
            "4143010533",
            "--list",
            "tw@lists.hnu.edu.cn",
            "--members",
            "a@hnu.edu.cn,b@hnu.edu.cn",
        ],
        vec![
            "org",
            "members",
            "4143010533",
            "--list",
            "tw@lists.hnu.edu.cn",
            "--add",
            "c@hnu.edu.cn",
            "--remove",
            "a@hnu.edu.cn",
        ],
        vec![
            "notice",
            "post",
            "--org",
            "4143010533",
            "--title",
            "关于核对团员信息的通知",
            "--body-file",
            "body.txt",
            "--author",
            w,
            "--attach",
            "附件.txt",
        ],
        vec!["notice", "status", "99"],
        vec!["notice", "remind", "1", "--by", w],
        vec!["notice", "remind", "1", "--by", "telegram:1001"],
        vec!["notice", "list"],
        vec!["survey", "check", SURVEY],
        vec!["survey", "launch", SURVEY, "--org", "4143010533", "--by", w],
        vec!["survey", "launch", "团课反馈.toml", "--org", "4143010533", "--by", w],
        vec!["survey", "list"],
        vec!["survey", "results", "1", "--csv", "results.csv"],
        vec!["survey", "results", "2", "--csv", "results.csv", "--xlsx", "results.xlsx"],
        vec!["survey", "close", "1"],
        vec!["campaign", "check", "坏部署.toml"],
        vec!["campaign", "launch", "部署.toml", "--org", "43", "--by", "email:hn@tw.example"],
        vec!["campaign", "launch", "部署.toml", "--org", "43", "--by", w],
        vec!["campaign", "list"],
        vec!["campaign", "mark", "1", "1", "4143010533"],
        vec!["campaign", "mark", "1", "2", "4143010533"],
        vec!["campaign", "status", "1", "--csv", "compliance.csv", "--forms-xlsx", "forms.xlsx"],
        vec!["campaign", "status", "1", "--org", "4143010533"],
        vec!["org", "bind-console", "--level", "branch"],
        vec!["tree", "delete", "4143010534"],
        vec!["tree", "delete", "4143010534", "--cascade"],
    ]
}

/// What a run printed, with what differs by nature between two runs blanked:
/// bind codes, survey links, the minute, and person numbers (sled's
/// `generate_id` jumps ahead each time a process opens the store).
fn transcript(p: &Place, token: Option<&str>) -> Vec<String> {
    let code =
        regex::Regex::new(r"\b[A-Z0-9]{8}\b|s\d+[a-z0-9]{4,}|\d{4}-\d\d-\d\d \d\d:\d\d|\(#\d+\)|（#\d+）|channel #\d+|渠道 #\d+|#\d+ (console|telegram|matrix|email):|#\d+ \[").unwrap();
    every_subcommand()
        .iter()
        .map(|args| {
            let out = treecast(p, args, token);
            let text = format!(
                "$ {}\n{}{}[exit {}]",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                out.status.code().unwrap_or(-1)
            );
            code.replace_all(&text.replace(p.dir.to_str().unwrap(), "DIR"), "<v>").into_owned()
        })
        .collect()
}

#[test]
fn every_subcommand_prints_the_same_with_and_without_a_running_server() {
    let root = tempfile::tempdir().unwrap();
    let (live, plain) = (place(root.path(), "live"), place(root.path(), "plain"));
    std::fs::create_dir_all(live.dir.join("data")).unwrap();
    // The store must exist before serve starts (it opens or creates it).
    let server = serve(&live);
    let through_api = transcript(&live, Some(TOKEN));
    // A status through the API, then the same on the store once stopped.
    let status_live = treecast(&live, &["notice", "status", "1"], Some(TOKEN));
    let refused = treecast(&live, &["tree", "stats"], None);
    stop(server);
    let status_after = treecast(&live, &["notice", "status", "1"], None);
    let on_store = transcript(&plain, None);
    for (a, b) in through_api.iter().zip(&on_store) {
        assert_eq!(a, b, "through the API (left) and on the store (right) differ");
    }
    assert_eq!(through_api.len(), every_subcommand().len());
    assert!(through_api.iter().any(|t| t.contains("[exit 1]")), "errors are among the cases");
    assert_eq!(String::from_utf8_lossy(&status_live.stdout), String::from_utf8_lossy(&status_after.stdout));
    assert!(String::from_utf8_lossy(&status_live.stdout).contains("关于核对团员信息的通知"));
    // Files the operations wrote land where the operator asked, both ways.
    for p in [&live, &plain] {
        assert!(std::fs::read_to_string(p.dir.join("results.csv")).unwrap().contains("本次团课有收获吗"));
        assert!(std::fs::read(p.dir.join("results.xlsx")).unwrap().starts_with(b"PK"), "an xlsx is a zip");
        assert!(std::fs::read_to_string(p.dir.join("national.csv")).unwrap().contains("湖南大学"));
        assert_eq!(std::fs::read_to_string(p.dir.join("codes.csv")).unwrap().lines().count(), 4, "3 branches of 湖南");
        assert_eq!(std::fs::read_to_string(p.dir.join("exported.csv")).unwrap().lines().count(), 11, "10 orgs");
    }
    assert_eq!(
        std::fs::read(live.dir.join("national.csv")).unwrap(),
        std::fs::read(plain.dir.join("national.csv")).unwrap()
    );
    // Without the token, the command line says what to do (both languages).
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("TREECAST_ADMIN_TOKEN") && err.contains("正在使用"), "{err}");
    assert!(!live.dir.join("data/admin.sock").exists(), "the socket goes with the server");
}

#[path = "support/http.rs"]
mod support;

/// A request to the API's TCP address with `auth` as the Authorization header: (status, body).
fn http(addr: &str, method: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, String) {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    support::request(addr, method, path, &headers, body)
}

#[test]
fn the_api_refuses_without_the_token_changes_nothing_and_never_logs_it() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let p = place(root.path(), "api");
    assert!(treecast(&p, &["tree", "import", SAMPLE], None).status.success());
    let server = serve(&p);
    let mode = std::fs::metadata(p.dir.join("data/admin.sock")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is the owner's only");
    let addr = std::fs::read_to_string(p.dir.join("data/admin.addr")).unwrap();
    let delete = r#"{"code": "CN", "cascade": true}"#;
    for auth in [None, Some("Bearer wrong"), Some(TOKEN), Some("Bearer ")] {
        let (status, body) = http(&addr, "POST", "/api/v1/tree/delete", auth, delete);
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(body.contains("令牌") && body.contains("token"), "{body}");
    }
    let (status, body) = http(&addr, "POST", "/api/v1/tree/stats", Some(&format!("Bearer {TOKEN}")), "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("total") && body.contains("10"), "nothing was deleted: {body}");
    let (status, body) =
        http(&addr, "POST", "/api/v1/tree/show", Some(&format!("Bearer {TOKEN}")), r#"{"code":"ZZZ"}"#);
    assert_eq!(status, 404, "{body}");
    let (status, body) = http(&addr, "POST", "/api/v1/tree/show", Some(&format!("Bearer {TOKEN}")), "{not json");
    assert_eq!(status, 400, "{body}");
    let (status, body) = http(&addr, "GET", "/api/v1/ops", Some(&format!("Bearer {TOKEN}")), "");
    assert_eq!(status, 200);
    assert!(body.contains("\"notice.post\"") && body.contains("\"survey.results\""), "{body}");
    stop(server);
    let log = std::fs::read_to_string(p.dir.join("serve.log")).unwrap();
    assert!(log.contains("admin request refused") && log.contains("POST /api/v1/tree/delete"), "{log}");
    assert!(!log.contains(TOKEN), "the token never appears in the log");
    assert!(!log.contains('\u{1b}'), "no colour codes when stderr is a file");
}

/// The value of one sample in Prometheus text: `name{labels} value`.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with('{') && labels.split(',').all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn metrics_count_a_fan_out_while_it_runs() {
    let root = tempfile::tempdir().unwrap();
    let p = place(root.path(), "metrics");
    assert!(treecast(&p, &["tree", "generate", "--branches", "1"], None).status.success());
    assert!(treecast(&p, &["org", "bind-console", "--level", "branch"], None).status.success());
    let w = "email:wang@hnu.edu.cn";
    assert!(treecast(&p, &["person", "add", "王老师", "--id", w, "--official", "CN"], None).status.success());
    let server = serve(&p);
    let addr = std::fs::read_to_string(p.dir.join("data/admin.addr")).unwrap();
    let auth = format!("Bearer {TOKEN}");
    let (status, before) = http(&addr, "GET", "/metrics", Some(&auth), "");
    assert_eq!(status, 200, "{before}");
    assert_eq!(http(&addr, "GET", "/metrics", None, "").0, 401, "metrics need the token too");
    let delivered = |t: &str| sample(t, "treecast_deliveries_total", r#"platform="console",kind="notice""#);
    assert_eq!(delivered(&before).unwrap_or(0.0), 0.0, "{before}");
    let post = ["notice", "post", "--org", "CN", "--title", "全国通知", "--body-file", "body.txt", "--author", w];
    let out = treecast(&p, &post, Some(TOKEN));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = Instant::now();
    let mut seen = Vec::new();
    let after = loop {
        let (_, text) = http(&addr, "GET", "/metrics", Some(&auth), "");
        let n = delivered(&text).unwrap_or(0.0);
        seen.push(n);
        if n >= 2756.0 || t.elapsed() > Duration::from_secs(60) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    stop(server);
    assert_eq!(delivered(&after), Some(2756.0), "one delivery per branch chat; seen {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "a counter never goes back: {seen:?}");
    for gauge in ["treecast_store_bytes", "treecast_scheduler_lag_seconds", "treecast_notices_sending"] {
        assert!(after.lines().any(|l| l.starts_with(gauge)), "{gauge} in {after}");
    }
    assert!(sample(&after, "treecast_event_log_lag", "subscriber=").is_some(), "{after}");
    assert!(sample(&after, "treecast_inbound_events_total", "").is_none(), "no chat event came in");
}

/// A long operation through the API reports its progress while it runs
/// (the CLI draws it as a bar on a terminal) and forgets it when done.
#[test]
fn a_long_import_through_the_api_reports_its_progress() {
    let root = tempfile::tempdir().unwrap();
    let p = place(root.path(), "progress");
    std::fs::create_dir_all(p.dir.join("data")).unwrap();
    let server = serve(&p);
    let addr = std::fs::read_to_string(p.dir.join("data/admin.addr")).unwrap().trim().to_owned();
    let auth = format!("Bearer {TOKEN}");
    let a = addr.clone();
    let import = std::thread::spawn(move || {
        let auth = format!("Bearer {TOKEN}");
        let headers = [("Authorization", auth.as_str()), ("x-treecast-progress", "p1")];
        support::request(&a, "POST", "/api/v1/tree/generate", &headers, r#"{"branches": 20}"#)
    });
    let mut seen = Vec::new();
    while !import.is_finished() {
        let (status, body) = http(&addr, "GET", "/api/v1/progress/p1", Some(&auth), "");
        if status == 200 {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            seen.push((v["pos"].as_u64().unwrap(), v["len"].as_u64().unwrap()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, resp) = import.join().unwrap();
    assert!(status == 200 && resp.contains("2756"), "{resp}");
    assert!(seen.iter().any(|(pos, len)| *pos > 0 && *len >= *pos), "progress was visible: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "it only goes forward: {seen:?}");
    assert_eq!(http(&addr, "GET", "/api/v1/progress/p1", Some(&auth), "").0, 404, "forgotten when done");
    stop(server);
}
