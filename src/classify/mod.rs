//! Classification of an agent session's result message (README, "Classification rules").
//!
//! Input: the fields of the SDK result message that matter ([`ResultMessage`]). Output: the
//! `error_type` contract value (five values), a finer `error_detail` code, the scrubbed and
//! bounded `error_message`, and `resets_at` when the text carries a reset epoch.
//!
//! # How
//!
//! 1. **Scan once** (`scan.rs`). One pass of a case-insensitive multi-needle automaton
//!    (Aho-Corasick, every overlapping occurrence) over the first [`CLASSIFY_WINDOW_BYTES`] of the
//!    text records each keyword family of the signal table (`signals.rs`) as a bit of a 64-bit
//!    set. HTTP status numbers count only as numbers with status context (`API Error: 429`,
//!    `status code: 429`, `(429)`, `[429]`, a line starting with `429`), never inside ids or
//!    token counts. Reset epochs are read at their markers (`…reached|1755615600`,
//!    `"resets_at": 1775317531`). The same pass finds where credentials may start, for scrubbing
//!    the message (see `crate::scrub`).
//! 2. **Decide by table** (`rules.rs`). The rule table is read top-down; the first row whose
//!    condition holds gives `error_type` and `error_detail`. The order is the knowledge: the
//!    SDK's subtypes first, then caps and money, subscription windows, throttling (before
//!    timeouts and context words, which appear inside rate-limit texts), request problems,
//!    timeouts, transport, the local process.
//! 3. **Build the message** (`message.rs`): the text, scrubbed, cut to [`MESSAGE_MAX_CHARS`].
//!
//! The text is `errors` (each entry) followed by `result`, as the SDK and cyrus's Codex, Gemini
//! and Cursor runners produce them. Only the first [`CLASSIFY_WINDOW_BYTES`] bytes are scanned
//! (error bodies put the code and message first), so a 10 MB message classifies in bounded,
//! linear time; a 2 KB message costs about 16–21 thousand instructions, scrubbing included
//! (`bench/classify`, BENCHMARKS.md).
//!
//! # `error_detail` codes
//!
//! | code | error_type | meaning |
//! |---|---|---|
//! | `max_turns` | max_turns | turn cap hit (`error_max_turns`, "Reached maximum number of turns", Gemini CLI exit 53, Pydantic AI `request_limit` / `total_tokens_limit`) |
//! | `iteration_limit` | max_turns | an agent framework's cap in iterations or steps (LangChain "iteration limit or time limit", LlamaIndex "max iterations", LangGraph "Recursion limit of 25 reached", smolagents "max steps", AutoGen "consecutive auto-replies") |
//! | `max_budget` | billing | USD budget cap hit (`error_max_budget_usd`, LiteLLM "Budget has been exceeded") |
//! | `spend_limit` | billing | spend cap set by the account (Cursor `spendLimitHit: true`, OpenAI `billing_hard_limit_reached`, Anthropic "specified API usage limits") |
//! | `insufficient_quota` | billing | OpenAI-style exhausted quota (`insufficient_quota`, "exceeded your current quota … billing details") |
//! | `credit_balance` | billing | Anthropic "Credit balance is too low" |
//! | `http_402` | billing | HTTP 402 / Payment Required |
//! | `insufficient_credits` | billing | prepaid credits exhausted (OpenRouter "requires more credits … can only afford", DeepSeek "Insufficient Balance", xAI "used all available credits") |
//! | `billing` | billing | billing disabled / account inactive / payment method problems / payment details needed to go on (DashScope `AllocationQuota.FreeTierOnly`) |
//! | `balance` | billing | prepaid balance empty or account in arrears, in English or Chinese, whatever the status (Z.ai code 1113 "余额不足…请充值", Kimi `exceeded_current_quota_error`, DashScope "good standing … overdue-payment", Volcengine `AccountOverdueError`) |
//! | `usage_limit` | rate_limit | subscription usage window (Claude "usage limit reached\|epoch", "You've hit your limit · resets …", Codex/Cursor "You've hit your usage limit"); a plan's allowance used up (bolt.new "You've used all your remaining tokens") |
//! | `itpm` / `otpm` | rate_limit | Anthropic input / output tokens-per-minute limit |
//! | `tpm` / `rpm` | rate_limit | tokens / requests per minute (OpenAI and others) |
//! | `per_minute_quota` | rate_limit | Google per-minute quota ("Quota exceeded for quota metric … per minute") |
//! | `daily_quota` | rate_limit | per-day quota (Gemini "… requests per day …") |
//! | `daily_limit` | rate_limit | daily token or request limit, even behind a 500 (Groq "tokens per day (TPD)", Qianfan "daily request limit reached", Z.ai 1304 "今日调用次数限额") |
//! | `free_tier_quota` | rate_limit | free-tier quota with a retry delay |
//! | `capacity` | rate_limit | a model out of serving capacity (Gemini "No capacity available for model …", `MODEL_CAPACITY_EXHAUSTED`) |
//! | `resource_exhausted` | rate_limit | gRPC / Google `RESOURCE_EXHAUSTED` |
//! | `overloaded` | rate_limit | `overloaded_error`, HTTP 529, "model is overloaded" |
//! | `http_429` | rate_limit | any other throttling: 429, `rate_limit_error`, Too Many Requests, ThrottlingException |
//! | `quota_exceeded` | rate_limit | a quota exceeded with no money or window wording |
//! | `plan_limit` | rate_limit | the plan or subscription does not cover the request; upgrading is the way on (Codex "To use Codex with your ChatGPT plan, upgrade to Plus", Cursor "does not work with your current plan", Z.ai 1311) |
//! | `context_overflow` | crash | prompt larger than the context window |
//! | `request_too_large` | crash | request body too large (HTTP 413) |
//! | `max_output_tokens` | crash | response hit the output token maximum |
//! | `auth` | crash | missing / invalid / expired credentials, 401, 403 |
//! | `idle_timeout` | stall | stream or upstream idle timeout |
//! | `timeout` | stall | request / connect / control timeouts, `ETIMEDOUT`, 408, 504, "no response" |
//! | `server_error` | crash | provider 5xx: `api_error`, Internal Server Error, 500/502/503 |
//! | `network` | crash | connection reset / refused / closed, `fetch failed`, DNS, TLS |
//! | `not_found` | crash | model or resource not found (404) |
//! | `policy` | crash | refused by a usage / content policy |
//! | `invalid_request` | crash | provider rejected the request (400, `invalid_request_error`, bad parameter) |
//! | `aborted` | crash | request aborted (not a user stop) |
//! | `out_of_memory` | crash | process ran out of memory |
//! | `disk_full` | crash | no space left / disk quota |
//! | `spawn_failed` | crash | agent process could not be started |
//! | `process_exit` | crash | agent process exited with an error code or signal |
//! | `structured_output` | crash | `error_max_structured_output_retries` |
//! | `unknown` | crash | nothing else matched |

