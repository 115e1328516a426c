//! `tree import`: a CSV of (code, name, level, parent_code), validated whole
//! (every bad row reported as `FILE:LINE: what is wrong`), then applied as one
//! atomic write. Re-importing the same file changes nothing.

mod parse;
mod write;

use std::path::Path;

use indicatif::ProgressBar;

use super::Tree;
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use parse::{parse, plan, Parsed};
use write::apply;
#[cfg(test)]
use write::fault;
pub(crate) use write::rollback;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub moved: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts: [(&str, &dyn std::fmt::Display); 4] = [
            ("created", &self.created),
            ("updated", &self.updated),
            ("moved", &self.moved),
            ("unchanged", &self.unchanged),
        ];
        f.write_str(&msg(Msg::ImportReport, &counts))
    }
}

pub fn import_file(tree: &Tree, path: &Path, progress: Option<&ProgressBar>) -> Result<ImportReport> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::invalid(msg(Msg::FileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::invalid(msg(Msg::NotUtf8, &[("path", &path.display()), ("byte", &e.utf8_error().valid_up_to())]))
    })?;
    import_string(tree, &path.display().to_string(), text, progress)
}

/// Imports CSV text; `file` names it in error messages.
pub fn import_str(tree: &Tree, file: &str, text: &str, progress: Option<&ProgressBar>) -> Result<ImportReport> {
    let parsed = parse(tree, file, text.strip_prefix('\u{feff}').unwrap_or(text))?;
    import_rows(tree, file, parsed, progress)
}

/// As `import_str`, freeing the text once parsed (the national tree's CSV
/// is 17 MB that would otherwise stay alive through the whole import).
pub fn import_string(tree: &Tree, file: &str, text: String, progress: Option<&ProgressBar>) -> Result<ImportReport> {
    let parsed = parse(tree, file, text.strip_prefix('\u{feff}').unwrap_or(&text))?;
    drop(text);
    import_rows(tree, file, parsed, progress)
}

