//! The binary as an operator runs it, from outside the repository.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_treecast");

/// The demo used to fail anywhere but the repository root (it read
/// config/universities.csv and config/surveys from the working directory).
#[test]
fn the_demo_runs_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["demo", "--branches", "3"]).current_dir(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("demo finished"), "{stdout}");
    assert!(stdout.contains("湖南大学"), "the survey roll-up names the school: {stdout}");
}

fn treecast(cfg: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--config").arg(cfg).args(args).output().unwrap()
}

/// A real-sized list: 10,000 members from a file (the comma-separated flag
/// hit "Argument list too long"), every bad line named at once, then members
/// added and removed without rebinding.
#[test]
fn a_mailing_list_of_ten_thousand_from_a_file_and_members_added_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("treecast.toml");
    std::fs::write(&cfg, format!("data_dir = {:?}\n[console]\nquiet = true\n", dir.path().join("data"))).unwrap();
    let orgs = concat!(env!("CARGO_MANIFEST_DIR"), "/config/sample-orgs.csv");
    assert!(treecast(&cfg, &["tree", "import", orgs]).status.success());
    let mut text = String::from("# 计算机2301 全体成员\n");
    for i in 0..10_000 {
        text.push_str(&format!("s{i:05}@stu.hnu.edu.cn\n"));
    }
    let bad = format!("{text}not an address\nx@y\n");
    let file = dir.path().join("members.txt");
    std::fs::write(&file, &bad).unwrap();
    let list = ["--list", "jsj2301@lists.hnu.edu.cn", "--members-file", file.to_str().unwrap()];
    let out = treecast(&cfg, &[&["org", "bind-list", "4143010533-001"][..], &list[..]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("members.txt:10002:") && err.contains("members.txt:10003:"), "{err}");
    std::fs::write(&file, &text).unwrap();
    let out = treecast(&cfg, &[&["org", "bind-list", "4143010533-001"][..], &list[..]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(10000 addresses)"));
    let edit = ["org", "members", "4143010533-001", "--list", "jsj2301@lists.hnu.edu.cn"];
    let out = treecast(
        &cfg,
        &[&edit[..], &["--add", "New@Stu.hnu.edu.cn,s00001@stu.hnu.edu.cn", "--remove", "s00002@stu.hnu.edu.cn"]]
            .concat(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("now has 10000 addresses"));
    let out =
        treecast(&cfg, &["org", "members", "4143010533-002", "--list", "jsj2301@lists.hnu.edu.cn", "--add", "a@b.cn"]);
    assert!(!out.status.success(), "another org's list is not edited");
}

/// `treecast worker` without a `[cluster]` section, and a `[cluster]` that
/// names no server: one sentence each, Chinese first, nothing started.
#[test]
fn a_worker_without_a_cluster_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("treecast.toml");
    std::fs::write(&cfg, format!("data_dir = {:?}\n[console]\nquiet = true\n", dir.path().join("data"))).unwrap();
    let out = treecast(&cfg, &["worker"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let expected =
        if cfg!(feature = "cluster") { "需要配置 [cluster]" } else { "此版本不含投递工作进程" };
    assert!(err.contains(expected), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    std::fs::write(&cfg, format!("data_dir = {:?}\n[cluster]\nreplicas = 3\n", dir.path().join("data"))).unwrap();
    let out = treecast(&cfg, &["serve"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("cluster.nats: write the NATS server URL"), "{err}");
}

/// Without a server, what one command did shows in the next one's views:
/// an offline import of chats is in the org's audit log at once.
#[test]
fn offline_acts_are_in_the_audit_log_of_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("treecast.toml");
    std::fs::write(&cfg, format!("data_dir = {:?}\n[console]\nquiet = true\n", dir.path().join("data"))).unwrap();
    let orgs = concat!(env!("CARGO_MANIFEST_DIR"), "/config/sample-orgs.csv");
    assert!(treecast(&cfg, &["tree", "import", orgs]).status.success());
    let chats = dir.path().join("旧账号.csv");
    std::fs::write(&chats, "code,platform,chat,name\n4143010533,matrix,!hnu:example.org,湖南大学团委\n").unwrap();
    let out = treecast(&cfg, &["org", "import-channels", chats.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit = treecast(&cfg, &["audit", "--org", "4143010533"]);
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(text.contains("运维人员") && text.contains("绑定渠道"), "{text}");
}

/// `serve` with the console reading stdin stops on SIGTERM while stdin stays
/// open (tokio's stdin used to hold the runtime until a line was typed).
#[test]
fn serve_reading_stdin_stops_on_sigterm() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("treecast.toml");
    let toml = format!(
        "data_dir = {:?}\n[console]\nstdin = true\n[admin]\nlisten = \"\"\nsocket = false\n[web]\nlisten = \"127.0.0.1:0\"\n",
        dir.path().join("data")
    );
    std::fs::write(&cfg, toml).unwrap();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .arg("serve")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open (never written, never closed) until the end of the test.
    let _stdin = child.stdin.take();
    let web = dir.path().join("data").join("web.addr");
    let started = Instant::now();
    while !web.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let asked = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if asked.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("serve still running 20 s after SIGTERM with stdin open");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("网页工作台："), "the console's address is said at start: {err}");
    assert!(!web.exists(), "the console's address file is removed at stop");
}
