//! History imports: each format as its exporter writes it (a Telegram
//! export with styled runs and service messages, an Element room export
//! and a plain event array, an mbox with a GBK mail and a quoted From
//! line), search by the org's people only, a second import skipped, and a
//! malformed file of each kind named by its line with nothing imported.

use treecast_wire::Inbound;

use crate::notice::tests::{bed, Bed};

fn import(b: &Bed, org: &str, name: &str, bytes: &[u8]) -> crate::error::Result<String> {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let args = serde_json::json!({"org": org, "name": name, "bytes": data});
    b.app.registry.admin(&b.app.ctx, "archive.import", args).map(|r| r.text)
}

fn count(b: &Bed, code: &str) -> usize {
    super::count(b.app.ctx.store(), b.tree.require(code).unwrap().id).unwrap()
}

const TELEGRAM: &str = r#"{
 "name": "计算机2023级1班",
 "type": "private_supergroup",
 "id": 1234567890,
 "messages": [
  {"id": 1, "type": "service", "date": "2023-09-01T08:00:00", "date_unixtime": "1693526400", "actor": "李明", "action": "create_group", "text": ""},
  {"id": 2, "type": "message", "date": "2023-09-01T10:00:00", "date_unixtime": "1693533600", "from": "李明", "from_id": "user5001", "text": "同学们，周五下午开展主题团日活动。"},
  {"id": 3, "type": "message", "date": "2023-09-02T09:30:00", "from": "王芳", "from_id": "user5002", "text": ["请大家", {"type": "bold", "text": "准时"}, "到图书馆报告厅。"]},
  {"id": 4, "type": "message", "date": "2023-09-02T09:31:00", "date_unixtime": "1693618260", "from": "王芳", "from_id": "user5002", "photo": "photos/1.jpg", "text": ""}
 ]
}"#;

#[tokio::test]
async fn a_telegram_export_is_archived_searchable_by_the_branch_only_and_not_twice() {
    let b = bed().await;
    let done = import(&b, "4143010533-001", "result.json", TELEGRAM.as_bytes()).unwrap();
    assert!(done.contains("新增 2 条，0 条此前已导入") && done.contains("(telegram)"), "{done}");
    let again = import(&b, "4143010533-001", "result.json", TELEGRAM.as_bytes()).unwrap();
    assert!(again.contains("新增 0 条，2 条此前已导入"), "{again}");
    assert_eq!(count(&b, "4143010533-001"), 2);
    b.settle().await;
    let found = b.ask(Inbound::text(Bed::dm("li"), "li", "/search 主题团日")).await;
    assert!(found.contains("[存档 archive] 【存档】计算机科学与技术2023级1班团支部 · 李明"), "{found}");
    assert!(found.contains("2023-09-01"), "the original date: {found}");
    // The styled runs are one text; the older date form is read as China time.
    let runs = b.ask(Inbound::text(Bed::dm("li"), "li", "/search 图书馆报告厅")).await;
    assert!(runs.contains("王芳") && runs.contains("2023-09-02 09:30"), "{runs}");
    let other = b.ask(Inbound::text(Bed::dm("nobody"), "nobody", "/search 主题团日")).await;
    assert!(!other.contains("存档"), "a stranger does not see the branch's archive: {other}");
    b.stop().await;
}

