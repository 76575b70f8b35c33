//! The plain-values entry point behind the package entry's `reportSessionError` fast path:
//! the fields already read in JavaScript, the outcome packed into one string.

use super::input::session_id_of;
use super::objects::ReportOutcome;
use super::{contained, internal_error_outcome, report_input};
use crate::classify::ResultMessage;
use crate::event::SessionInfo;
use crate::reporter::Reporter;

/// The fields of a report as plain values, read by the package entry (`entry.cjs`) in
/// JavaScript and passed as arguments: far cheaper than reading them through N-API one by one.
pub(super) struct ReportFields {
    /// `options.sessionId ?? session.id`.
    pub(super) session_id: Option<String>,
    pub(super) created_at: Option<f64>,
    pub(super) issue_id: Option<String>,
    pub(super) issue_identifier: Option<String>,
    pub(super) subtype: Option<String>,
    pub(super) is_error: bool,
    pub(super) result: Option<String>,
    /// The string entries of `errors`.
    pub(super) errors: Option<Vec<String>>,
    pub(super) stop_requested: bool,
}

/// Separates the fields of a packed outcome: `outcome⇥eventId⇥errorType⇥errorDetail⇥reason`.
const PACKED_SEPARATOR: char = '\t';

/// The outcome as one string, which the entry unpacks into the outcome object: one string is
/// much cheaper to hand back through N-API than an object built property by property.
fn packed(outcome: ReportOutcome) -> String {
    let fields = [
        Some(outcome.outcome),
        outcome.event_id,
        outcome.error_type,
        outcome.error_detail,
        outcome.reason,
    ];
    let mut packed = String::with_capacity(96);
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            packed.push(PACKED_SEPARATOR);
        }
        packed.push_str(field.as_deref().unwrap_or_default());
    }
    packed
}

pub(super) fn report_plain(reporter: &Reporter, fields: ReportFields) -> String {
    packed(contained(reporter, internal_error_outcome, || {
        let ReportFields {
            session_id,
            created_at,
            issue_id,
            issue_identifier,
            subtype,
            is_error,
            result,
            errors,
            stop_requested,
        } = fields;
        let input = session_id_of(session_id, || None).map(|session_id| {
            let session = SessionInfo {
                session_id,
                created_at_ms: created_at,
                issue_id,
                issue_identifier,
            };
            let result = ResultMessage {
                subtype,
                is_error,
                result,
                errors: errors.unwrap_or_default(),
            };
            (session, result)
        });
        report_input(reporter, input, stop_requested)
    }))
}
