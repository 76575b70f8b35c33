//! The background threads (delivery, blocking tasks, the spool) run below the JavaScript thread:
//! telemetry is the least important work in the worker, and on a two-core droplet its threads
//! compete with the event loop for the same cores.

/// The nice value of the background threads: the lowest. A core the event loop also wants goes
/// to the event loop (CFS weights 15 against 1024); a POST needs ~80 µs of CPU, so even then an
/// event is delivered within milliseconds, far inside its 10 s deadline. Measured against nice 0
/// and 10 in BENCHMARKS.md ("event-loop delay").
#[cfg(target_os = "linux")]
const BACKGROUND_NICE: i32 = 19;

/// Lowers the calling thread's scheduling priority. On Linux the nice value is per thread
/// (`setpriority(PRIO_PROCESS, 0)` names the calling thread), so the JavaScript thread keeps its
/// own. Elsewhere it is per process, so nothing is changed. Best effort: a refusal is ignored.
pub(crate) fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, BACKGROUND_NICE);
    }
}
