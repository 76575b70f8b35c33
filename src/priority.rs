//! The background threads (delivery, blocking tasks, the spool) run below the JavaScript thread:
//! telemetry is the least important work in the worker, and on a two-core droplet its threads
//! compete with the event loop for the same cores.

/// The nice value of the background threads: 10 gives them about a tenth of a core the event
/// loop also wants (CFS weights 110 against 1024), yet enough to deliver within their deadlines.
#[cfg(target_os = "linux")]
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority. On Linux the nice value is per thread
/// (`setpriority(PRIO_PROCESS, 0)` names the calling thread), so the JavaScript thread keeps its
/// own. Elsewhere it is per process, so nothing is changed. Best effort: a refusal is ignored.
pub(crate) fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, BACKGROUND_NICE);
    }
}
