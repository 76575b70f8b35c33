//! The reporter end to end, against real HTTP servers on 127.0.0.1.
//!
//! The server is hyper's HTTP/1.1 server (already in the tree through reqwest): it records each
//! request and answers the next scripted status (0 means "never answer"), and counts the
//! connections the client closes. Nothing in the client is mocked.

use super::{FlushResult, Logger, Options, OutcomeKind, ReportInput, Reporter};
use crate::classify::ResultMessage;
use crate::context::{HeaderSet, HeaderValue};
use crate::event::SessionInfo;
use crate::retry::RetryPolicy;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

const TOKEN: &str = "loopback-token-5f2e";
const TEAM: &str = "team-loopback";
/// A scripted status that means: read the request, then never answer.
const HANG: u16 = 0;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Recorded {
    request: hyper::http::request::Parts,
    body: Bytes,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.request.headers.get(name)?.to_str().ok()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON") // ok: test code
    }
}

type Log = Arc<Mutex<Vec<Recorded>>>;

/// Starts a server answering the `i`-th request with `statuses[i]` (the last one repeats).
/// Also returns the number of connections the client has closed so far.
async fn serve(statuses: Vec<u16>) -> (SocketAddr, Log, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind"); // ok: test code
    let address = listener.local_addr().expect("address"); // ok: test code
    let log: Log = Arc::default();
    let closed = Arc::new(AtomicUsize::new(0));
    let (recorded, counted) = (log.clone(), closed.clone());
    let statuses = Arc::new(statuses);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (statuses, recorded, counted) =
                (statuses.clone(), recorded.clone(), counted.clone());
            let answer =
                service_fn(move |request| answer(request, statuses.clone(), recorded.clone()));
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), answer);
                let _ = connection.await;
                counted.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (address, log, closed)
}

/// Records one request and answers its scripted status; a hung answer ends only when the
/// client closes the connection.
async fn answer(
    request: Request<Incoming>,
    statuses: Arc<Vec<u16>>,
    log: Log,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let status = {
        let mut log = log.lock().expect("log"); // ok: test code
        log.push(Recorded {
            request: parts,
            body,
        });
        statuses[(log.len() - 1).min(statuses.len() - 1)]
    };
    if status == HANG {
        std::future::pending::<()>().await;
    }
    let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Ok(response)
}

/// A quiet reporter with a 10 ms backoff, its context pointing at `address`.
fn reporter_for(address: SocketAddr, request_timeout: Duration) -> Reporter {
    let reporter = Reporter::new(Options {
        retry: RetryPolicy {
            backoff_base: Duration::from_millis(10),
            ..Default::default()
        },
        request_timeout,
        logger: Logger::new(|_, _| true),
        ..Options::default()
    });
    let (status, reason) = reporter.set_context(Ok(HeaderSet::from_fields(
        HeaderValue::One(TOKEN.into()),
        HeaderValue::One(format!("http://{address}/cb")),
        HeaderValue::One(TEAM.into()),
    )));
    assert_eq!(status.as_str(), "set", "{reason:?}");
    reporter
}

/// Reports one failed session; returns its event id.
/// A failed session whose error text is `error`.
fn failed(session_id: &str, error: &str) -> ReportInput {
    Ok((
        SessionInfo {
            session_id: session_id.into(),
            ..Default::default()
        },
        ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            errors: vec![error.into()],
            result: None,
        },
    ))
}

/// Reports one failed session, which must be queued; returns its event id.
fn report(reporter: &Reporter, session_id: &str) -> String {
    let outcome = reporter.report(failed(session_id, "boom"), false);
    assert_eq!(outcome.kind, OutcomeKind::Queued);
    outcome.event_id.expect("a queued event has an id") // ok: test code
}

const DELIVERED: FlushResult = FlushResult {
    completed: true,
    pending: 0,
};

