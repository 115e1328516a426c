//! The admin API: its server (HTTP on a Unix socket and, with a token, on
//! TCP, beside `treecast serve`) and the command line's client of it. The
//! operations and their replies are the admin module's (`crate::admin`).

pub mod client;
pub mod server;
