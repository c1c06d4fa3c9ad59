//! Progress on long runs: a bar on stderr (indicatif) with what is being
//! done, counts and an ETA, only when stderr is a terminal and the run is
//! not `--quiet` (never in pipes, CI logs or files). Diagnostics said
//! while a bar shows are written above it ([`super::diag`] suspends it).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// The bar showing now, if one is: diagnostics are written around it.
static SHOWING: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar, or nothing when stderr is no terminal.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `what` (`refining policies`), of `total()` steps (asked
    /// only when a bar will show: counting may cost a walk).
    pub(super) fn new(what: &str, total: impl FnOnce() -> u64) -> Progress {
        if !std::io::stderr().is_terminal() || !super::diag::shows_progress() {
            return Progress { bar: None };
        }
        let total = total();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        // Until the total is known (0), what is being done, and a spinner.
        match total {
            0 => bar.set_style(spinner()),
            _ => bar.set_style(counted()),
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar.set_message(what.to_string());
        if let Ok(mut showing) = SHOWING.lock() {
            *showing = Some(bar.clone());
        }
        Progress { bar: Some(bar) }
    }

    /// One more step done.
    pub(super) fn inc(&self) {
        if let Some(bar) = &self.bar {
            if bar.length().is_some_and(|length| bar.position() >= length) {
                bar.inc_length(1);
            }
            bar.inc(1);
        }
    }

    /// The total, once known better.
    pub(super) fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_style(counted());
        }
    }
}

/// A bar with counts and an ETA.
fn counted() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} ({eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// What is being done, before it can be counted.
fn spinner() -> ProgressStyle {
    ProgressStyle::with_template("{msg} {spinner}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Drop for Progress {
    /// The bar goes when the work is done: nothing of it stays on screen.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            if let Ok(mut showing) = SHOWING.lock() {
                *showing = None;
            }
        }
    }
}

/// Runs `write` with the bar showing now, if any, out of the way.
pub(super) fn around(write: impl FnOnce()) {
    let showing = SHOWING.lock().ok().and_then(|showing| showing.clone());
    match showing {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}
