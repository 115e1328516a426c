//! Personal data stays out of the logs: the demo (every feature, people on
//! every platform) run with every log line on, and its logs searched for
//! email addresses, mobile numbers and Matrix user ids left unmasked. (The
//! demo's people rarely reach its logs; the end-to-end scenario on the real
//! peers checks that addresses which do, from the mail adapter, are masked.)

use std::process::Command;

use regex::Regex;

const BIN: &str = env!("CARGO_BIN_EXE_treecast");

#[test]
fn a_demo_logged_at_trace_holds_no_email_address_phone_number_or_matrix_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["demo", "--branches", "3"])
        .current_dir(dir.path())
        .env("TREECAST_LOG", "trace,sled=warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.lines().count() > 100, "too few log lines to tell: {logs}");
    let email = Regex::new(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.\w{2,}").unwrap();
    let phone = Regex::new(r"(^|[^0-9])1[3-9][0-9]{9}($|[^0-9])").unwrap();
    let mxid = Regex::new(r"@[\w.=/+\-]+:[\w.\-]+").unwrap();
    for line in logs.lines() {
        // A masked one (`l***@x.cn`, `@l***:x.org`) does not match these.
        if let Some(m) = email.find(line).or_else(|| mxid.find(line)) {
            panic!("unmasked in the logs: {:?} in\n{line}", m.as_str());
        }
        assert!(!phone.is_match(line), "a phone number in the logs:\n{line}");
    }
}
