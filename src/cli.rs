//! What the command line needs beyond a feature's operations: opening the
//! store and reading address files (progress bars: `progress.rs`). Each operation's body lives with its feature
//! (`Feature::admin`), so this file names none.

use std::path::Path;

use crate::catalogue::{msg, Msg};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::text::is_address;
use crate::tree::Tree;

pub fn open_tree(cfg: &Config) -> Result<Tree> {
    let store = Store::open(&cfg.data_dir).map_err(|e| match e {
        Error::Store(sled::Error::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            Error::invalid(msg(Msg::AdminStoreInUse, &[("path", &cfg.data_dir.display())]))
        }
        e => e,
    })?;
    Tree::new(store, cfg.levels())
}

/// Addresses from a file, one a line; blank lines and `#` comments are
/// skipped. Every line that is not an address is named in one report.
pub fn address_file(path: Option<&Path>) -> Result<Vec<String>> {
    let Some(path) = path else { return Ok(Vec::new()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(msg(Msg::FileUnreadable, &[("path", &path.display()), ("error", &e)])))?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let a = line.trim();
        if a.is_empty() || a.starts_with('#') {
            continue;
        }
        match is_address(a) {
            true => out.push(a.to_lowercase()),
            false => {
                let place = format!("{}:{}", path.display(), i + 1);
                bad.push(msg(Msg::NotAnAddress, &[("place", &place), ("address", &format!("{a:?}"))]))
            }
        }
    }
    if !bad.is_empty() {
        return Err(Error::invalid(bad.join("\n")));
    }
    Ok(out)
}