#[tokio::test]
async fn retryable_503_then_200_is_delivered_with_the_same_event() {
    let (address, log, _) = serve(vec![503, 200]).await;
    let reporter = reporter_for(address, Duration::from_secs(5));
    let event_id = report(&reporter, "s");

    assert_eq!(reporter.flush(Duration::from_secs(5)).await, DELIVERED);
    let requests = log.lock().expect("log").clone(); // ok: test code
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.body, requests[0].body,
            "every attempt sends the same bytes"
        );
        assert_eq!(request.json()["event_id"], event_id.as_str());
        assert_eq!(request.header("idempotency-key"), Some(event_id.as_str()));
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert!(request
            .header("user-agent")
            .is_some_and(|agent| agent.starts_with("cyrus-telemetry/")));
    }
    let body = requests[0].json();
    assert_eq!(body["team_id"], TEAM);
    assert_eq!(body["session_id"], "s");
    assert_eq!(body["event_type"], "agent_session_error");
    let stats = reporter.stats();
    assert_eq!((stats.sent, stats.retried, stats.failed), (1, 1, 0));
}

#[tokio::test]
async fn a_400_is_final_after_one_attempt() {
    let (address, log, _) = serve(vec![400]).await;
    let reporter = reporter_for(address, Duration::from_secs(5));
    report(&reporter, "s");

    assert_eq!(reporter.flush(Duration::from_secs(5)).await, DELIVERED);
    assert_eq!(log.lock().expect("log").len(), 1); // ok: test code
    let stats = reporter.stats();
    assert_eq!(
        (stats.sent, stats.retried, stats.failed, stats.failed_http),
        (0, 0, 1, 1)
    );
}