mod message;
mod rules;
mod scan;
mod signals;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use crate::scrub::{scrub, Secrets};
use crate::timefmt::rfc3339_seconds;
pub use message::UncutMessage;
use message::{error_message, uncut_message, MessageSource};
use scan::{Scan, MATCHER};

/// The five `error_type` values, the contract with CYHOST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Crash,
    Stall,
    RateLimit,
    Billing,
    MaxTurns,
}

impl ErrorType {
    /// The wire value: `"crash"`, `"stall"`, `"rate_limit"`, `"billing"`, `"max_turns"`.
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

/// The fields of an SDK result message that classification reads. The binding fills it from JS:
/// wrong-typed fields arrive as None / are skipped (errors keeps only string entries).
#[derive(Debug, Clone, Default)]
pub struct ResultMessage {
    pub subtype: Option<String>,
    /// `is_error === true`.
    pub is_error: bool,
    pub result: Option<String>,
    pub errors: Vec<String>,
}

/// What [`classify`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub error_type: ErrorType,
    /// `error_detail`: a snake_case code from the table in the module docs.
    pub detail: &'static str,
    /// `error_message`: scrubbed, at most [`MESSAGE_MAX_CHARS`] Unicode scalar values.
    pub message: String,
    /// `resets_at`: RFC 3339 UTC, only for `rate_limit` texts that carry a reset epoch.
    pub resets_at: Option<String>,
}

/// Bytes of text (errors, then result) that classification scans.
pub const CLASSIFY_WINDOW_BYTES: usize = 32 * 1024;
/// Longest `error_message`, in Unicode scalar values (a JS `.length` may read up to twice that).
pub const MESSAGE_MAX_CHARS: usize = 500;
/// Bytes of the message text that are scrubbed: room for 500 four-byte chars, 8 KiB that
/// redactions may remove before the cut, and a maximal (4 KiB) token straddling the window end.
pub const SCRUB_WINDOW_BYTES: usize = 4 * MESSAGE_MAX_CHARS + 8192 + 4096 + 64;

/// Builds the classification and scrubbing tables now (a few milliseconds, once per process)
/// instead of on the first [`classify`] call; call it at start-up, off any latency-critical path.
pub fn warm_up() {
    LazyLock::force(&MATCHER);
    let _ = scrub("", &Secrets::none());
}

/// Classifies a result message. `None` when it is not an error (`is_error` false and `subtype`
/// `"success"`). `secrets`: extra literal strings to redact from the message (the reporter's
/// callback token); may be empty.
pub fn classify(msg: &ResultMessage, secrets: &Secrets) -> Option<Classification> {
    let (mut classification, source, mut scan) = decide(msg)?;
    classification.message = error_message(msg, source, secrets, &mut scan.candidates);
    Some(classification)
}

/// [`classify`] before the secrets to scrub are known (no callback context yet): the
/// classification without its message, and the message scrubbed of everything else, not yet cut.
pub fn classify_uncut(msg: &ResultMessage) -> Option<(Classification, UncutMessage)> {
    let (classification, source, mut scan) = decide(msg)?;
    let uncut = uncut_message(msg, source, &mut scan.candidates);
    Some((classification, uncut))
}

/// The classification of an error (its message still empty), with what the message needs.
fn decide(msg: &ResultMessage) -> Option<(Classification, MessageSource, Scan)> {
    let subtype = msg.subtype.as_deref();
    if !msg.is_error && subtype == Some("success") {
        return None;
    }
    let source = MessageSource::of(msg);
    let scan = Scan::of(msg, source);
    let rule = rules::decide(subtype, scan.signals);
    let resets_at = match rule.error_type {
        ErrorType::RateLimit => scan.epoch.and_then(rfc3339_seconds),
        _ => None,
    };
    let classification = Classification {
        error_type: rule.error_type,
        detail: rule.detail,
        message: String::new(),
        resets_at,
    };
    Some((classification, source, scan))
}
