//! CSV tree import into a real (temporary) store: all rows or none.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use treecast::store::Store;
use treecast::tree::{import, Levels, Tree};

fn tree() -> &'static Tree {
    static T: OnceLock<Tree> = OnceLock::new();
    T.get_or_init(|| {
        let tree = Tree::new(Store::temporary().unwrap(), Levels::default_levels()).unwrap();
        import::import_str(&tree, "base.csv", include_str!("../../config/sample-orgs.csv"), None).unwrap();
        tree
    })
}

fuzz_target!(|text: &str| {
    let _ = import::import_str(tree(), "fuzz.csv", text, None);
});