#[tokio::test]
async fn flush_waits_for_every_queued_event() {
    let (address, log, _) = serve(vec![200]).await;
    let reporter = reporter_for(address, Duration::from_secs(5));
    assert!(reporter.is_idle());
    assert_eq!(reporter.flush(Duration::from_millis(10)).await, DELIVERED);
    let ids: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|session| report(&reporter, session))
        .collect();

    assert_eq!(reporter.flush(Duration::from_secs(5)).await, DELIVERED);
    assert!(reporter.is_idle());
    let mut seen: Vec<String> = log
        .lock()
        .expect("log") // ok: test code
        .iter()
        .map(|request| {
            request.json()["event_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    seen.sort();
    let mut expected = ids;
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(reporter.stats().sent, 3);
}

#[tokio::test]
async fn flush_gives_up_at_its_deadline_and_counts_what_is_pending() {
    let (address, log, _) = serve(vec![HANG]).await;
    let reporter = reporter_for(address, Duration::from_secs(30));
    report(&reporter, "a");
    report(&reporter, "b");

    let started = tokio::time::Instant::now();
    let result = reporter.flush(Duration::from_millis(200)).await;
    assert_eq!(
        result,
        FlushResult {
            completed: false,
            pending: 2
        }
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Both requests reach the hanging server (on a loaded machine, maybe after the flush ended).
    let logged = || log.lock().map_or(0, |requests| requests.len());
    let arrived = tokio::time::Instant::now() + Duration::from_secs(10);
    while logged() < 2 && tokio::time::Instant::now() < arrived {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(logged(), 2);

    // Shutting down abandons the hung sends instead of waiting for their 30 s deadline, and
    // accounts for them.
    let result = reporter.shutdown(Duration::from_millis(50)).await;
    assert!(!result.completed);
    let stats = reporter.stats();
    assert_eq!((stats.queued, stats.abandoned, stats.in_flight), (2, 2, 0));
    assert_eq!(stats.queued, stats.sent + stats.failed + stats.abandoned);
}

/// Waits (up to 5 s) until `probe` holds.
async fn eventually(probe: impl Fn() -> bool) -> bool {
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while !probe() && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    probe()
}

#[tokio::test]
async fn dropping_the_reporter_ends_its_deliveries_and_closes_their_connections() {
    let (address, log, closed) = serve(vec![HANG]).await;
    let reporter = reporter_for(address, Duration::from_secs(30));
    report(&reporter, "a");
    report(&reporter, "b");
    assert!(eventually(|| log.lock().map_or(0, |requests| requests.len()) == 2).await);
    assert_eq!(closed.load(Ordering::SeqCst), 0);

    drop(reporter);
    assert!(eventually(|| closed.load(Ordering::SeqCst) == 2).await);
}

#[tokio::test]
async fn shutdown_closes_the_kept_alive_connection() {
    let (address, _, closed) = serve(vec![200]).await;
    let reporter = reporter_for(address, Duration::from_secs(5));
    report(&reporter, "a");
    assert_eq!(reporter.flush(Duration::from_secs(5)).await, DELIVERED);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        closed.load(Ordering::SeqCst),
        0,
        "kept alive after the flush"
    );

    assert_eq!(reporter.shutdown(Duration::from_secs(1)).await, DELIVERED);
    assert!(eventually(|| closed.load(Ordering::SeqCst) == 1).await);
}

#[tokio::test]
async fn a_held_event_is_scrubbed_with_the_token_before_it_is_cut() {
    let (address, log, _) = serve(vec![200]).await;
    let reporter = Reporter::new(Options {
        logger: Logger::new(|_, _| true),
        ..Options::default()
    });
    // The token starts at character 490 of the message: a cut first would keep 10 of its
    // characters.
    let text = format!("{}{TOKEN} and after", "x".repeat(490));
    let outcome = reporter.report(failed("held", &text), false);
    assert_eq!(outcome.kind, OutcomeKind::Held);
    assert_eq!(reporter.stats().held, 1);

    let (status, _) = reporter.set_context(Ok(HeaderSet::from_fields(
        HeaderValue::One(TOKEN.into()),
        HeaderValue::One(format!("http://{address}/cb")),
        HeaderValue::One(TEAM.into()),
    )));
    assert_eq!(status.as_str(), "set");
    assert_eq!(reporter.flush(Duration::from_secs(5)).await, DELIVERED);
    let body = log.lock().expect("log")[0].json(); // ok: test code
    let expected = format!("{}[REDACTED]", "x".repeat(490));
    assert_eq!(body["error_message"], expected[..500]);
    assert_eq!(reporter.stats().held, 0);
}

#[tokio::test]
async fn a_flush_waits_only_for_the_events_queued_before_it() {
    let (address, _, _) = serve(vec![HANG]).await;
    let reporter = reporter_for(address, Duration::from_secs(30));
    report(&reporter, "before");
    let flush = reporter.flush(Duration::from_millis(200));
    report(&reporter, "after");
    report(&reporter, "after-too");
    assert_eq!(
        flush.await,
        FlushResult {
            completed: false,
            pending: 1
        }
    );
    assert_eq!(reporter.stats().queued, 3);
    let stopped = reporter.shutdown(Duration::from_millis(10)).await;
    assert_eq!(stopped.pending, 3);
    assert_eq!(reporter.stats().abandoned, 3);
}

#[tokio::test]
async fn after_shutdown_a_context_releases_nothing_into_the_stopped_queue() {
    let (address, log, _) = serve(vec![200]).await;
    let reporter = Reporter::new(Options {
        logger: Logger::new(|_, _| true),
        ..Options::default()
    });
    let outcome = reporter.report(failed("held", "boom"), false);
    assert_eq!(outcome.kind, OutcomeKind::Held);
    assert_eq!(
        reporter.shutdown(Duration::from_millis(10)).await,
        DELIVERED
    );
    let (status, _) = reporter.set_context(Ok(HeaderSet::from_fields(
        HeaderValue::One(TOKEN.into()),
        HeaderValue::One(format!("http://{address}/cb")),
        HeaderValue::One(TEAM.into()),
    )));
    assert_eq!(status.as_str(), "set");
    let stats = reporter.stats();
    assert_eq!((stats.held, stats.queued, stats.abandoned), (1, 0, 0));
    assert!(log.lock().expect("log").is_empty()); // ok: test code
}
