//! Tree benchmark: generate + import the national tree (2,756 schools x N
//! branches), peak RSS, and a full subtree walk. Plain `fn main`, run with
//! `cargo bench --bench tree [-- BRANCHES]`.

use std::path::Path;

use std::time::Instant;

use treecast::store::Store;
use treecast::tree::{generate, import, Levels, Tree};

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb;

fn main() {
    let branches: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let tree = Tree::new(Store::open(&dir.path().join("db")).unwrap(), Levels::default_levels()).unwrap();
    let schools = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv");

    let t = Instant::now();
    let list = generate::read_schools(&schools).unwrap();
    let csv = generate::national_csv(&list, branches);
    let gen = t.elapsed();
    let report = import::import_string(&tree, "national", csv, None).unwrap();
    tree.store.flush().unwrap();
    let total = t.elapsed();
    let import_peak = peak_rss_mb();

    let root = tree.require("CN").unwrap();
    let t = Instant::now();
    let walked = tree.subtree(&root).count();
    let walk = t.elapsed();
    let t = Instant::now();
    tree.subtree(&root).count();
    let walk2 = t.elapsed();

    let t = Instant::now();
    let again = import::import_str(&tree, "national", &generate::national_csv(&list, branches), None).unwrap();
    let reimport = t.elapsed();

    println!("schools {} x {branches} branches: {report}", list.len());
    println!("generate csv           {:>8.3} s", gen.as_secs_f64());
    println!("generate + import      {:>8.3} s (durable)", total.as_secs_f64());
    println!("full subtree walk      {:>8.3} s ({walked} orgs)", walk.as_secs_f64());
    println!("second walk            {:>8.3} s", walk2.as_secs_f64());
    println!("re-import (no change)  {:>8.3} s ({again})", reimport.as_secs_f64());
    println!("peak RSS after import  {:>8.1} MB", import_peak);
    println!("peak RSS overall       {:>8.1} MB", peak_rss_mb());
}
