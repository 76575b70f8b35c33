//! One HTTP attempt (README, "Behaviour"): the client with its TLS roots and no redirects, the hard deadline,
//! and the status turned into a verdict by `retry`. Async, run on the background runtime;
//! nothing here touches the JS thread.

use crate::context::CallbackContext;
use crate::retry::{judge_status, parse_retry_after, Attempt, Failure};
use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls_platform_verifier::Verifier;
use std::sync::{Arc, OnceLock};
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
    /// Blocking the first time in a process (the platform's roots are read from disk then), and
    /// whenever `extra_roots_pem` is given: call it off the runtime's threads.
    pub fn new(extra_roots_pem: Option<&str>) -> Result<Self, String> {
        let verifier = match extra_roots_pem {
            None => platform_verifier()?,
            Some(pem) => Arc::new(
                Verifier::new_with_extra_roots(extra_roots(pem)?, crypto_provider())
                    .map_err(|error| format!("cannot load the TLS roots: {error}"))?,
            ),
        };
        let mut tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("cannot configure TLS: {error}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            // The token must never travel to another URL.
            .redirect(reqwest::redirect::Policy::none())
            // Like the original `fetch`: no proxy from the environment.
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(USER_AGENT_VALUE)
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self { client })
    }

    /// One attempt with a hard deadline covering connect, request, status and headers. The
    /// status decides; the response body, if any, comes back to be drained by the caller.
    pub async fn attempt(
        &self,
        context: &CallbackContext,
        event_id: &str,
        body: &Bytes,
        deadline: Duration,
    ) -> (Attempt, Option<Drain>) {
        let mut authorization =
            match HeaderValue::try_from(format!("Bearer {}", context.token.expose())) {
                Ok(value) => value,
                // Validation admits only visible ASCII, so this cannot happen; fail closed anyway.
                Err(_) => return (Attempt::Final(Failure::Network), None),
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
            Ok(Ok(response)) => response,
            failed => {
                let failure = match failed {
                    Ok(Err(error)) if !error.is_timeout() => Failure::Network,
                    _ => Failure::Timeout,
                };
                let retry = Attempt::Retry {
                    failure,
                    retry_after: None,
                };
                return (retry, None);
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        // A 2xx counts as delivered as soon as its headers arrive; the body is drained after,
        // within what is left of the deadline.
        let drain = Drain {
            response,
            deadline: started + deadline,
        };
        (judge_status(status, retry_after), Some(drain))
    }
}

/// A response body still to be read, so that its kept-alive connection can be reused. Never a
/// reason to retry; dropping it instead closes that connection.
#[derive(Debug)]
pub struct Drain {
    response: reqwest::Response,
    deadline: tokio::time::Instant,
}

impl Drain {
    /// Reads and discards up to [`MAX_DRAINED_BODY`] bytes, until the attempt's deadline.
    pub async fn run(mut self) {
        let read_all = async {
            let mut read = 0usize;
            while read < MAX_DRAINED_BODY {
                match self.response.chunk().await {
                    Ok(Some(chunk)) => read += chunk.len(),
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout_at(self.deadline, read_all).await;
    }
}

/// The cryptography of every connection: ring (fast to build, small).
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The platform's trusted roots, read once per process and shared by every client: reading
/// and parsing them costs milliseconds and a few hundred kilobytes each time.
fn platform_verifier() -> Result<Arc<Verifier>, String> {
    static VERIFIER: OnceLock<Result<Arc<Verifier>, String>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            Verifier::new(crypto_provider())
                .map(Arc::new)
                .map_err(|error| format!("cannot load the platform's TLS roots: {error}"))
        })
        .clone()
}

/// The certificates of an `extraCaCerts` PEM bundle; an error names what is wrong with it.
pub fn extra_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("extra CA certificates are not valid PEM: {error}"))?;
    if certificates.is_empty() {
        return Err("extra CA certificates: no certificate found in the PEM text".into());
    }
    Ok(certificates)
}
