//! Writing a checked import: orgs in batches under a journal, and the rollback of an unfinished one.

use std::collections::HashMap;

use indicatif::ProgressBar;

use super::super::{Org, Tree};
use super::parse::Row;
use super::ImportReport;
use crate::error::Result;
use crate::events::Event;
use crate::store::Ops;

/// A big import is written as a sequence of batches of whole orgs
/// (`store::BULK_BATCH` each), parents first, under a journal: a marker with
/// the first new id, and each renamed org's previous state written in the
/// batch that renames it. The marker goes last; until then an error rolls
/// the import back at once and a crash rolls it back when the store is next
/// opened (`rollback` from `Tree::new`), so an import lands whole or not at
/// all. Imports that move existing orgs are applied as one transaction.
pub(super) fn apply(
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
    let touched = match write_rows(tree, rows, &existing, moves, &mut next_id, &mut report, progress) {
        Ok(t) => t,
        Err(e) => {
            if !moves && !fault::crashes() {
                rollback(tree)?;
            }
            return Err(e);
        }
    };
    if !moves {
        // The event before the journal ends: a crash between the two rolls
        // the import back, and readers of the event find the orgs as they
        // stand (as before); the other order could lose the event.
        if !touched.changed.is_empty() {
            let mut ops = Ops::default();
            tree.orgs_event(&Tree::orgs_changed(touched.changed), &mut ops);
            tree.store.apply(ops)?;
        }
        tree.store.flush()?;
        finish(tree)?;
    }
    Ok(report)
}

/// The orgs an import created or renamed, and those it moved.
#[derive(Default)]
struct Touched {
    changed: Vec<u32>,
    moved: Vec<u32>,
}

fn write_rows(
    tree: &Tree,
    rows: &[Row],
    existing: &[Option<Box<Org>>],
    moves: bool,
    next_id: &mut u32,
    report: &mut ImportReport,
    progress: Option<&ProgressBar>,
) -> Result<Touched> {
    let mut touched = Touched::default();
    let mut ops = Ops::default();
    let order = depth_first(rows);
    // Orgs written so far that may be parents (leaves never are): a few
    // thousand entries, not one per row.
    let mut placed: HashMap<&str, Org> = HashMap::new();
    let mut in_batch = 0;
    let mut batches = 0u32;
    for i in order {
        let r = &rows[i];
        let parent = parent_of(tree, &placed, r)?;
        let before = (report.created + report.updated, report.moved);
        let org = match &existing[i] {
            Some(old) => update_org(tree, r, old, parent.as_ref(), moves, &mut ops, report)?,
            None => new_org(tree, r, parent.as_ref(), next_id, &mut ops, report),
        };
        if report.created + report.updated != before.0 {
            touched.changed.push(org.id);
        }
        if report.moved != before.1 {
            touched.moved.push(org.id);
        }
        if !tree.is_leaf(org.level) {
            placed.insert(&r.code, org);
        }
        in_batch += 1;
        if !moves && in_batch >= crate::store::BULK_BATCH {
            write_batch(tree, *next_id, &mut ops, &mut batches)?;
            in_batch = 0;
        }
        if let Some(pb) = progress {
            pb.inc(1);
        }
    }
    if moves {
        // One transaction, events included.
        if !touched.changed.is_empty() {
            tree.orgs_event(&Tree::orgs_changed(std::mem::take(&mut touched.changed)), &mut ops);
        }
        tree.orgs_event(&Event::OrgsMoved { orgs: std::mem::take(&mut touched.moved) }, &mut ops);
    }
    if !ops.is_empty() {
        tree.seq_op(*next_id, &mut ops);
        tree.store.apply(ops)?;
    }
    Ok(touched)
}

/// A row's parent: placed earlier in this import, or already in the tree.
fn parent_of(tree: &Tree, placed: &HashMap<&str, Org>, r: &Row) -> Result<Option<Org>> {
    if r.parent.is_empty() {
        return Ok(None);
    }
    match placed.get(r.parent.as_str()) {
        Some(p) => Ok(Some(p.clone())),
        None => Ok(Some(tree.require(&r.parent)?)),
    }
}

/// An existing org as the row has it: moved, renamed (its old state
/// journalled unless the import is one transaction) or unchanged.
fn update_org(
    tree: &Tree,
    r: &Row,
    old: &Org,
    parent: Option<&Org>,
    moves: bool,
    ops: &mut Ops,
    report: &mut ImportReport,
) -> Result<Org> {
    let mut path = parent.map(|p| p.path.clone()).unwrap_or_default();
    path.push(old.id);
    let org = Org { name: r.name.clone(), path, parent: parent.map(|p| p.id), ..old.clone() };
    if old.path != org.path {
        tree.relocate_ops(old, parent, ops)?;
        tree.put_ops(&org, ops);
        report.moved += 1;
    } else if org.name != old.name {
        if !moves {
            ops.save_for_import(old);
        }
        tree.put_ops(&org, ops);
        report.updated += 1;
    } else {
        report.unchanged += 1;
    }
    Ok(org)
}

/// A new org for the row, under the next free id.
fn new_org(
    tree: &Tree,
    r: &Row,
    parent: Option<&Org>,
    next_id: &mut u32,
    ops: &mut Ops,
    report: &mut ImportReport,
) -> Org {
    let id = *next_id;
    *next_id += 1;
    let mut path = parent.map(|p| p.path.clone()).unwrap_or_default();
    path.push(id);
    let org =
        Org { id, code: r.code.clone(), name: r.name.clone(), level: r.level, parent: parent.map(|p| p.id), path };
    tree.put_ops(&org, ops);
    report.created += 1;
    org
}

/// Applies one full batch with the id sequence so far, and counts it.
fn write_batch(tree: &Tree, next_id: u32, ops: &mut Ops, batches: &mut u32) -> Result<()> {
    tree.seq_op(next_id, ops);
    tree.store.apply(std::mem::take(ops))?;
    *batches += 1;
    fault::after_batch(*batches)?;
    // Flushing as we go keeps sled's write buffers from piling up.
    if batches.is_multiple_of(64) {
        tree.store.flush()?;
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
pub(super) mod fault {
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
            return Err(crate::error::Error::invalid(crate::catalogue::Msg::InjectedFault.text()));
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
