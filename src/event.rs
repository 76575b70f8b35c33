//! The wire event (README, "The event"): built on the JS thread from plain values, serialized once on the
//! background thread, and sent unchanged on every attempt.

use crate::classify::{Classification, ErrorType};
use crate::timefmt;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

pub const EVENT_TYPE: &str = "agent_session_error";
/// The most characters `session_id`, `issue_id` and `issue_identifier` keep (real ones are a few
/// dozen): with every other text capped too, an event has a largest size, which the spool reads.
pub const MAX_ID_CHARS: usize = 256;

/// What `reportSessionError` reads of cyrus's `CyrusAgentSession` (and its options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionInfo {
    /// `options.sessionId ?? session.id`.
    pub session_id: String,
    /// `session.createdAt`, ms since the epoch.
    pub created_at_ms: Option<f64>,
    /// `issueContext?.issueId ?? issueId`.
    pub issue_id: Option<String>,
    /// `issueContext?.issueIdentifier ?? issue?.identifier`.
    pub issue_identifier: Option<String>,
}

/// One agent-session error, as it will be POSTed. `team_id` is filled in when the event leaves
/// the held buffer (or at once when a context exists). Static texts stay borrowed for fresh
/// events and become owned only for events read back from the spool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub team_id: String,
    pub event_type: Cow<'static, str>,
    pub error_type: Cow<'static, str>,
    pub error_message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_identifier: Option<String>,
    pub session_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    pub timestamp: String,
    pub event_id: String,
    pub error_detail: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<String>,
    /// When the event was reported, ms since the epoch (spool age); not on the wire.
    #[serde(skip)]
    pub reported_at_ms: i64,
    /// Already on disk in the spool (restored, or written once); not on the wire.
    #[serde(skip)]
    pub spooled: bool,
}

impl Event {
    /// A new event with a fresh UUID v4 and the current time.
    pub fn new(session: SessionInfo, classification: Classification) -> Self {
        let now_ms = now_millis();
        Self {
            team_id: String::new(),
            event_type: Cow::Borrowed(EVENT_TYPE),
            error_type: Cow::Borrowed(ErrorType::as_str(classification.error_type)),
            error_message: classification.message,
            issue_id: session.issue_id.map(capped_id),
            issue_identifier: session.issue_identifier.map(capped_id),
            session_id: capped_id(session.session_id),
            duration_seconds: session
                .created_at_ms
                .and_then(|created| duration_seconds(created, now_ms)),
            timestamp: timefmt::iso_millis(now_ms),
            event_id: new_event_id(),
            error_detail: Cow::Borrowed(classification.detail),
            resets_at: classification.resets_at,
            reported_at_ms: now_ms,
            spooled: false,
        }
    }

    /// The JSON body; serializing plain strings and numbers cannot fail.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A fresh UUID v4, hyphenated and lower case, written straight into its string (not through
/// `fmt`, which costs about a thousand instructions more per report).
fn new_event_id() -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buffer)
        .to_owned()
}

/// An id cut to [`MAX_ID_CHARS`] on a character boundary.
fn capped_id(mut id: String) -> String {
    if let Some((end, _)) = id.char_indices().nth(MAX_ID_CHARS) {
        id.truncate(end);
    }
    id
}

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// `round((now − created) / 1000)`; None for a start time that is not a finite, plausible
/// epoch or lies in the future.
fn duration_seconds(created_ms: f64, now_ms: i64) -> Option<i64> {
    if !created_ms.is_finite() || created_ms <= 0.0 {
        return None;
    }
    let elapsed_ms = now_ms as f64 - created_ms;
    (elapsed_ms >= 0.0).then(|| (elapsed_ms / 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classification() -> Classification {
        Classification {
            error_type: ErrorType::RateLimit,
            detail: "http_429",
            message: "429 Too Many Requests".into(),
            resets_at: None,
        }
    }

    #[test]
    fn optional_fields_are_omitted_never_null() {
        let session = SessionInfo {
            session_id: "s-1".into(),
            ..SessionInfo::default()
        };
        let mut event = Event::new(session, classification());
        event.team_id = "team".into();
        let body: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "error_detail",
                "error_message",
                "error_type",
                "event_id",
                "event_type",
                "session_id",
                "team_id",
                "timestamp"
            ]
        );
        assert_eq!(body["event_type"], "agent_session_error");
    }

    #[test]
    fn full_event_has_every_field() {
        let session = SessionInfo {
            session_id: "s-1".into(),
            created_at_ms: Some(now_millis() as f64 - 61_400.0),
            issue_id: Some("issue-uuid".into()),
            issue_identifier: Some("CYPACK-951".into()),
        };
        let mut with_reset = classification();
        with_reset.resets_at = Some("2025-08-19T15:00:00Z".into());
        let event = Event::new(session, with_reset);
        let body: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(body.as_object().unwrap().len(), 12);
        assert_eq!(body["duration_seconds"], 61);
        assert_eq!(body["issue_identifier"], "CYPACK-951");
        let id = uuid::Uuid::parse_str(body["event_id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
        let timestamp = body["timestamp"].as_str().unwrap();
        assert_eq!(timestamp.len(), "2026-03-13T17:36:00.123Z".len());
        assert!(timestamp.ends_with('Z'));
    }

    #[test]
    fn ids_are_capped_on_a_character_boundary() {
        let long = "é".repeat(1_100_000);
        let session = SessionInfo {
            session_id: long.clone(),
            issue_id: Some(long.clone()),
            issue_identifier: Some("CYPACK-951".into()),
            ..SessionInfo::default()
        };
        let event = Event::new(session, classification());
        assert_eq!(event.session_id, "é".repeat(MAX_ID_CHARS));
        assert_eq!(event.issue_id, Some("é".repeat(MAX_ID_CHARS)));
        assert_eq!(event.issue_identifier.as_deref(), Some("CYPACK-951"));
    }

    #[test]
    fn duration_is_rounded_and_sane() {
        assert_eq!(duration_seconds(1_000.0, 2_499), Some(1));
        assert_eq!(duration_seconds(1_000.0, 2_500), Some(2));
        assert_eq!(duration_seconds(5_000.0, 1_000), None);
        assert_eq!(duration_seconds(f64::NAN, 1_000), None);
        assert_eq!(duration_seconds(-3.0, 1_000), None);
    }
}
