//! The core's modules stand in layers: no top-level module of `src/` (a file
//! or a folder) imports, directly or round a loop, one that imports it.
//! Tests (`tests.rs`, `tests_*.rs`, `tests/` folders, `#[cfg(test)] mod
//! tests`) may reach anywhere and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "tests") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if name != "tests" && !name.starts_with("tests_") {
                out.push(p);
            }
        }
    }
}

/// The top-level module a path under `src/` belongs to (`store` for
/// `src/store/keys.rs`, `gateway` for `src/gateway.rs`); None for the crate root and binaries.
fn top(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (!matches!(name.as_str(), "lib" | "main" | "bin")).then_some(name)
}

/// The modules `text` names as `crate::NAME` (also inside `crate::{a, b}`).
fn named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        // `crate::{a::{b, c}, d}`: the names at the group's first depth.
        let parts: Vec<&str> = match rest.strip_prefix('{') {
            Some(inner) => {
                let (mut depth, mut start, mut parts) = (0usize, 0usize, Vec::new());
                for (i, ch) in inner.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            parts.push(&inner[start..i]);
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(&inner[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                parts
            }
            None => vec![rest],
        };
        for part in parts {
            let word: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if modules.contains(&word) {
                out.insert(word);
            }
        }
    }
    out
}

/// A loop in `edges`, if any, as the modules round it.
fn a_loop(edges: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(m.to_owned(), 1);
        stack.push(m.to_owned());
        for next in edges.get(m).map(|e| e.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            match state.get(&next) {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == next).unwrap();
                    return Some(stack[from..].iter().cloned().chain([next]).collect());
                }
                Some(_) => {}
                None => {
                    if let Some(l) = visit(&next, edges, state, stack) {
                        return Some(l);
                    }
                }
            }
        }
        stack.pop();
        state.insert(m.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if !state.contains_key(m) {
            if let Some(l) = visit(m, edges, &mut state, &mut Vec::new()) {
                return Some(l);
            }
        }
    }
    None
}

#[test]
fn no_module_of_the_core_imports_one_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top(&src, f)).collect();
    assert!(modules.len() > 20 && modules.contains("store") && modules.contains("features"), "{modules:?}");
    let mut edges: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for f in &files {
        let Some(from) = top(&src, f) else { continue };
        for to in named(&std::fs::read_to_string(f).unwrap(), &modules) {
            if to != from {
                let rel = f.strip_prefix(&src).unwrap().display().to_string();
                edges.entry(from.clone()).or_default().entry(to).or_default().push(rel);
            }
        }
    }
    assert!(edges.get("features").is_some_and(|e| e.contains_key("store")), "imports were read: {edges:?}");
    if let Some(l) = a_loop(&edges) {
        let why: Vec<String> =
            l.windows(2).map(|w| format!("{} -> {} ({:?})", w[0], w[1], edges[&w[0]][&w[1]])).collect();
        panic!("modules import each other round a loop:\n{}", why.join("\n"));
    }
}

/// The check finds a loop where there is one.
#[test]
fn a_loop_is_found() {
    let mut edges: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (a, b) in [("store", "tree"), ("tree", "events"), ("events", "store"), ("web", "store")] {
        edges.entry(a.into()).or_default().insert(b.into(), vec![]);
    }
    let l = a_loop(&edges).expect("store -> tree -> events -> store");
    assert_eq!(l.first(), l.last());
    assert_eq!(l.len(), 4);
    edges.get_mut("events").unwrap().clear();
    assert!(a_loop(&edges).is_none());
    let modules: BTreeSet<String> = ["store", "tree", "notice"].map(String::from).into();
    let text = "use crate::{error::Result, store::{Writes, Tx}, tree::Org};\nfn f() { crate::notice::x() }\n#[cfg(test)]\nmod tests { use crate::web; }";
    assert_eq!(named(text, &modules), ["notice", "store", "tree"].map(String::from).into());
}
