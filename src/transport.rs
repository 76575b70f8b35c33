//! One HTTP attempt (SPEC §4): the client with its TLS roots and no redirects, the hard deadline,
//! and the status turned into a verdict by `retry`. Async, run on the background runtime;
//! nothing here touches the JS thread.

use crate::context::CallbackContext;
use crate::retry::{judge_status, parse_retry_after, Attempt, Failure};
use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use std::time::{Duration, SystemTime};

pub const USER_AGENT_VALUE: &str = concat!("cyrus-telemetry/", env!("CARGO_PKG_VERSION"));
/// At most this much of a 2xx response body is read (and discarded) so the connection can be
/// reused; it is never a reason to retry.
const MAX_DRAINED_BODY: usize = 64 * 1024;

/// Makes one POST per call; holds the connection pool.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    /// `extra_roots_pem`: PEM certificates trusted in addition to the platform's store.
    pub fn new(extra_roots_pem: Option<&str>) -> Result<Self, String> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            // The token must never travel to another URL.
            .redirect(reqwest::redirect::Policy::none())
            // Like the original `fetch`: no proxy from the environment.
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(USER_AGENT_VALUE);
        if let Some(pem) = extra_roots_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|error| format!("extra CA certificates are not valid PEM: {error}"))?;
            if certificates.is_empty() {
                return Err("extra CA certificates: no certificate found in the PEM text".into());
            }
            builder = builder.tls_certs_merge(certificates);
        }
        let client = builder
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self { client })
    }

    /// One attempt with a hard deadline covering connect, request, status and headers.
    pub async fn attempt(
        &self,
        context: &CallbackContext,
        event_id: &str,
        body: &Bytes,
        deadline: Duration,
    ) -> Attempt {
        let mut authorization =
            match HeaderValue::try_from(format!("Bearer {}", context.token.expose())) {
                Ok(value) => value,
                // Validation admits only visible ASCII, so this cannot happen; fail closed anyway.
                Err(_) => return Attempt::Final(Failure::Network),
            };
        authorization.set_sensitive(true);
        let request = self
            .client
            .post(context.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, authorization)
            .header(USER_AGENT, USER_AGENT_VALUE)
            .header("Idempotency-Key", event_id)
            .body(body.clone());
        let started = tokio::time::Instant::now();
        let response = match tokio::time::timeout(deadline, request.send()).await {
            Err(_) => {
                return Attempt::Retry {
                    failure: Failure::Timeout,
                    retry_after: None,
                }
            }
            Ok(Err(error)) => {
                let failure = if error.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Network
                };
                return Attempt::Retry {
                    failure,
                    retry_after: None,
                };
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        // The status decides; the body is drained on its own task within what is left of the
        // deadline, so a 2xx counts as delivered as soon as its headers arrive.
        let remaining = deadline.saturating_sub(started.elapsed());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(remaining, drain(response)).await;
        });
        judge_status(status, retry_after)
    }
}

/// Reads and discards up to [`MAX_DRAINED_BODY`] bytes so a kept-alive connection is reusable.
async fn drain(mut response: reqwest::Response) {
    let mut read = 0usize;
    while read < MAX_DRAINED_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
}

/// Installs ring as the process's rustls provider once (a no-op if one is installed already).
fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