fn import_rows(tree: &Tree, file: &str, parsed: Parsed, progress: Option<&ProgressBar>) -> Result<ImportReport> {
    let _g = tree.lock();
    let Parsed { rows, codes, mut problems } = parsed;
    let plan = plan(tree, file, &rows, &codes, &mut problems)?;
    problems.into_result()?;
    if let Some(pb) = progress {
        pb.set_length(rows.len() as u64);
    }
    apply(tree, &rows, plan, progress)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{small_tree, SMALL_CSV};
    use super::super::Levels;
    use super::*;
    use crate::store::Store;

    /// Every org with its name, and the next id: what an import may change.
    fn snapshot(tree: &Tree) -> (Vec<(String, String)>, u32) {
        let root = tree.require("CN").unwrap();
        let orgs = tree.subtree(&root).map(|o| o.map(|o| (o.code, o.name)).unwrap()).collect();
        (orgs, tree.next_org_id().unwrap())
    }

    /// A rename of an existing branch and `n` new branches: several batches.
    fn big_csv(n: usize) -> String {
        let mut csv = String::from("code,name,level,parent_code\n");
        csv.push_str("4143010533-001,人工智能2023级1班团支部,branch,4143010533\n");
        for i in 0..n {
            csv.push_str(&format!("4143010533-{:04},数学2024级{i}班团支部,branch,4143010533\n", 1000 + i));
        }
        csv
    }

    #[test]
    fn an_import_that_fails_midway_is_rolled_back_whole() {
        let tree = small_tree();
        let before = snapshot(&tree);
        fault::inject(2, false);
        let err = import_str(&tree, "big.csv", &big_csv(250), None).unwrap_err().to_string();
        assert!(err.contains("Injected fault"), "{err}");
        assert_eq!(snapshot(&tree), before, "no new org, the rename undone, ids not spent");
        assert!(tree.store.import_marker().unwrap().is_none());
        let done = import_str(&tree, "big.csv", &big_csv(250), None).unwrap();
        assert_eq!((done.created, done.updated), (250, 1));
    }

    #[test]
    fn an_import_cut_by_a_crash_is_rolled_back_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let open = || Tree::new(Store::open(dir.path()).unwrap(), Levels::default_levels()).unwrap();
        let tree = open();
        import_str(&tree, "small.csv", SMALL_CSV, None).unwrap();
        let before = snapshot(&tree);
        fault::inject(2, true);
        assert!(import_str(&tree, "big.csv", &big_csv(250), None).is_err());
        // What the crash left: part of the import, and its journal.
        assert!(tree.by_code("4143010533-1000").unwrap().is_some());
        assert_eq!(tree.require("4143010533-001").unwrap().name, "人工智能2023级1班团支部");
        assert!(tree.store.import_marker().unwrap().is_some());
        tree.store.flush().unwrap();
        drop(tree);
        let tree = open();
        assert_eq!(snapshot(&tree), before);
        assert!(tree.by_code("4143010533-1000").unwrap().is_none());
        assert!(tree.store.import_marker().unwrap().is_none());
    }

    #[test]
    fn an_import_of_a_whole_number_of_batches_records_its_ids() {
        let tree = small_tree();
        let n = crate::store::BULK_BATCH * 2 - 1;
        import_str(&tree, "big.csv", &big_csv(n), None).unwrap();
        let more = "code,name,level,parent_code\n4143010534-002,护理2024级1班团支部,branch,4143010534\n";
        import_str(&tree, "more.csv", more, None).unwrap();
        let root = tree.require("CN").unwrap();
        let mut ids: Vec<u32> = tree.subtree(&root).map(|o| o.unwrap().id).collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "every org has its own id");
        assert_eq!(count, 10 + n + 1);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_nothing_changes() {
        let tree = small_tree();
        let before = tree.stats().unwrap();
        let csv = "\u{feff}code,name,level,parent_code\n\
            4143010533-003,数学2023级1班团支部,branch,4143010533\n\
            4143010533-004,数学2023级2班,branch,4143010533\n\
            4143010533-005,物理2023级1班团支部,class,4143010533\n\
            4143010533-006,化学2023级1班团支部,branch,NOPE\n\
            4143010533-003,数学2023级9班团支部,branch,4143010533\n\
            4143010599,某某大学团委,school,4143010533-001\n";
        let err = import_str(&tree, "bad.csv", csv, None).unwrap_err().to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines[0].starts_with("bad.csv:3: ") && lines[0].contains("团支部"), "{err}");
        assert!(lines[1].starts_with("bad.csv:4: ") && lines[1].contains("Unknown level \"class\""), "{err}");
        // Every bad row in one report: the parent checks run beside the parse errors.
        assert!(lines[2].starts_with("bad.csv:5: 上级 NOPE 既不在本文件中"), "{err}");
        assert!(lines[2].contains("The parent NOPE is neither in this file nor in the tree"), "{err}");
        assert!(lines[3].starts_with("bad.csv:6: ") && lines[3].contains("already appears on line 2"), "{err}");
        assert!(
            lines[4].starts_with("bad.csv:7: ") && lines[4].contains("A school cannot sit under a branch"),
            "{err}"
        );
        assert_eq!(lines.len(), 5, "{err}");
        assert_eq!(tree.stats().unwrap(), before, "a failed import changes nothing");
        assert!(tree.by_code("4143010533-003").unwrap().is_none());
    }

    #[test]
    fn reimport_is_idempotent_and_updates_names() {
        let tree = small_tree();
        let csv = "code,name,level,parent_code\n4143010533-003,数学2023级1班团支部,branch,4143010533\n";
        let first = import_str(&tree, "a.csv", csv, None).unwrap();
        assert_eq!(first.created, 1);
        let org = tree.require("4143010533-003").unwrap();
        let again = import_str(&tree, "a.csv", csv, None).unwrap();
        assert_eq!(again, ImportReport { unchanged: 1, ..Default::default() });
        assert_eq!(tree.require("4143010533-003").unwrap(), org);
        let renamed = csv.replace("1班", "5班");
        assert_eq!(import_str(&tree, "a.csv", &renamed, None).unwrap().updated, 1);
        assert_eq!(tree.require("4143010533-003").unwrap().id, org.id);
    }

    #[test]
    fn reimport_with_a_new_parent_moves() {
        let tree = small_tree();
        let csv = "code,name,level,parent_code\n4143010533,湖南大学团委,school,42\n";
        assert_eq!(import_str(&tree, "m.csv", csv, None).unwrap().moved, 1);
        let b = tree.require("4143010533-002").unwrap();
        assert!(b.is_within(&tree.require("42").unwrap()));
    }

    #[test]
    fn a_header_without_the_columns_is_refused() {
        let tree = small_tree();
        let err = import_str(&tree, "h.csv", "id,title\n1,x\n", None).unwrap_err().to_string();
        assert!(err.contains("h.csv:1: the header must name"), "{err}");
    }
}
