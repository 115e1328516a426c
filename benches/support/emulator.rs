//! What the Telegram benches share: the emulator's control API over a bare
//! HTTP/1.1 request (the root package has no HTTP client of its own;
//! adapters own theirs), and the national tree of 2,756 schools.

use std::path::Path;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use treecast::store::Store;
use treecast::tree::{generate, import, Levels, Tree};

pub const NEEDS_PEER: &str =
    "needs the telegram peer: scripts/peers/telegram.sh start, then eval \"$(scripts/peers/telegram.sh env)\"";

/// `METHOD /_control/PATH` on the emulator at `api`; its `result`.
pub async fn control(api: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let host = api.trim_end_matches('/').strip_prefix("http://").unwrap_or_else(|| panic!("{api}: http only"));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} /_control/{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap_or_else(|e| panic!("{e}; {NEEDS_PEER}"));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (_, json) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer from {path}: {raw}"));
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{path}: {e}: {json}"));
    assert_eq!(v["ok"], json!(true), "control {path} failed: {v}");
    v["result"].clone()
}

/// The national tree (one branch per school) in a store under `dir`.
#[allow(dead_code)] // not every bench including this uses both
pub fn national(dir: &Path) -> Tree {
    national_in(&dir.join("db"))
}

/// The national tree in the store at `db`.
#[allow(dead_code)]
pub fn national_in(db: &Path) -> Tree {
    let tree = Tree::new(Store::open(db).unwrap(), Levels::default_levels()).unwrap();
    let schools =
        generate::read_schools(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv")).unwrap();
    import::import_str(&tree, "national", &generate::national_csv(&schools, 1), None).unwrap();
    tree
}
