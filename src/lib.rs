//! treecast core.
