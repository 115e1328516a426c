//! Crash test: the real binary is killed with SIGKILL at random moments
//! during a large fan-out, restarted, again and again; in the end every
//! channel has the notice exactly once (the console adapter's delivery log
//! de-duplicates by delivery id, as Matrix transaction ids do) and the
//! status agrees.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_treecast");

fn treecast(cfg: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run treecast");
    assert!(out.status.success(), "treecast {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn serve(cfg: &Path) -> Child {
    Command::new(BIN)
        .arg("--config")
        .arg(cfg)
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve")
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[test]
fn sigkill_during_a_large_fan_out_loses_nothing_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("deliveries.tsv");
    let cfg = dir.path().join("treecast.toml");
    std::fs::write(
        &cfg,
        format!("data_dir = {:?}\n[console]\nquiet = true\nrecord = {:?}\n", dir.path().join("data"), log),
    )
    .unwrap();
    treecast(&cfg, &["tree", "generate", "--branches", "40"]);
    treecast(&cfg, &["org", "bind-console", "--level", "branch"]);
    treecast(&cfg, &["person", "add", "王老师", "--id", "console:admin", "--official", "CN"]);
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "各高校团委：请组织各团支部开展主题团日活动。").unwrap();
    let posted = treecast(
        &cfg,
        &[
            "notice",
            "post",
            "--org",
            "CN",
            "--title",
            "崩溃测试通知",
            "--body-file",
            body.to_str().unwrap(),
            "--author",
            "console:admin",
        ],
    );
    let expected = 2756 * 40;
    assert!(posted.contains(&format!("{expected} channels")), "{posted}");

    let mut rng = rand::rng();
    // Kill at random moments until at least ten kills landed mid-fan-out.
    let mut progress = Vec::new();
    for _ in 0..40 {
        let mut child = serve(&cfg);
        std::thread::sleep(Duration::from_millis(rng.random_range(100..450)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let done = lines(&log).len();
        if done >= expected {
            break;
        }
        progress.push(done);
        if progress.len() >= 12 {
            break;
        }
    }
    assert!(progress.len() >= 10, "fewer than ten kills landed mid-fan-out: {progress:?}");
    assert!(progress.windows(2).any(|w| w[0] < w[1]), "progress was made between kills: {progress:?}");

    // A last run finishes the work; then a clean stop.
    let mut child = serve(&cfg);
    let deadline = Instant::now() + Duration::from_secs(120);
    while lines(&log).len() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    child.wait().unwrap();

    let all = lines(&log);
    let (copies, others): (Vec<&String>, Vec<&String>) =
        all.iter().partition(|l| l.contains("-c") && l.starts_with('n'));
    let ids: HashSet<&str> = copies.iter().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(copies.len(), expected, "every channel exactly once (kills after: {progress:?})");
    assert_eq!(ids.len(), expected, "no delivery id twice");
    assert_eq!(others.len(), 1, "one summary to the author: {others:?}");
    assert!(others[0].contains("-summary") && others[0].contains("console:dm:admin"), "{others:?}");
    let channels: HashSet<&str> = ids.iter().map(|id| id.split("-c").nth(1).unwrap()).collect();
    assert_eq!(channels.len(), expected, "each copy went to a different channel");
    let notice = ids.iter().next().unwrap().split('-').next().unwrap().trim_start_matches('n');
    let status = treecast(&cfg, &["notice", "status", notice]);
    assert!(status.contains(&format!("delivered {expected}/{expected}")), "{status}");
    assert!(status.contains("failed 0"), "{status}");
}
