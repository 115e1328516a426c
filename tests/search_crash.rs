//! Crash test of search indexing: a child process sends letters (each with
//! its event, in one batch) while the search index follows the event log,
//! and is killed with SIGKILL at random moments, again and again. After the
//! last restart the index catches up: every letter in the store is found
//! once, none missing, none doubled.

use std::process::{Command, Stdio};
use std::time::Duration;

use rand::Rng;
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::features::mailbox::letters::{self, Kind, Party};
use treecast::features::mailbox::send::{send, Outgoing};
use treecast::store::Store;
use treecast::tree::people::Role;
use treecast::tree::{import, Levels, Tree};

const CHILD_ENV: &str = "TREECAST_SEARCH_CRASH_CHILD";
const TITLE: &str = "志愿服务周报";

fn open(dir: &str) -> App {
    let tree = Tree::new(Store::open(std::path::Path::new(dir)).unwrap(), Levels::default_levels()).unwrap();
    if tree.by_code("43").unwrap().is_none() {
        import::import_str(&tree, "sample", include_str!("../config/sample-orgs.csv"), None).unwrap();
        for (name, code) in [("湖南大学团委 刘老师", "4143010533"), ("湖南省 张老师", "43")] {
            let p = tree.add_person(name).unwrap();
            tree.add_identity(p.id, treecast_wire::Platform::Console, code).unwrap();
            tree.grant(p.id, &tree.require(code).unwrap(), Role::Official).unwrap();
        }
        tree.store.flush().unwrap();
    }
    App::new(tree, Config::default(), Clock::system()).unwrap()
}

/// The child: letters and indexing interleaved until killed.
#[test]
fn child_sends_and_indexes_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let app = open(&dir);
    let tree = app.tree().clone();
    let (hnu, hunan) = (tree.require("4143010533").unwrap(), tree.require("43").unwrap());
    let author = tree.person_by_identity(treecast_wire::Platform::Console, "4143010533").unwrap().unwrap();
    for i in 0..1_000_000u64 {
        let title = format!("{TITLE} 第{i}期");
        let out = Outgoing::letter(
            Party::Org(hnu.id),
            std::slice::from_ref(&hunan),
            Kind::Report,
            title,
            "本周开展志愿服务。".into(),
            author.id,
        );
        send(&app.ctx, out).unwrap();
        if i % 3 == 0 {
            app.catch_up().unwrap();
        }
    }
}

/// How many documents a search for the letters' title finds (an operator
/// sees all), counted page by page.
fn found(app: &App) -> u64 {
    let mut n = 0;
    for page in 1.. {
        let args = serde_json::json!({ "q": TITLE, "kind": "letter", "page": page });
        let text = app.registry.admin(&app.ctx, "search.query", args).unwrap().text;
        n += text.lines().filter(|l| l.contains("[信件 letter]")).count() as u64;
        if !text.contains("更多结果") {
            return n;
        }
    }
    unreachable!()
}

#[test]
fn killed_while_indexing_the_index_catches_up_with_nothing_missing_or_doubled() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    for _ in 0..6 {
        let mut child = Command::new(&me)
            .args(["--exact", "child_sends_and_indexes_until_killed", "--nocapture"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(800..2500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let app = open(dir.path().to_str().unwrap());
    while app.catch_up().unwrap() > 0 {}
    let mut stored = 0;
    letters::each(app.ctx.store(), |_| {
        stored += 1;
        Ok(())
    })
    .unwrap();
    assert!(stored > 10, "the children sent letters: {stored}");
    assert_eq!(found(&app), stored, "every stored letter found exactly once");
}
