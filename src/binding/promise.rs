//! `flush` and `shutdown` as promises that never reject.

use super::objects::{flush_object, FlushOutcome};
use crate::reporter::{self, FlushResult, Reporter};
use napi::bindgen_prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

const DEFAULT_FLUSH_MS: f64 = 2000.0;

/// A flush/shutdown timeout: any non-negative finite number of ms; anything else (no number,
/// NaN, a negative one) means the default, because these promises never reject. The entry
/// passes a number or nothing.
pub(super) fn timeout_of(timeout_ms: Option<f64>) -> Duration {
    let ms = timeout_ms
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .unwrap_or(DEFAULT_FLUSH_MS);
    Duration::from_secs_f64(ms.min(24.0 * 3_600_000.0) / 1000.0)
}

/// Polls a future once without a runtime; used when nothing is pending, so that an idle flush
/// or shutdown settles without starting the background thread.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Option<F::Output> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

type FlushResolver = Box<dyn FnOnce(Env) -> Result<FlushOutcome> + Send>;

fn resolve(deferred: napi::JsDeferred<FlushOutcome, FlushResolver>, result: FlushResult) {
    deferred.resolve(Box::new(move |_| Ok(flush_object(result))));
}

/// Turns a flush/shutdown future into a promise that never rejects. An awaited promise keeps
/// Node alive until it settles; that is the only thing that does.
pub(super) fn settle<'env>(
    env: &'env Env,
    reporter: &Reporter,
    work: impl Future<Output = FlushResult> + Send + 'static,
) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred::<FlushOutcome, FlushResolver>()?;
    let mut work = Box::pin(work);
    if reporter.is_idle() {
        if let Some(result) = poll_once(work.as_mut()) {
            resolve(deferred, result);
            return Ok(promise);
        }
    }
    match reporter::runtime() {
        Ok(runtime) => {
            runtime.spawn(async move {
                let result = work.await;
                resolve(deferred, result);
            });
        }
        Err(_) => {
            let pending = reporter.stats().queue_length;
            resolve(
                deferred,
                FlushResult {
                    completed: false,
                    pending,
                },
            );
        }
    }
    Ok(promise)
}
