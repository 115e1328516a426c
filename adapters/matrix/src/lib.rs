//! treecast's matrix adapter (being built; see its issue).
