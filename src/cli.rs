//! What the command line needs beyond a feature's operations: opening the
//! store, progress bars (drawn only when a person runs it), and reading
//! address files. Each operation's body lives with its feature
//! (`Feature::admin`), so this file names none.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

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

/// Whether this process is the command line working on the store itself:
/// only then do long operations draw progress bars (a server never does).
static INTERACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_interactive(on: bool) {
    INTERACTIVE.store(on, std::sync::atomic::Ordering::Relaxed);
}

thread_local! {
    /// The bar of the admin request this thread is running, read by its client.
    static REQUEST_BAR: std::cell::RefCell<Option<ProgressBar>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `bar` as the progress bar its long steps update (the
/// admin API's, hidden, which the CLI polls and draws on its side).
pub fn with_progress<R>(bar: ProgressBar, f: impl FnOnce() -> R) -> R {
    REQUEST_BAR.with(|b| *b.borrow_mut() = Some(bar));
    let out = f();
    REQUEST_BAR.with(|b| *b.borrow_mut() = None);
    out
}

/// A progress bar for a long step: the CLI's own when it works on the
/// store, the admin request's when one is running; None otherwise.
pub fn progress_bar(len: u64, what: &str) -> Option<ProgressBar> {
    if let Some(bar) = REQUEST_BAR.with(|b| b.borrow().clone()) {
        bar.set_length(len);
        bar.set_message(what.to_owned());
        return Some(bar);
    }
    INTERACTIVE.load(std::sync::atomic::Ordering::Relaxed).then(|| progress(len, what))
}

/// A progress bar on a terminal; hidden otherwise (CI logs stay short).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = if std::io::stderr().is_terminal() { ProgressBar::new(len) } else { ProgressBar::hidden() };
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
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
