//! Log levels, the `logLevel` threshold and the sink log lines go to.
//!
//! A line below the threshold is never formatted and never reaches the sink (for a JS logger:
//! never queued to the JS thread). Lines are handed over as `format_args!`, which only captures
//! references; [`Logger::log`] checks the level before it builds the string.

use std::fmt;
use std::sync::Arc;

/// The level of one log line.
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

/// The `logLevel` option: the lowest level a line needs to be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
    Silent,
}

/// The option's names, indexed by cyrus's `LogLevel` numbers (packages/core ILogger.ts:
/// `DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3, SILENT = 4`), which `getLevel()` returns.
const LOG_LEVELS: [(&str, LogLevel); 5] = [
    ("debug", LogLevel::Debug),
    ("info", LogLevel::Info),
    ("warn", LogLevel::Warn),
    ("error", LogLevel::Error),
    ("silent", LogLevel::Silent),
];

impl LogLevel {
    /// The names the option accepts, for error messages.
    pub const NAMES: &'static str = "\"debug\", \"info\", \"warn\", \"error\" or \"silent\"";

    /// A name, case-insensitive (cyrus reads `CYRUS_LOG_LEVEL=DEBUG`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        LOG_LEVELS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, level)| level)
    }

    /// What cyrus's `ILogger.getLevel()` returned.
    pub fn from_cyrus(value: f64) -> Option<Self> {
        LOG_LEVELS
            .iter()
            .enumerate()
            .find(|&(number, _)| number as f64 == value)
            .map(|(_, &(_, level))| level)
    }

    /// `CYRUS_LOG_LEVEL`, as cyrus's own logger reads it, else `info`.
    pub fn from_environment() -> Self {
        std::env::var("CYRUS_LOG_LEVEL")
            .ok()
            .and_then(|name| Self::parse(&name))
            .unwrap_or(LogLevel::Info)
    }

    fn admits(self, level: Level) -> bool {
        let needed = match self {
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
            LogLevel::Silent => return false,
        };
        level >= needed
    }
}

/// Where log lines go, and the threshold they must reach. Lines never contain the callback
/// token.
#[derive(Clone)]
pub struct Logger {
    sink: Arc<LogSink>,
    level: LogLevel,
}

/// Takes one line; false when it had to drop it (a full queue to the JavaScript thread).
type LogSink = dyn Fn(Level, &str) -> bool + Send + Sync;

impl Logger {
    /// A sink at the default threshold: `CYRUS_LOG_LEVEL`, else `info`.
    pub fn new(sink: impl Fn(Level, &str) -> bool + Send + Sync + 'static) -> Self {
        Self {
            sink: Arc::new(sink),
            level: LogLevel::from_environment(),
        }
    }

    /// The default: warnings and errors to stderr, prefixed `[cyrus-telemetry]` (fewer when
    /// `CYRUS_LOG_LEVEL` says `error` or `silent`; more only with an explicit `logLevel`).
    pub fn stderr() -> Self {
        let logger = Self::new(|level, message| {
            eprintln!("[cyrus-telemetry] {}: {message}", level.as_str());
            true
        });
        let level = logger.level.max(LogLevel::Warn);
        logger.with_level(level)
    }

    /// The same sink with another threshold.
    pub fn with_level(self, level: LogLevel) -> Self {
        Self { level, ..self }
    }

    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// Formats and hands over the line, if the threshold admits its level. False when the
    /// sink had to drop it.
    pub fn log(&self, level: Level, message: fmt::Arguments<'_>) -> bool {
        if !self.level.admits(level) {
            return true;
        }
        match message.as_str() {
            Some(text) => (self.sink)(level, text),
            None => (self.sink)(level, &message.to_string()),
        }
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("level", &self.level)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// Counts how often it is formatted.
    struct Counted<'a>(&'a AtomicUsize);

    impl fmt::Display for Counted<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fetch_add(1, Ordering::Relaxed);
            f.write_str("id")
        }
    }

    type Lines = Arc<Mutex<Vec<(Level, String)>>>;

    fn recording() -> (Logger, Lines) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let logger = Logger::new(move |level, message: &str| {
            sink.lock().unwrap().push((level, message.to_owned()));
            true
        });
        (logger, lines)
    }

    #[test]
    fn lines_below_the_threshold_are_neither_formatted_nor_sent() {
        let formatted = AtomicUsize::new(0);
        let (logger, lines) = recording();
        let logger = logger.with_level(LogLevel::Info);
        logger.log(
            Level::Debug,
            format_args!("event {} delivered", Counted(&formatted)),
        );
        assert_eq!(formatted.load(Ordering::Relaxed), 0);
        assert!(lines.lock().unwrap().is_empty());
        logger.log(
            Level::Info,
            format_args!("event {} delivered", Counted(&formatted)),
        );
        assert_eq!(formatted.load(Ordering::Relaxed), 1);
        assert_eq!(
            *lines.lock().unwrap(),
            [(Level::Info, "event id delivered".to_owned())]
        );
    }

    #[test]
    fn thresholds() {
        let (logger, lines) = recording();
        for level in [
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
            LogLevel::Silent,
        ] {
            let logger = logger.clone().with_level(level);
            for line in [Level::Debug, Level::Info, Level::Warn, Level::Error] {
                logger.log(line, format_args!("x"));
            }
        }
        let counts: Vec<usize> = [Level::Debug, Level::Info, Level::Warn, Level::Error]
            .iter()
            .map(|level| {
                lines
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(l, _)| l == level)
                    .count()
            })
            .collect();
        // debug passes 1 threshold (debug), info 2, warn 3, error 4; silent passes none.
        assert_eq!(counts, [1, 2, 3, 4]);
    }

    #[test]
    fn names_and_cyrus_numbers() {
        assert_eq!(LogLevel::parse("DEBUG"), Some(LogLevel::Debug));
        assert_eq!(LogLevel::parse(" warn "), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("Silent"), Some(LogLevel::Silent));
        assert_eq!(LogLevel::parse("verbose"), None);
        assert_eq!(LogLevel::from_cyrus(0.0), Some(LogLevel::Debug));
        assert_eq!(LogLevel::from_cyrus(1.0), Some(LogLevel::Info));
        assert_eq!(LogLevel::from_cyrus(4.0), Some(LogLevel::Silent));
        assert_eq!(LogLevel::from_cyrus(1.5), None);
        assert_eq!(LogLevel::from_cyrus(5.0), None);
        assert_eq!(LogLevel::from_cyrus(-1.0), None);
    }
}
