//! The one background runtime every reporter shares.

use crate::classify;
use std::sync::OnceLock;

/// The one background runtime shared by every reporter, started on first use: one worker
/// thread for delivery, and a small blocking pool (DNS look-ups, TLS roots, opening the spool),
/// all below the JavaScript thread's priority.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime, &'static str> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(2)
                .thread_name("cyrus-telemetry")
                .on_thread_start(crate::priority::lower_this_thread)
                .enable_io()
                .enable_time()
                .build()
                .map_err(|error| format!("cannot start the delivery thread: {error}"))
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Builds the classifier's tables (a few ms, once per process) on a short-lived thread, so the
/// first report does not pay for them on the JS thread.
pub(super) fn warm_up_classifier() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("cyrus-telemetry-warm-up".into())
            .spawn(classify::warm_up);
    });
}
