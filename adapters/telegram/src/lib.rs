//! treecast's telegram adapter (being built; see its issue).
