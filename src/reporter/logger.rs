//! Log levels and the sink log lines go to.

use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Where log lines go. Lines never contain the callback token.
#[derive(Clone)]
pub struct Logger(Arc<LogSink>);

type LogSink = dyn Fn(Level, &str) + Send + Sync;

impl Logger {
    pub fn new(sink: impl Fn(Level, &str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(sink))
    }

    /// The default: warnings and errors to stderr, prefixed `[cyrus-telemetry]`.
    pub fn stderr() -> Self {
        Self::new(|level, message| {
            if level >= Level::Warn {
                eprintln!("[cyrus-telemetry] {}: {message}", level.as_str());
            }
        })
    }

    pub fn log(&self, level: Level, message: &str) {
        (self.0)(level, message)
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Logger")
    }
}
