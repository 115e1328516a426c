//! Progress bars for long steps (an import, a national fan-out in the
//! demo): drawn only when a person runs the command line on the store, or
//! kept for the admin API's client to draw while `serve` runs the step.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

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
