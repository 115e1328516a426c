//! Reading an import file: CSV rows parsed and checked, alone and against the tree, every problem collected.

use std::collections::{HashMap, HashSet};

use super::super::{Org, Tree};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

pub(super) struct Row {
    pub(super) line: u64,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) level: u8,
    pub(super) parent: String,
}

/// Every bad row of a file, named in one report (line order), not only
/// those of the first check that fails.
#[derive(Default)]
pub(super) struct Problems(Vec<(u64, String)>);

impl Problems {
    fn add(&mut self, file: &str, line: u64, what: impl std::fmt::Display) {
        self.0.push((line, format!("{file}:{line}: {what}")));
    }

    pub(super) fn into_result(mut self) -> Result<()> {
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
pub(super) struct Parsed {
    pub(super) rows: Vec<Row>,
    pub(super) codes: HashSet<String>,
    pub(super) problems: Problems,
}

/// The positions of the four columns, found by name in the header, and
/// how many columns the header has.
struct Columns {
    code: usize,
    name: usize,
    level: usize,
    parent: usize,
    width: usize,
}

pub(super) fn parse(tree: &Tree, file: &str, text: &str) -> Result<Parsed> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| Error::invalid(msg(Msg::HeaderUnreadable, &[("file", &file), ("error", &e)])))?
        .clone();
    let columns = columns(file, &headers)?;
    let mut problems = Problems::default();
    let mut rows = Vec::new();
    let mut codes = HashSet::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.add(file, line, msg(Msg::RowNotCsv, &[("error", &e)]));
                continue;
            }
        };
        if let Some(row) = row(tree, file, &columns, &rec, &mut codes, &mut problems) {
            rows.push(row);
        }
    }
    Ok(Parsed { rows, codes, problems })
}

fn columns(file: &str, headers: &csv::StringRecord) -> Result<Columns> {
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(code), Some(name), Some(level), Some(parent)) =
        (col("code"), col("name"), col("level"), col("parent_code"))
    else {
        return Err(Error::invalid(msg(Msg::HeaderColumns, &[("file", &file)])));
    };
    Ok(Columns { code, name, level, parent, width: headers.len() })
}

/// One record as a row, or None when it is bad (the problem noted). Its
/// code joins `codes` either way.
fn row(
    tree: &Tree,
    file: &str,
    c: &Columns,
    rec: &csv::StringRecord,
    codes: &mut HashSet<String>,
    problems: &mut Problems,
) -> Option<Row> {
    let line = rec.position().map(|p| p.line()).unwrap_or(0);
    let field = |i: usize| rec.get(i).unwrap_or("").to_owned();
    let (code, name, level, parent) = (field(c.code), field(c.name), field(c.level), field(c.parent));
    codes.insert(code.clone());
    if rec.len() < c.width {
        problems.add(file, line, msg(Msg::RowColumns, &[("want", &c.width), ("found", &rec.len())]));
        return None;
    }
    if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace() || c == ',') {
        problems.add(file, line, msg(Msg::RowBadCode, &[("code", &format!("{code:?}"))]));
        return None;
    }
    let Some(level) = tree.levels.find(&level) else {
        let known: Vec<&str> = tree.levels.iter().map(|(_, l)| l.key.as_str()).collect();
        let (level, known) = (format!("{level:?}"), known.join(", "));
        problems.add(file, line, msg(Msg::RowUnknownLevel, &[("level", &level), ("known", &known)]));
        return None;
    };
    if let Err(e) = tree.levels.check_name(level, &name) {
        problems.add(file, line, e);
        return None;
    }
    Some(Row { line, code, name, level, parent })
}

/// Per row: the existing org, if any. Checks parents and duplicates.
/// Each row's org as stored now (boxed: a fresh national import is 278k
/// `None`s, 8 bytes each instead of an `Org`'s 88).
pub(super) fn plan(
    tree: &Tree,
    file: &str,
    rows: &[Row],
    codes: &HashSet<String>,
    errors: &mut Problems,
) -> Result<Vec<Option<Box<Org>>>> {
    let first_line = first_lines(file, rows, errors);
    let mut existing = Vec::with_capacity(rows.len());
    for r in rows {
        let old = tree.by_code(&r.code)?;
        if let Some(o) = &old {
            if o.level != r.level {
                let (old, new) = (tree.levels.key(o.level), tree.levels.key(r.level));
                errors.add(file, r.line, msg(Msg::RowLevelChange, &[("code", &r.code), ("old", &old), ("new", &new)]));
            }
        }
        existing.push(old.map(Box::new));
        check_parent(tree, file, r, &first_line, codes, errors)?;
    }
    Ok(existing)
}

/// The line and level of each code's first row; a code on a later row too is a problem.
fn first_lines<'a>(file: &str, rows: &'a [Row], errors: &mut Problems) -> HashMap<&'a str, (u64, u8)> {
    let mut first_line: HashMap<&str, (u64, u8)> = HashMap::with_capacity(rows.len());
    for r in rows {
        if let Some((line, _)) = first_line.get(r.code.as_str()) {
            errors.add(file, r.line, msg(Msg::RowCodeTwice, &[("code", &r.code), ("line", line)]));
        } else {
            first_line.insert(&r.code, (r.line, r.level));
        }
    }
    first_line
}

/// Whether a row's parent exists (in the file or the tree) at a level it may sit under.
fn check_parent(
    tree: &Tree,
    file: &str,
    r: &Row,
    first_line: &HashMap<&str, (u64, u8)>,
    codes: &HashSet<String>,
    errors: &mut Problems,
) -> Result<()> {
    if r.parent.is_empty() {
        if r.level != 0 {
            errors.add(file, r.line, msg(Msg::RowNoParent, &[("root", &tree.levels.key(0))]));
        }
        return Ok(());
    }
    let parent_level = match first_line.get(r.parent.as_str()) {
        Some((_, lvl)) => Some(*lvl),
        None => tree.by_code(&r.parent)?.map(|o| o.level),
    };
    match parent_level {
        // A parent on a row that was itself bad has already been named.
        None if codes.contains(&r.parent) => {}
        None => errors.add(file, r.line, msg(Msg::RowParentMissing, &[("parent", &r.parent)])),
        Some(pl) if tree.is_leaf(r.level) && pl + 1 != r.level => {
            let (level, above, parent_level) =
                (tree.levels.key(r.level), tree.levels.key(r.level - 1), tree.levels.key(pl));
            let args: [(&str, &dyn std::fmt::Display); 4] =
                [("level", &level), ("above", &above), ("parent", &r.parent), ("parent_level", &parent_level)];
            errors.add(file, r.line, msg(Msg::RowLeafParent, &args))
        }
        Some(pl) if pl >= r.level => {
            let (level, parent_level) = (tree.levels.key(r.level), tree.levels.key(pl));
            let args: [(&str, &dyn std::fmt::Display); 3] =
                [("level", &level), ("parent_level", &parent_level), ("parent", &r.parent)];
            errors.add(file, r.line, msg(Msg::RowParentTooLow, &args))
        }
        Some(_) => {}
    }
    Ok(())
}