#[tokio::test]
async fn matrix_exports_and_an_mbox_from_chinese_clients_are_archived() {
    let b = bed().await;
    let element = r#"{"room_name": "临床医学2022级2班", "messages": [
      {"type": "m.room.member", "event_id": "$0", "sender": "@a:x", "origin_server_ts": 1693526400000, "content": {"membership": "join"}},
      {"type": "m.room.message", "event_id": "$1", "sender": "@zhao:example.org", "origin_server_ts": 1693533600000, "content": {"msgtype": "m.text", "body": "读书会改到周六晚上"}}
    ]}"#;
    assert!(import(&b, "4143010534-001", "room.json", element.as_bytes()).unwrap().contains("新增 1 条"));
    let events = r#"[{"type": "m.room.message", "event_id": "$2", "sender": "@qian:example.org", "origin_server_ts": 1693620000000, "content": {"body": "收到"}}]"#;
    assert!(import(&b, "4143010534-001", "events.json", events.as_bytes()).unwrap().contains("(matrix)"));
    assert_eq!(count(&b, "4143010534-001"), 2);

    // A Foxmail-style GBK mail, and a body line that began "From " (quoted once).
    let (gbk, _, _) = encoding_rs::GBK.encode("请各班团支部书记周三前提交材料。\n>From 这里开始是正文\n");
    let mut mbox = b"From tw@hnu.edu.cn Mon Sep  4 10:00:00 2023\n\
Message-ID: <a1@hnu.edu.cn>\n\
From: =?GBK?B?zcXOr7DsuavK0g==?= <tw@hnu.edu.cn>\n\
Date: Mon, 4 Sep 2023 10:00:00 +0800\n\
Subject: =?UTF-8?B?5bel5L2c5a6J5o6S?=\n\
Content-Type: text/plain; charset=GBK\n\
Content-Transfer-Encoding: 8bit\n\n"
        .to_vec();
    mbox.extend_from_slice(&gbk);
    mbox.extend_from_slice(
        b"\nFrom li@hnu.edu.cn Tue Sep  5 09:00:00 2023\nMessage-ID: <a2@hnu.edu.cn>\nFrom: li@hnu.edu.cn\nDate: Tue, 5 Sep 2023 09:00:00 +0800\nSubject: Re\n\nshou dao\n",
    );
    let done = import(&b, "4143010533", "tw.mbox", &mbox).unwrap();
    assert!(done.contains("新增 2 条") && done.contains("(mbox)"), "{done}");
    b.settle().await;
    let hnu = b.ask(Inbound::text(Bed::dm("hnu"), "hnu", "/search 提交材料")).await;
    assert!(hnu.contains("【存档】湖南大学团委 · 团委办公室") && hnu.contains("2023-09-04"), "{hnu}");
    let quoted = b.ask(Inbound::text(Bed::dm("hnu"), "hnu", "/search 这里开始是正文")).await;
    assert!(quoted.contains("From 【这里开始是正文】") && !quoted.contains(">From"), "{quoted}");
    b.stop().await;
}

#[tokio::test]
async fn a_malformed_file_is_named_by_its_line_and_nothing_is_imported() {
    let b = bed().await;
    let broken = TELEGRAM
        .replace(r#""from": "王芳", "from_id": "user5002", "text": ["请大家""#, r#""from": "王芳" "text": ["请大家""#);
    let err = import(&b, "4143010533-001", "result.json", broken.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("result.json:8：不是可读的 telegram 导出") && err.contains("未导入任何消息"), "{err}");
    let no_date = TELEGRAM.replace(r#""date": "2023-09-02T09:30:00", "#, "");
    let err = import(&b, "4143010533-001", "result.json", no_date.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("result.json:8：") && err.contains("date"), "{err}");
    let mbox = b"From a@x.cn Mon Sep  4 10:00:00 2023\nDate: Mon, 4 Sep 2023 10:00:00 +0800\nSubject: ok\n\nok\nFrom b@x.cn Mon Sep  4 11:00:00 2023\nSubject: no date\n\nbody\n";
    let err = import(&b, "4143010533", "list.mbox", mbox).unwrap_err().to_string();
    assert!(err.contains("list.mbox:6：这封邮件读不懂"), "{err}");
    let err = import(&b, "4143010533", "notes.txt", "随便写的笔记".as_bytes()).unwrap_err().to_string();
    assert!(err.contains("看不出是哪种导出"), "{err}");
    assert_eq!(count(&b, "4143010533-001") + count(&b, "4143010533"), 0, "nothing from any of them");
    b.stop().await;
}
