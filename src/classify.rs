// TEMPORARY STUB until the classifier lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Crash,
    Stall,
    RateLimit,
    Billing,
    MaxTurns,
}
impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Crash => "crash",
            ErrorType::Stall => "stall",
            ErrorType::RateLimit => "rate_limit",
            ErrorType::Billing => "billing",
            ErrorType::MaxTurns => "max_turns",
        }
    }
}
#[derive(Debug, Clone, Default)]
pub struct ResultMessage {
    pub subtype: Option<String>,
    pub is_error: bool,
    pub result: Option<String>,
    pub errors: Vec<String>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub error_type: ErrorType,
    pub detail: &'static str,
    pub message: String,
    pub resets_at: Option<String>,
}
pub fn classify(msg: &ResultMessage, secrets: &[&str]) -> Option<Classification> {
    if !msg.is_error && msg.subtype.as_deref() == Some("success") {
        return None;
    }
    let text = if !msg.errors.is_empty() {
        msg.errors.join("; ")
    } else {
        msg.result.clone().unwrap_or_default()
    };
    let message: String = crate::scrub::scrub(&text, secrets)
        .chars()
        .take(500)
        .collect();
    Some(Classification {
        error_type: ErrorType::Crash,
        detail: "unknown",
        message,
        resets_at: None,
    })
}
