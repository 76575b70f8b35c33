//! What `reportSessionError` returns.

use crate::classify::ResultMessage;
use crate::event::SessionInfo;

/// The `outcome` of `reportSessionError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Queued,
    Held,
    NotAnError,
    UserStop,
    Disabled,
    DroppedQueueFull,
    InvalidInput,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Queued => "queued",
            OutcomeKind::Held => "held",
            OutcomeKind::NotAnError => "not_an_error",
            OutcomeKind::UserStop => "user_stop",
            OutcomeKind::Disabled => "disabled",
            OutcomeKind::DroppedQueueFull => "dropped_queue_full",
            OutcomeKind::InvalidInput => "invalid_input",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub event_id: Option<String>,
    pub error_type: Option<&'static str>,
    pub error_detail: Option<&'static str>,
    pub reason: Option<String>,
}

impl Outcome {
    pub(super) fn bare(kind: OutcomeKind, reason: Option<&str>) -> Self {
        Self {
            kind,
            event_id: None,
            error_type: None,
            error_detail: None,
            reason: reason.map(str::to_owned),
        }
    }
}

/// What `reportSessionError` hands over: the session fields and the result, or why the input
/// could not be read.
pub type ReportInput = Result<(SessionInfo, ResultMessage), String>;
