//! `tree import`: a CSV of (code, name, level, parent_code), validated whole
//! (every bad row reported as `FILE:LINE: what is wrong`), then applied as one
//! atomic write. Re-importing the same file changes nothing.

use std::collections::HashMap;
use std::path::Path;

use indicatif::ProgressBar;

use super::{Org, Tree};
use crate::error::{Error, Result};
use crate::store::Ops;

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
        write!(
            f,
            "{} created, {} updated, {} moved, {} unchanged",
            self.created, self.updated, self.moved, self.unchanged
        )
    }
}

struct Row {
    line: u64,
    code: String,
    name: String,
    level: u8,
    parent: String,
}

pub fn import_file(tree: &Tree, path: &Path, progress: Option<&ProgressBar>) -> Result<ImportReport> {
    let bytes = std::fs::read(path).map_err(|e| Error::invalid(format!("{}: cannot read ({e})", path.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::invalid(format!(
            "{}: not UTF-8 (byte {}); save the file as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
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

/// Every bad row of a file, named in one report (line order), not only
/// those of the first check that fails.
#[derive(Default)]
struct Problems(Vec<(u64, String)>);

impl Problems {
    fn add(&mut self, file: &str, line: u64, what: impl std::fmt::Display) {
        self.0.push((line, format!("{file}:{line}: {what}")));
    }

    fn into_result(mut self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.0.sort_by_key(|(line, _)| *line);
        Err(Error::invalid(self.0.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("\n")))
    }
}

/// The rows that parsed, every code the file names (even on a bad row, so
/// a child of a bad row is not also told its parent is missing), and the
/// problems found so far.
struct Parsed {
    rows: Vec<Row>,
    codes: std::collections::HashSet<String>,
    problems: Problems,
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

fn parse(tree: &Tree, file: &str, text: &str) -> Result<Parsed> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| Error::invalid(format!("{file}:1: cannot read the header ({e})")))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_code), Some(c_name), Some(c_level), Some(c_parent)) =
        (col("code"), col("name"), col("level"), col("parent_code"))
    else {
        return Err(Error::invalid(format!(
            "{file}:1: the header must name the columns code, name, level, parent_code"
        )));
    };
    let mut problems = Problems::default();
    let mut rows = Vec::new();
    let mut codes = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.add(file, line, format!("not a valid CSV row ({e})"));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| rec.get(i).unwrap_or("").to_owned();
        let (code, name, level, parent) = (field(c_code), field(c_name), field(c_level), field(c_parent));
        codes.insert(code.clone());
        if rec.len() < headers.len() {
            problems.add(file, line, format!("expected {} columns, found {}", headers.len(), rec.len()));
            continue;
        }
        if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace() || c == ',') {
            problems.add(file, line, format!("the code {code:?} must be 1-64 characters with no spaces or commas"));
            continue;
        }
        let Some(level) = tree.levels.find(&level) else {
            let known: Vec<&str> = tree.levels.iter().map(|(_, l)| l.key.as_str()).collect();
            problems.add(file, line, format!("unknown level {level:?} (known: {})", known.join(", ")));
            continue;
        };
        if let Err(e) = tree.levels.check_name(level, &name) {
            problems.add(file, line, e);
            continue;
        }
        rows.push(Row { line, code, name, level, parent });
    }
    Ok(Parsed { rows, codes, problems })
}

/// Per row: the existing org, if any. Checks parents and duplicates.
/// Each row's org as stored now (boxed: a fresh national import is 278k
/// `None`s, 8 bytes each instead of an `Org`'s 88).
fn plan(
    tree: &Tree,
    file: &str,
    rows: &[Row],
    codes: &std::collections::HashSet<String>,
    errors: &mut Problems,
) -> Result<Vec<Option<Box<Org>>>> {
    let mut first_line: HashMap<&str, (u64, u8)> = HashMap::with_capacity(rows.len());
    for r in rows {
        if let Some((line, _)) = first_line.get(r.code.as_str()) {
            errors.add(file, r.line, format!("the code {} already appears on line {line}", r.code));
        } else {
            first_line.insert(&r.code, (r.line, r.level));
        }
    }
    let mut existing = Vec::with_capacity(rows.len());
    for r in rows {
        let old = tree.by_code(&r.code)?;
        if let Some(o) = &old {
            if o.level != r.level {
                errors.add(
                    file,
                    r.line,
                    format!(
                        "{} is a {} in the store and cannot become a {}",
                        r.code,
                        tree.levels.key(o.level),
                        tree.levels.key(r.level)
                    ),
                );
            }
        }
        existing.push(old.map(Box::new));
        if r.parent.is_empty() {
            if r.level != 0 {
                errors.add(file, r.line, format!("only a {} may have no parent_code", tree.levels.key(0)));
            }
            continue;
        }
        let parent_level = match first_line.get(r.parent.as_str()) {
            Some((_, lvl)) => Some(*lvl),
            None => tree.by_code(&r.parent)?.map(|o| o.level),
        };
        match parent_level {
            // A parent on a row that was itself bad has already been named.
            None if codes.contains(&r.parent) => {}
            None => {
                errors.add(file, r.line, format!("the parent {} is neither in this file nor in the tree", r.parent))
            }
            Some(pl) if tree.is_leaf(r.level) && pl + 1 != r.level => errors.add(
                file,
                r.line,
                format!(
                    "a {} must sit directly under a {} ({} is a {})",
                    tree.levels.key(r.level),
                    tree.levels.key(r.level - 1),
                    r.parent,
                    tree.levels.key(pl)
                ),
            ),
            Some(pl) if pl >= r.level => errors.add(
                file,
                r.line,
                format!("a {} cannot sit under a {} ({})", tree.levels.key(r.level), tree.levels.key(pl), r.parent),
            ),
            Some(_) => {}
        }
    }
    Ok(existing)
}

/// A big import is written as a sequence of batches of whole orgs
/// (`store::BULK_BATCH` each), parents first, under a journal: a marker with
/// the first new id, and each renamed org's previous state written in the
/// batch that renames it. The marker goes last; until then an error rolls
/// the import back at once and a crash rolls it back when the store is next
/// opened (`rollback` from `Tree::new`), so an import lands whole or not at
/// all. Imports that move existing orgs are applied as one transaction.
fn apply(
    tree: &Tree,
    rows: &[Row],
    existing: Vec<Option<Box<Org>>>,
    progress: Option<&ProgressBar>,
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let moves = has_moves(tree, rows, &existing)?;
    let mut next_id = tree.next_org_id()?;
    let first_new = next_id;
    if !moves {
        tree.store.begin_import(first_new)?;
        tree.store.flush()?;
    }
    let written = write_rows(tree, rows, &existing, moves, &mut next_id, &mut report, progress);
    if let Err(e) = written {
        if !moves && !fault::crashes() {
            rollback(tree)?;
        }
        return Err(e);
    }
    if !moves {
        tree.store.flush()?;
        finish(tree)?;
    }
    Ok(report)
}

fn write_rows(
    tree: &Tree,
    rows: &[Row],
    existing: &[Option<Box<Org>>],
    moves: bool,
    next_id: &mut u32,
    report: &mut ImportReport,
    progress: Option<&ProgressBar>,
) -> Result<()> {
    let mut ops = Ops::default();
    let order = depth_first(rows);
    // Orgs written so far that may be parents (leaves never are): a few
    // thousand entries, not one per row.
    let mut placed: HashMap<&str, Org> = HashMap::new();
    let mut in_batch = 0;
    let mut batches = 0u32;
    for i in order {
        let r = &rows[i];
        let parent = if r.parent.is_empty() {
            None
        } else {
            match placed.get(r.parent.as_str()) {
                Some(p) => Some(p.clone()),
                None => Some(tree.require(&r.parent)?),
            }
        };
        let mut path = parent.as_ref().map(|p| p.path.clone()).unwrap_or_default();
        let org = match &existing[i] {
            Some(old) => {
                path.push(old.id);
                let org = Org { name: r.name.clone(), path, parent: parent.as_ref().map(|p| p.id), ..(**old).clone() };
                if old.path != org.path {
                    tree.relocate_ops(old, parent.as_ref(), &mut ops)?;
                    tree.put_ops(&org, &mut ops);
                    report.moved += 1;
                } else if org.name != old.name {
                    if !moves {
                        ops.save_for_import(old);
                    }
                    tree.put_ops(&org, &mut ops);
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
                org
            }
            None => {
                let id = *next_id;
                *next_id += 1;
                path.push(id);
                let org = Org {
                    id,
                    code: r.code.clone(),
                    name: r.name.clone(),
                    level: r.level,
                    parent: parent.as_ref().map(|p| p.id),
                    path,
                };
                tree.put_ops(&org, &mut ops);
                report.created += 1;
                org
            }
        };
        if !tree.is_leaf(org.level) {
            placed.insert(&r.code, org);
        }
        in_batch += 1;
        if !moves && in_batch >= crate::store::BULK_BATCH {
            tree.seq_op(*next_id, &mut ops);
            tree.store.apply(std::mem::take(&mut ops))?;
            in_batch = 0;
            batches += 1;
            fault::after_batch(batches)?;
            // Flushing as we go keeps sled's write buffers from piling up.
            if batches.is_multiple_of(64) {
                tree.store.flush()?;
            }
        }
        if let Some(pb) = progress {
            pb.inc(1);
        }
    }
    if !ops.is_empty() {
        tree.seq_op(*next_id, &mut ops);
        tree.store.apply(ops)?;
    }
    Ok(())
}

/// Ends an import's journal: drops the marker and the previous states.
fn finish(tree: &Tree) -> Result<()> {
    tree.store.end_import()?;
    tree.store.flush()
}

/// Undoes an unfinished import: removes the orgs it created, restores the
/// names it changed, then ends the journal. Idempotent, so a crash during a
/// rollback is undone by the next. Returns whether there was one to undo.
pub(crate) fn rollback(tree: &Tree) -> Result<bool> {
    let Some(first_new) = tree.store.import_marker()? else { return Ok(false) };
    let mut ops = Ops::default();
    let mut n = 0;
    for created in tree.store.orgs_from_id(first_new) {
        match created? {
            (_, Some(org)) => tree.del_ops(&org, &mut ops),
            (id, None) => ops.del_org_id(id),
        }
        n += 1;
        if n % crate::store::BULK_BATCH == 0 {
            tree.store.apply(std::mem::take(&mut ops))?;
        }
    }
    for old in tree.store.import_saved() {
        tree.put_ops(&old?, &mut ops);
    }
    tree.seq_op(first_new, &mut ops);
    tree.store.apply(ops)?;
    tree.store.flush()?;
    finish(tree)?;
    Ok(true)
}

/// Test hooks: fail an import after some batches, as an I/O error would
/// (rolled back at once) or as a crash would (left for `Tree::new`).
mod fault {
    #[cfg(test)]
    thread_local! {
        static AFTER: std::cell::Cell<Option<(u32, bool)>> = const { std::cell::Cell::new(None) };
    }

    #[cfg(test)]
    pub fn inject(after_batches: u32, crash: bool) {
        AFTER.with(|a| a.set(Some((after_batches, crash))));
    }

    pub fn after_batch(_batches: u32) -> crate::error::Result<()> {
        #[cfg(test)]
        if AFTER.with(|a| a.get()).is_some_and(|(n, _)| n == _batches) {
            return Err(crate::error::Error::invalid("injected fault"));
        }
        Ok(())
    }

    pub fn crashes() -> bool {
        #[cfg(test)]
        if let Some((_, crash)) = AFTER.with(|a| a.take()) {
            return crash;
        }
        false
    }
}

/// Row indices parents first, depth first, children by code: new ids then
/// follow key order, so every keyspace is written as an append (sled's
/// memory and speed suffer badly from scattered inserts).
fn depth_first(rows: &[Row]) -> Vec<usize> {
    let in_file: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.code.as_str(), i)).collect();
    let mut kids: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if in_file.contains_key(r.parent.as_str()) {
            kids.entry(r.parent.as_str()).or_default().push(i);
        } else {
            roots.push(i);
        }
    }
    let by_code = |v: &mut Vec<usize>| v.sort_by(|a, b| rows[*a].code.cmp(&rows[*b].code));
    by_code(&mut roots);
    let mut order = Vec::with_capacity(rows.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        if let Some(mut k) = kids.remove(rows[i].code.as_str()) {
            by_code(&mut k);
            stack.extend(k.into_iter().rev());
        }
    }
    order
}

/// Whether any row gives an existing org a new parent.
fn has_moves(tree: &Tree, rows: &[Row], existing: &[Option<Box<Org>>]) -> Result<bool> {
    for (r, old) in rows.iter().zip(existing) {
        let Some(old) = old else { continue };
        let wanted = if r.parent.is_empty() { None } else { tree.by_code(&r.parent)?.map(|p| p.id) };
        if wanted.is_none() && !r.parent.is_empty() {
            return Ok(true); // its new parent is new in this file
        }
        if wanted != old.parent {
            return Ok(true);
        }
    }
    Ok(false)
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
        assert!(err.contains("injected fault"), "{err}");
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
        assert!(lines[1].starts_with("bad.csv:4: unknown level \"class\""), "{err}");
        // Every bad row in one report: the parent checks run beside the parse errors.
        assert!(lines[2].starts_with("bad.csv:5: the parent NOPE is neither in this file nor in the tree"), "{err}");
        assert!(lines[3].starts_with("bad.csv:6: the code 4143010533-003 already appears on line 2"), "{err}");
        assert!(lines[4].starts_with("bad.csv:7: a school cannot sit under a branch"), "{err}");
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
        assert!(err.starts_with("h.csv:1: the header must name"), "{err}");
    }
}
