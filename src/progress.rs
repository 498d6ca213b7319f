//! Progress of long work (sending thousands of emails, importing a file): a bar on a terminal,
//! a plain line now and then otherwise (a log file or CI reads lines, not redrawn bars).
//!
//! The library reports through [`Progress`]; only the command line shows it. The server's
//! scheduled runs report to [`Silent`].

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub trait Progress: Send + Sync {
    /// How much work there is (it may grow: more emails fall due while sending).
    fn set_length(&self, length: u64);
    fn advance(&self, done: u64);
    fn finish(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn set_length(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Progress on the standard error of the command line.
pub enum Terminal {
    Bar(ProgressBar),
    Lines(Mutex<Lines>),
}

pub struct Lines {
    what: &'static str,
    done: u64,
    length: u64,
    last_line: Option<Instant>,
    /// `done` as the last line told it, so that the end is not told twice.
    told: u64,
}

/// A plain line at most this often.
const LINE_EVERY: Duration = Duration::from_secs(5);

impl Terminal {
    /// `what` names the work in French ("envoi des courriels").
    pub fn new(what: &'static str) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0).with_message(what);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} {wide_bar} {pos}/{len} ({per_sec}, reste {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Self::Bar(bar)
        } else {
            Self::Lines(Mutex::new(Lines {
                what,
                done: 0,
                length: 0,
                last_line: None,
                told: 0,
            }))
        }
    }
}

impl Lines {
    fn line(&mut self) {
        eprintln!("{} : {}/{}", self.what, self.done, self.length);
        self.last_line = Some(Instant::now());
        self.told = self.done;
    }
}

impl Progress for Terminal {
    fn set_length(&self, length: u64) {
        match self {
            Self::Bar(bar) => bar.set_length(length),
            Self::Lines(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.length = length;
                }
            }
        }
    }

    fn advance(&self, done: u64) {
        match self {
            Self::Bar(bar) => bar.inc(done),
            Self::Lines(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.done += done;
                    if lines.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY) {
                        lines.line();
                    }
                }
            }
        }
    }

    fn finish(&self) {
        match self {
            Self::Bar(bar) => bar.finish_and_clear(),
            Self::Lines(lines) => {
                if let Ok(mut lines) = lines.lock()
                    && lines.done != lines.told
                {
                    lines.line();
                }
            }
        }
    }
}
