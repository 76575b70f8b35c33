//! `reportSessionError` and `classifySessionError` over plain values: the package entry
//! (`read.cjs`) has read the session, result and options fields; here the rules decide (README,
//! "API": `options.sessionId ?? session.id`, what is an object, what is an error), and the
//! report's outcome goes back packed into one string.

use super::objects::{classification_object, SessionErrorClassification};
use crate::classify::ResultMessage;
use crate::event::SessionInfo;
use crate::reporter::{Outcome, OutcomeKind, ReportInput, Reporter};

/// Bits of the `flags` argument: what the entry found, beside the fields it read. Handed to it
/// by name at load (`rules.rs`).
pub(super) const FLAGS: [(&str, u32); 4] = [
    ("isError", IS_ERROR),
    ("stopRequested", STOP_REQUESTED),
    ("sessionNotAnObject", SESSION_NOT_AN_OBJECT),
    ("resultNotAnObject", RESULT_NOT_AN_OBJECT),
];
/// `result.is_error === true`.
const IS_ERROR: u32 = 1;
/// `options.stopRequested === true`.
const STOP_REQUESTED: u32 = 1 << 1;
/// `session` is not an object (nothing of it was read).
const SESSION_NOT_AN_OBJECT: u32 = 1 << 2;
/// `result` is not an object (nothing of it was read).
const RESULT_NOT_AN_OBJECT: u32 = 1 << 3;

/// Separates the fields of a packed outcome: `outcome⇥eventId⇥errorType⇥errorDetail⇥reason`.
pub(super) const PACKED_SEPARATOR: char = '\t';

/// In builds with the `test-hooks` feature only, a report for this session id panics inside
/// the export, so that a test can prove the boundary contains it.
#[cfg(feature = "test-hooks")]
const FORCED_PANIC_SESSION: &str = "__cyrus_telemetry_forced_panic__";

/// The result message fields, as the entry read them.
pub(super) struct ResultFields {
    pub(super) subtype: Option<String>,
    pub(super) result: Option<String>,
    /// The string entries among the first entries of `errors`, each cut to what is used.
    pub(super) errors: Option<Vec<String>>,
}

impl ResultFields {
    fn message(self, flags: u32) -> ResultMessage {
        ResultMessage {
            subtype: self.subtype,
            is_error: flags & IS_ERROR != 0,
            result: self.result,
            errors: self.errors.unwrap_or_default(),
        }
    }
}

/// The session fields, as the entry read them.
pub(super) struct SessionFields {
    pub(super) options_session_id: Option<String>,
    pub(super) session_id: Option<String>,
    pub(super) created_at: Option<f64>,
    /// `issueContext.issueId`, else the deprecated `issueId`.
    pub(super) issue_id: Option<String>,
    /// `issueContext.issueIdentifier`, else the deprecated `issue.identifier`.
    pub(super) issue_identifier: Option<String>,
}

/// `options.sessionId ?? session.id`, empty strings counting as absent.
fn session_id_of(fields: &mut SessionFields) -> Result<String, String> {
    let non_empty = |id: &mut Option<String>| id.take().filter(|id| !id.is_empty());
    non_empty(&mut fields.options_session_id)
        .or_else(|| non_empty(&mut fields.session_id))
        .ok_or_else(|| "session has no id (pass options.sessionId or a session with an id)".into())
}

/// The session and result as the core takes them, or why they are not a report.
fn core_input(mut session: SessionFields, result: ResultFields, flags: u32) -> ReportInput {
    if flags & SESSION_NOT_AN_OBJECT != 0 {
        return Err("session must be an object".into());
    }
    if flags & RESULT_NOT_AN_OBJECT != 0 {
        return Err("result must be an object (the SDK result message)".into());
    }
    let info = SessionInfo {
        session_id: session_id_of(&mut session)?,
        created_at_ms: session.created_at,
        issue_id: session.issue_id,
        issue_identifier: session.issue_identifier,
    };
    Ok((info, result.message(flags)))
}

/// Reports a session; the outcome packed for the entry to unpack.
pub(super) fn report(
    reporter: &Reporter,
    session: SessionFields,
    result: ResultFields,
    flags: u32,
) -> String {
    let input = core_input(session, result, flags);
    #[cfg(feature = "test-hooks")]
    if matches!(&input, Ok((session, _)) if session.session_id == FORCED_PANIC_SESSION) {
        panic!("forced panic for session {FORCED_PANIC_SESSION}");
    }
    packed(&reporter.report(input, flags & STOP_REQUESTED != 0))
}

/// The outcome of a report that could not run (a contained panic).
pub(super) fn internal_error_outcome() -> String {
    packed(&Outcome {
        kind: OutcomeKind::InvalidInput,
        event_id: None,
        error_type: None,
        error_detail: None,
        reason: Some("internal error (logged); nothing was reported".into()),
    })
}

/// Classifies a result (null for a non-object or a stopped session); the reporter's captured
/// token is scrubbed too.
pub(super) fn classify(
    reporter: &Reporter,
    result: ResultFields,
    flags: u32,
) -> Option<SessionErrorClassification> {
    if flags & (RESULT_NOT_AN_OBJECT | STOP_REQUESTED) != 0 {
        return None;
    }
    reporter
        .classify(&result.message(flags))
        .map(classification_object)
}

/// The outcome as one string, which the entry unpacks into the `ReportOutcome` object: one
/// string is much cheaper to hand back through N-API than an object built property by property.
fn packed(outcome: &Outcome) -> String {
    let fields = [
        Some(outcome.kind.as_str()),
        outcome.event_id.as_deref(),
        outcome.error_type,
        outcome.error_detail,
        outcome.reason.as_deref(),
    ];
    let mut packed = String::with_capacity(96);
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            packed.push(PACKED_SEPARATOR);
        }
        packed.push_str(field.unwrap_or_default());
    }
    packed
}
