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
