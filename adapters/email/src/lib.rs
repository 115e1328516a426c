//! treecast's email adapter (being built; see its issue).
