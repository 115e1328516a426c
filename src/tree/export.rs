//! `tree export`: the whole tree as the CSV `tree import` reads (code, name,
//! level, parent_code), parents before children, so importing it into an
//! empty store rebuilds the same tree.

use std::collections::HashMap;
use std::io::Write;

use super::Tree;
use crate::error::Result;

/// Writes every org as one row, in path order; returns how many.
pub fn export(tree: &Tree, out: impl Write) -> Result<usize> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["code", "name", "level", "parent_code"]).map_err(std::io::Error::from)?;
    // Codes of the orgs that may be parents (leaves never are); path order
    // meets each before its children.
    let mut codes: HashMap<u32, String> = HashMap::new();
    let mut n = 0;
    for org in tree.store.orgs_under(&[]) {
        let org = org?;
        let parent = match org.parent {
            Some(p) => match codes.get(&p) {
                Some(code) => code.clone(),
                None => tree.require_id(p)?.code,
            },
            None => String::new(),
        };
        w.write_record([org.code.as_str(), &org.name, tree.levels.key(org.level), &parent])
            .map_err(std::io::Error::from)?;
        if !tree.is_leaf(org.level) {
            codes.insert(org.id, org.code);
        }
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::tests::{arb_tree, csv_of, empty_tree, orgs_of, small_tree, GenOrg};
    use super::super::{import, Tree};
    use super::*;

    fn export_string(tree: &Tree) -> String {
        let mut out = Vec::new();
        export(tree, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_sample_tree_exports_as_the_sample_file() {
        let tree = small_tree();
        let text = export_string(&tree);
        let sample = super::super::tests::SMALL_CSV;
        let sorted = |t: &str| {
            let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
            lines.sort();
            lines
        };
        assert_eq!(sorted(&text), sorted(sample));
        assert!(text.starts_with("code,name,level,parent_code\nCN,"), "{text}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// For any valid tree (its rows in any order; names with commas,
        /// quotes, line breaks, emoji), importing it, exporting that and
        /// importing the export into an empty store gives the same orgs
        /// (code, name, level, parent), and exporting again gives the same text.
        #[test]
        fn import_then_export_is_identity(rows in arb_tree(40).prop_shuffle()) {
            let want = GenOrg::sorted(&rows);
            let a = empty_tree();
            import::import_str(&a, "gen.csv", &csv_of(&rows), None).unwrap();
            prop_assert_eq!(orgs_of(&a), want.clone());
            let text = export_string(&a);
            let b = empty_tree();
            let report = import::import_str(&b, "export.csv", &text, None).unwrap();
            prop_assert_eq!(report.created, rows.len());
            prop_assert_eq!(orgs_of(&b), want);
            prop_assert_eq!(export_string(&b), text);
        }
    }
}
