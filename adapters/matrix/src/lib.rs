//! treecast's matrix adapter (being built).
pub use matrix_sdk;
