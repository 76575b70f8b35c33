//! cyrus-telemetry: agent-session error telemetry for the cyrus edge worker.
//!
//! The core modules are plain Rust, tested with `cargo test` without Node; [`binding`] is the
//! only module that knows about N-API, and is built only with the `node` feature (a default one:
//! `cargo test --no-default-features`, `fuzz/` and `bench/classify` build the core without
//! napi).

pub mod classify;
pub mod context;
pub mod event;
mod needles;
mod priority;
pub mod reading;
pub mod reporter;
pub mod retry;
pub mod scrub;
mod secret_forms;
pub mod spool;
pub mod timefmt;
pub mod transport;

// Unit tests exercise the core alone; the binding is covered by vitest over the built addon.
#[cfg(all(feature = "node", not(test)))]
mod binding;

/// Property-test cases: `default`, or `PROPTEST_CASES` for a longer run.
#[cfg(test)]
fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
