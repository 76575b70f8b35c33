//! Classification of an agent session's result message (SPEC §2).
//!
//! Input: the fields of the SDK result message that matter ([`ResultMessage`]). Output: the
//! `error_type` contract value (five values), a finer `error_detail` code, the scrubbed and
//! bounded `error_message`, and `resets_at` when the text carries a reset epoch.
//!
//! # How
//!
//! 1. **Scan once.** One pass of a case-insensitive multi-needle automaton (Aho-Corasick, every
//!    overlapping occurrence) over the first [`CLASSIFY_WINDOW_BYTES`] of the text records each
//!    keyword family of `SIGNALS` as a bit of a 64-bit set. HTTP status numbers (`STATUS_CODES`)
//!    count only as numbers with status context (`API Error: 429`, `status code: 429`, `(429)`,
//!    `[429]`, a line starting with `429`), never inside ids or token counts. Reset epochs are
//!    read at their markers (`…reached|1755615600`, `"resets_at": 1775317531`). The same pass
//!    finds where credentials may start, for scrubbing the message (see `crate::scrub`).
//! 2. **Decide by table.** `RULES` is read top-down; the first row whose condition holds gives
//!    `error_type` and `error_detail`. The order is the knowledge: the SDK's subtypes first, then
//!    caps and money, subscription windows, throttling (before timeouts and context words, which
//!    appear inside rate-limit texts), request problems, timeouts, transport, the local process.
//!
//! The text is `errors` (each entry) followed by `result`, as the SDK and cyrus's Codex, Gemini
//! and Cursor runners produce them. Only the first [`CLASSIFY_WINDOW_BYTES`] bytes are scanned
//! (error bodies put the code and message first), so a 10 MB message classifies in bounded,
//! linear time; a 2 KB message costs about 16–19 thousand instructions, scrubbing included.
//!
//! # `error_detail` codes
//!
//! | code | error_type | meaning |
//! |---|---|---|
//! | `max_turns` | max_turns | turn cap hit (`error_max_turns`, "Reached maximum number of turns", Gemini CLI exit 53) |
//! | `max_budget` | billing | USD budget cap hit (`error_max_budget_usd`, LiteLLM "Budget has been exceeded") |
//! | `spend_limit` | billing | spend cap set by the account (Cursor `spendLimitHit: true`, OpenAI `billing_hard_limit_reached`, Anthropic "specified API usage limits") |
//! | `insufficient_quota` | billing | OpenAI-style exhausted quota (`insufficient_quota`, "exceeded your current quota … billing details") |
//! | `credit_balance` | billing | Anthropic "Credit balance is too low" |
//! | `http_402` | billing | HTTP 402 / Payment Required |
//! | `insufficient_credits` | billing | prepaid credits exhausted (OpenRouter "requires more credits … can only afford", DeepSeek "Insufficient Balance") |
//! | `billing` | billing | billing disabled / account inactive / payment method problems |
//! | `usage_limit` | rate_limit | subscription usage window (Claude "usage limit reached\|epoch", "You've hit your limit · resets …", Codex/Cursor "You've hit your usage limit") |
//! | `itpm` / `otpm` | rate_limit | Anthropic input / output tokens-per-minute limit |
//! | `tpm` / `rpm` | rate_limit | tokens / requests per minute (OpenAI and others) |
//! | `per_minute_quota` | rate_limit | Google per-minute quota ("Quota exceeded for quota metric … per minute") |
//! | `daily_quota` | rate_limit | per-day quota (Gemini "… requests per day …") |
//! | `free_tier_quota` | rate_limit | free-tier quota with a retry delay |
//! | `resource_exhausted` | rate_limit | gRPC / Google `RESOURCE_EXHAUSTED` |
//! | `overloaded` | rate_limit | `overloaded_error`, HTTP 529, "model is overloaded" |
//! | `http_429` | rate_limit | any other throttling: 429, `rate_limit_error`, Too Many Requests, ThrottlingException |
//! | `quota_exceeded` | rate_limit | a quota exceeded with no money or window wording |
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

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::needles::NeedleDfa;
use crate::scrub::{family_needles, scrub, scrub_prescanned, Candidates};
use crate::timefmt::rfc3339_seconds;

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
/// When the message text is longer than the scrub window, this many bytes at the end of the
/// scrubbed window are dropped (or the longest literal secret + 16 if that is more), because a
/// secret cut by the window edge could survive as a fragment there. (Longer fragments of family
/// credentials are redacted anyway — each family also matches a cut-off credential — except a
/// `user:password` of more than 512 bytes whose `@` is cut off.) This only shortens the message
/// when redactions removed most of the 14 KiB window.
const UNSAFE_TAIL_BYTES: usize = 512;

/// A fact found in the text; a bit of [`Signals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Sig {
    TurnLimit,
    DiskFull,
    Budget,
    SpendLimit,
    UsageLimit,
    InsufficientQuota,
    CreditBalance,
    PaymentRequired,
    Credits,
    Billing,
    Itpm,
    Otpm,
    Tpm,
    Rpm,
    Quota,
    PerMinute,
    PerDay,
    FreeTier,
    ResourceExhausted,
    QuotaBilling,
    Overloaded,
    RateLimit,
    QuotaExceeded,
    ContextOverflow,
    RequestTooLarge,
    OutputTokenMax,
    Auth,
    IdleTimeout,
    Timeout,
    ServerError,
    Network,
    NotFound,
    Policy,
    InvalidRequest,
    Aborted,
    OutOfMemory,
    Spawn,
    ProcessExit,
}

/// How a needle hit is confirmed before its signal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// The needle alone is enough.
    None,
    /// The next byte is not a digit (`exit code 53`, not `exit code 530`).
    NoDigitAfter,
    /// The byte before is not a letter or digit: errno-style codes (`ENOTFOUND`, not the end
    /// of `ResourceNotFoundException`).
    WordStart,
}

/// Keyword families: (signal, confirmation, needles). Needles are matched ASCII
/// case-insensitively anywhere in the text; write them in lower case.
static SIGNALS: &[(Sig, Check, &[&str])] = &[
    (
        Sig::TurnLimit,
        Check::None,
        &[
            "max turns",
            "max_turns",
            "maximum number of turns",
            "maximum turns",
            "turn limit",
            "turns limit",
            "max session turns",
            "maxsessionturns",
            "turnlimited",
        ],
    ),
    (
        Sig::TurnLimit,
        Check::NoDigitAfter,
        &["exit code 53", "exited with code 53", "exit status 53"],
    ),
    (Sig::DiskFull, Check::None, &["disk quota", "no space left"]),
    (Sig::DiskFull, Check::WordStart, &["edquot", "enospc"]),
    (
        Sig::Budget,
        Check::None,
        &[
            "budget has been exceeded",
            "budget exceeded",
            "budget_exceeded",
            "exceeded budget",
            "exceededbudget",
            "exceededtokenbudget",
            "exceeded your budget",
            "over budget",
            "max budget",
            "maximum budget",
            "max_budget",
        ],
    ),
    (
        Sig::SpendLimit,
        Check::None,
        &[
            "spendlimithit: true",
            "spendlimithit\":true",
            "spendlimithit\": true",
            "spendlimithit=true",
            "spend limit",
            "spending limit",
            "spend_limit",
            "spending cap",
            "billing hard limit",
            "billing_hard_limit",
            "api usage limits",
            "regain access on",
            "key limit exceeded",
        ],
    ),
    (
        Sig::UsageLimit,
        Check::None,
        &[
            "usage limit",
            "usage_limit",
            "usagelimit",
            "hit your limit",
            "hit your free",
            "reached your limit",
            "weekly limit",
            "5-hour limit",
            "5 hour limit",
            "session limit reached",
            "limit will reset",
            "limits will reset",
            "limit resets",
            "\u{b7} resets",
            "\u{2219} resets",
            "\u{2022} resets",
        ],
    ),
    (
        Sig::InsufficientQuota,
        Check::None,
        &[
            "insufficient_quota",
            "insufficient quota",
            "insufficientquota",
        ],
    ),
    (Sig::CreditBalance, Check::None, &["credit balance"]),
    (
        Sig::PaymentRequired,
        Check::None,
        &["payment required", "payment_required", "paymentrequired"],
    ),
    (
        Sig::Credits,
        Check::None,
        &[
            "more credits",
            "can only afford",
            "insufficient credit",
            "insufficient_credit",
            "not enough credit",
            "out of credits",
            "credits exhausted",
            "no credits",
            "credits are depleted",
            "credits have been exhausted",
            "credit limit",
            "insufficient balance",
            "insufficient_balance",
            "balance is insufficient",
            "arrearage",
        ],
    ),
    (
        Sig::Billing,
        Check::None,
        &[
            "billing_not_active",
            "billing not active",
            "account is not active",
            "billing account",
            "enable billing",
            "billing to be enabled",
            "billing is not enabled",
            "billing not enabled",
            "billing_disabled",
            "billing disabled",
            "billing has been disabled",
            "payment method",
            "past due",
            "past_due",
            "invalid_payment",
            "prepayment",
        ],
    ),
    (
        Sig::Itpm,
        Check::None,
        &["input tokens per min", "input_tokens_per_min"],
    ),
    (
        Sig::Otpm,
        Check::None,
        &["output tokens per min", "output_tokens_per_min"],
    ),
    (
        Sig::Tpm,
        Check::None,
        &["tokens per min", "tokens_per_min", "(tpm)"],
    ),
    (
        Sig::Rpm,
        Check::None,
        &["requests per min", "requests_per_min", "(rpm)"],
    ),
    (Sig::Quota, Check::None, &["quota"]),
    (
        Sig::PerMinute,
        Check::None,
        &["per minute", "perminute", "per_minute", "per-minute"],
    ),
    (
        Sig::PerDay,
        Check::None,
        &["per day", "perday", "per_day", "per-day", "daily"],
    ),
    (
        Sig::FreeTier,
        Check::None,
        &[
            "free_tier",
            "free tier",
            "freetier",
            "retry in",
            "retrydelay",
            "retry_delay",
        ],
    ),
    (
        Sig::ResourceExhausted,
        Check::None,
        &[
            "resource_exhausted",
            "resource exhausted",
            "resource has been exhausted",
            "resourceexhausted",
        ],
    ),
    (
        Sig::QuotaBilling,
        Check::None,
        &[
            "exceeded your current quota",
            "plan and billing",
            "billing details",
        ],
    ),
    (
        Sig::Overloaded,
        Check::None,
        &["overloaded", "high demand", "at capacity"],
    ),
    (
        Sig::RateLimit,
        Check::None,
        &[
            "rate limit",
            "rate_limit",
            "ratelimit",
            "rate-limit",
            "too many requests",
            "too_many_requests",
            "toomanyrequests",
            "throttl",
            "slow down",
            "rate exceeded",
            "concurrency limit",
        ],
    ),
    (
        Sig::QuotaExceeded,
        Check::None,
        &[
            "quota exceeded",
            "exceeded quota",
            "quota_exceeded",
            "quotaexceeded",
            "exceeds the service quota",
            "out of quota",
        ],
    ),
    (
        Sig::ContextOverflow,
        Check::None,
        &[
            "prompt is too long",
            "prompt too long",
            "context limit",
            "context length",
            "context_length",
            "context window",
            "context_window",
            "maximum context",
            "input is too long",
            "input too long",
            "maximum number of tokens allowed",
            "reduce the length of the messages",
            "conversation is too long",
            "conversation too long",
            "context overflow",
        ],
    ),
    (
        Sig::RequestTooLarge,
        Check::None,
        &[
            "request_too_large",
            "request too large",
            "requesttoolarge",
            "payload too large",
            "entity too large",
        ],
    ),
    (Sig::OutputTokenMax, Check::None, &["output token maximum"]),
    (
        Sig::Auth,
        Check::None,
        &[
            "invalid api key",
            "invalid x-api-key",
            "invalid_api_key",
            "incorrect api key",
            "api key not valid",
            "api_key_invalid",
            "api key expired",
            "no api key",
            "api key not found",
            "missing api key",
            "api key is missing",
            "api key is required",
            "authentication_error",
            "authentication failed",
            "authentication error",
            "authentication required",
            "could not resolve authentication",
            "invalid authentication",
            "invalid_authentication",
            "unauthorized",
            "unauthenticated",
            "not authorized",
            "permission_error",
            "permission_denied",
            "permissiondenied",
            "does not have permission",
            "oauth token",
            "token has expired",
            "token expired",
            "token is expired",
            "token revoked",
            "token has been revoked",
            "/login",
            "not logged in",
            "log in again",
            "sign in again",
            "login again",
            "invalid credentials",
            "locate credentials",
            "expiredtoken",
            "unrecognizedclient",
            "security token included",
            "invalid_grant",
            "accessdenied",
            "access denied",
            "forbidden",
            "failed to get auth",
            "auth method",
            "has been disabled",
            "has been suspended",
            "account is disabled",
            "account disabled",
        ],
    ),
    (
        Sig::IdleTimeout,
        Check::None,
        &[
            "idle timeout",
            "idle_timeout",
            "idletimeout",
            "stream idle",
            "inactivity timeout",
            "idle for too long",
            "no activity",
        ],
    ),
    (
        Sig::Timeout,
        Check::None,
        &[
            "timed out",
            "timeout",
            "time out",
            "time-out",
            "deadline exceeded",
            "deadline_exceeded",
            "deadlineexceeded",
            "no response",
            "not responding",
            "did not respond",
            "stalled",
            "took too long",
        ],
    ),
    (
        Sig::Timeout,
        Check::WordStart,
        &["etimedout", "esockettimedout"],
    ),
    (
        Sig::ServerError,
        Check::None,
        &[
            "api_error",
            "internal server error",
            "internalserver",
            "internal_server_error",
            "internal error",
            "server_error",
            "server error",
            "server had an error",
            "bad gateway",
            "bad_gateway",
            "service unavailable",
            "service_unavailable",
            "serviceunavailable",
            "an error occurred while processing your request",
            "\"internal\"",
            "[internal]",
            "\"unavailable\"",
            "[unavailable]",
            "upstream error",
            "modelnotready",
        ],
    ),
    (
        Sig::Network,
        Check::None,
        &[
            "socket hang up",
            "fetch failed",
            "connection error",
            "connection reset",
            "connection refused",
            "connection closed",
            "connection aborted",
            "connection failed",
            "connection lost",
            "connection terminated",
            "network error",
            "networkerror",
            "network is unreachable",
            "network connection",
            "stream disconnected",
            "stream closed",
            "error sending request",
            "unable to connect",
            "failed to connect",
            "could not connect",
            "cannot connect",
            "getaddrinfo",
            "certificate",
            "premature close",
            "other side closed",
            "und_err_",
            "socket closed",
            "broken pipe",
            "internet connection",
            "apiconnectionerror",
            "disconnected",
        ],
    ),
    (
        Sig::Network,
        Check::WordStart,
        &[
            "econnreset",
            "econnrefused",
            "econnaborted",
            "enotfound",
            "eai_again",
            "enetunreach",
            "ehostunreach",
            "enetdown",
            "epipe",
        ],
    ),
    (
        Sig::NotFound,
        Check::None,
        &[
            "not_found_error",
            "model_not_found",
            "model not found",
            "notfounderror",
            "resourcenotfound",
            "does not exist or you do not have access",
        ],
    ),
    (
        Sig::Policy,
        Check::None,
        &[
            "usage polic",
            "content polic",
            "content_polic",
            "content_filter",
            "content filter",
            "content management polic",
            "responsible ai",
        ],
    ),
    (
        Sig::InvalidRequest,
        Check::None,
        &[
            "invalid_request",
            "invalidrequest",
            "invalid request",
            "invalidparameter",
            "invalid parameter",
            "invalid_argument",
            "invalidargument",
            "invalid argument",
            "bad request",
            "bad_request",
            "badrequest",
            "validationexception",
            "validation error",
            "unprocessable",
        ],
    ),
    (
        Sig::Aborted,
        Check::None,
        &[
            "operation was aborted",
            "request was aborted",
            "request aborted",
            "aborterror",
        ],
    ),
    (
        Sig::OutOfMemory,
        Check::None,
        &[
            "out of memory",
            "out_of_memory",
            "heap limit",
            "oomkilled",
            "oom-kill",
            "allocation failed",
        ],
    ),
    (Sig::OutOfMemory, Check::WordStart, &["enomem"]),
    (
        Sig::Spawn,
        Check::None,
        &[
            "spawn ",
            "spawnsync",
            "executable not found",
            "command not found",
            "not found in path",
        ],
    ),
    (
        Sig::ProcessExit,
        Check::None,
        &[
            "exited with code",
            "exit code",
            "exit status",
            "process exited",
            "exited unexpectedly",
            "exited with signal",
            "killed by signal",
            "terminated by signal",
            "process terminated",
            "sigkill",
            "sigsegv",
            "sigabrt",
            "segmentation fault",
            "core dumped",
        ],
    ),
];

/// HTTP status numbers and what they signal. A number counts only with status context, see
/// [`status_context`].
static STATUS_CODES: &[(&str, Sig)] = &[
    ("400", Sig::InvalidRequest),
    ("401", Sig::Auth),
    ("402", Sig::PaymentRequired),
    ("403", Sig::Auth),
    ("404", Sig::NotFound),
    ("408", Sig::Timeout),
    ("413", Sig::RequestTooLarge),
    ("422", Sig::InvalidRequest),
    ("429", Sig::RateLimit),
    ("500", Sig::ServerError),
    ("502", Sig::ServerError),
    ("503", Sig::ServerError),
    ("504", Sig::Timeout),
    ("529", Sig::Overloaded),
];

/// Markers after which a reset epoch (seconds, or milliseconds) may follow:
/// `Claude AI usage limit reached|1755615600`, `"resets_at": 1775317531`,
/// `anthropic-ratelimit-unified-reset: 1755615600`.
static EPOCH_MARKERS: &[&str] = &[
    "|",
    "resets_at",
    "reset_at",
    "resetsat",
    "resetat",
    "unified-reset",
];

/// When a rule row applies.
#[derive(Debug, Clone, Copy)]
enum When {
    /// The SDK's `subtype` is exactly this.
    Subtype(&'static str),
    /// Any of these signals is in the text.
    Any(&'static [Sig]),
    /// Any signal of the first list and any of the second.
    Both(&'static [Sig], &'static [Sig]),
    /// Always (the last row).
    Always,
}

/// One row of the rule table.
#[derive(Debug)]
struct Rule {
    when: When,
    error_type: ErrorType,
    detail: &'static str,
}

const fn row(when: When, error_type: ErrorType, detail: &'static str) -> Rule {
    Rule {
        when,
        error_type,
        detail,
    }
}

use ErrorType::{Billing, Crash, MaxTurns, RateLimit, Stall};
use When::{Always, Any, Both, Subtype};

/// The ordered rule table: the first row that holds decides. Each row names the real message it
/// exists for. Read top-down: the SDK's own subtypes first, then money and caps the user set,
/// then subscription windows, then throttling (before timeouts and context words, which appear
/// inside rate-limit texts), then request problems, timeouts, transport, and the local process.
static RULES: &[Rule] = &[
    // ── The SDK says exactly what happened ──────────────────────────────────────────────────
    // {"subtype":"error_max_turns","errors":["Reached maximum number of turns (40)"]}; also the
    // old shape with is_error false and no errors.
    row(Subtype("error_max_turns"), MaxTurns, "max_turns"),
    // {"subtype":"error_max_budget_usd","errors":["Reached maximum budget ($0.00001)"]}
    row(Subtype("error_max_budget_usd"), Billing, "max_budget"),
    // ── Turn caps in text ───────────────────────────────────────────────────────────────────
    // "Error: Reached max turns (3)"; Gemini CLI "Reached max session turns for this session";
    // Gemini CLI exits with code 53 (FatalTurnLimitedError): "gemini exited with code 53".
    // Not "max_tokens … the maximum allowed number of output tokens" (no turn word).
    row(Any(&[Sig::TurnLimit]), MaxTurns, "max_turns"),
    // ── Local resources whose words look like provider limits ───────────────────────────────
    // "EDQUOT: disk quota exceeded", "ENOSPC: no space left on device" ("quota" ≠ provider quota).
    row(Any(&[Sig::DiskFull]), Crash, "disk_full"),
    // ── Money: caps the user set ────────────────────────────────────────────────────────────
    // LiteLLM {"error":{"message":"Budget has been exceeded! Current cost: 0.0010747, Max budget:
    // 0.0","type":"auth_error"}} — a budget cap although typed auth_error.
    row(Any(&[Sig::Budget]), Billing, "max_budget"),
    // Cursor "spendLimitHit: true"; OpenAI `billing_hard_limit_reached`; Anthropic "You have
    // reached your specified API usage limits. You will regain access on 2025-09-01 at 00:00 UTC."
    // (a console spend limit, before the generic "usage limit" row); OpenRouter "Key limit exceeded".
    row(Any(&[Sig::SpendLimit]), Billing, "spend_limit"),
    // ── Subscription usage windows (they reset by themselves) ──────────────────────────────
    // "Claude AI usage limit reached|1762952400"; "Claude usage limit reached. Your limit will reset
    // at 1 PM (Asia/Dubai)."; "You've hit your limit · resets 3pm"; "5-hour limit reached ∙ resets
    // 3am"; Codex "You've hit your usage limit. Upgrade to Pro … or try again in 5 days" and
    // {"error":{"type":"usage_limit_reached",…,"resets_at":1775317531}}; Cursor "You've hit your
    // usage limit … spendLimitHit: false". An upgrade pitch is not a billing failure.
    row(Any(&[Sig::UsageLimit]), RateLimit, "usage_limit"),
    // ── Money: balance or quota exhausted ───────────────────────────────────────────────────
    // openai.RateLimitError: Error code: 429 - {'error': {… 'code': 'insufficient_quota'}} — the
    // code beats the 429; Codex "⚠️ Insufficient quota. Please check your billing details".
    row(
        Any(&[Sig::InsufficientQuota]),
        Billing,
        "insufficient_quota",
    ),
    // "Your credit balance is too low to access the Anthropic API" (arrives as a 400
    // invalid_request_error); "Credit balance too low · Add funds".
    row(Any(&[Sig::CreditBalance]), Billing, "credit_balance"),
    // "OpenAI API 402: {…"code":402…}"; "402 Payment Required".
    row(Any(&[Sig::PaymentRequired]), Billing, "http_402"),
    // OpenRouter "This request requires more credits, or fewer max_tokens. You requested up to
    // 32000 tokens, but can only afford 0."; "Insufficient credits"; DeepSeek "Insufficient Balance".
    row(Any(&[Sig::Credits]), Billing, "insufficient_credits"),
    // OpenAI "Your account is not active, please check your billing details"; Google "This API
    // method requires billing to be enabled"; Gemini "free tier is not available in your
    // country. Please enable billing".
    row(Any(&[Sig::Billing]), Billing, "billing"),
    // ── Throttling: per-minute limits (before context words: these texts say "Please reduce
    //    the prompt length", and before billing words: Gemini's free tier says "check your plan
    //    and billing details" for a per-minute quota) ────────────────────────────────────────
    // Anthropic "would exceed the rate limit for your organization … of 40,000 input tokens per
    // minute … Please reduce the prompt length or the maximum tokens requested".
    row(Any(&[Sig::Itpm]), RateLimit, "itpm"),
    // Anthropic "… rate limit of 80,000 output tokens per minute".
    row(Any(&[Sig::Otpm]), RateLimit, "otpm"),
    // Google "429 Quota exceeded for quota metric 'Generate Content API requests per minute' …
    // RATE_LIMIT_EXCEEDED"; Vertex "…online_prediction_requests_per_minute…".
    row(
        Both(&[Sig::Quota], &[Sig::PerMinute]),
        RateLimit,
        "per_minute_quota",
    ),
    // OpenAI "429 Rate limit reached for gpt-4.1 … on tokens per min (TPM): Limit 30000".
    row(Any(&[Sig::Tpm]), RateLimit, "tpm"),
    // OpenAI "Rate limit reached for … on requests per min (RPM)".
    row(Any(&[Sig::Rpm]), RateLimit, "rpm"),
    // Gemini "Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Gemini 2.5 Pro
    // Requests per day per user per tier'".
    row(
        Both(&[Sig::Quota], &[Sig::PerDay]),
        RateLimit,
        "daily_quota",
    ),
    // Gemini free tier "You exceeded your current quota … generate_content_free_tier_requests …
    // Please retry in 39s" — a window, not money.
    row(
        Both(&[Sig::Quota], &[Sig::FreeTier]),
        RateLimit,
        "free_tier_quota",
    ),
    // Gemini/Vertex {"code":429,"message":"Resource exhausted. Please try again later.",
    // "status":"RESOURCE_EXHAUSTED"}; Cursor "ConnectError: [resource_exhausted]".
    row(
        Any(&[Sig::ResourceExhausted]),
        RateLimit,
        "resource_exhausted",
    ),
    // ── Money: OpenAI-style quota (after the windows above, before the generic 429) ─────────
    // "429 You exceeded your current quota, please check your plan and billing details";
    // codex-rs "Quota exceeded. Check your plan and billing details."
    row(Any(&[Sig::QuotaBilling]), Billing, "insufficient_quota"),
    // ── Throttling: everything else ─────────────────────────────────────────────────────────
    // "API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}";
    // Gemini 503 "The model is overloaded. Please try again later."
    row(Any(&[Sig::Overloaded]), RateLimit, "overloaded"),
    // "API Error: Request rejected (429) · Rate limited"; "exceeded retry limit, last status: 429
    // Too Many Requests"; {"type":"rate_limit_error"}; Cursor "User API Key Rate limit exceeded";
    // Bedrock "ThrottlingException: Too many tokens, please wait". A "timeout" inside such a text
    // does not make it a stall (the stall rows come later).
    row(Any(&[Sig::RateLimit]), RateLimit, "http_429"),
    // Bedrock "ServiceQuotaExceededException"; "Quota exceeded for aiplatform.googleapis.com/…"
    // without a 429 in the text.
    row(Any(&[Sig::QuotaExceeded]), RateLimit, "quota_exceeded"),
    // ── The request did not fit ─────────────────────────────────────────────────────────────
    // "API Error: 400 … prompt is too long: 216327 tokens > 200000 maximum"; "input length and
    // max_tokens exceed context limit"; OpenAI `context_length_exceeded` / "maximum context
    // length"; Bedrock "Input is too long for requested model"; Codex "ran out of room in the
    // model's context window"; Gemini "exceeds the maximum number of tokens allowed".
    row(Any(&[Sig::ContextOverflow]), Crash, "context_overflow"),
    // Anthropic 413 {"type":"request_too_large"}; "413 Payload Too Large".
    row(Any(&[Sig::RequestTooLarge]), Crash, "request_too_large"),
    // "API Error: Claude's response exceeded the 32000 output token maximum."
    row(Any(&[Sig::OutputTokenMax]), Crash, "max_output_tokens"),
    // ── Credentials ─────────────────────────────────────────────────────────────────────────
    // "Error: Could not resolve authentication method"; "Failed to get auth headers: No API key
    // available"; "API Error: 401 {…authentication_error…invalid x-api-key}"; "OAuth token has
    // expired"; "Invalid API key · Please run /login"; Gemini "API key not valid"; Bedrock
    // "ExpiredTokenException", "AccessDeniedException"; Cursor "[unauthenticated]"; 401/403.
    row(Any(&[Sig::Auth]), Crash, "auth"),
    // ── Hung or timed out (before transport and 5xx: "code=ETIMEDOUT … Connection error",
    //    "Error code: 504 - litellm.Timeout: Request timed out", "InternalServerError … timeout") ─
    // "API Error: Stream idle timeout - partial response received"; "upstream response idle timeout".
    row(Any(&[Sig::IdleTimeout]), Stall, "idle_timeout"),
    // "API Error (Request timed out.) · Retrying in 1 seconds…"; "The operation timed out";
    // "Agent error: Control request timeout: initialize"; "spawnSync … ETIMEDOUT"; "504 Gateway
    // Timeout"; gRPC DEADLINE_EXCEEDED; "no response from server".
    row(Any(&[Sig::Timeout]), Stall, "timeout"),
    // ── The provider failed ─────────────────────────────────────────────────────────────────
    // {"type":"error","error":{"type":"api_error","message":"Internal server error"}}; "API Error:
    // 500 Internal server error"; Codex "stream disconnected before completion: An error occurred
    // while processing your request" (server-side, so before the transport row); 502/503.
    row(Any(&[Sig::ServerError]), Crash, "server_error"),
    // ── Transport ───────────────────────────────────────────────────────────────────────────
    // "API Error (Connection error.) … TypeError (fetch failed)"; "socket hang up"; Codex
    // "stream disconnected before completion: error sending request for url (…)"; "Unable to
    // connect to Anthropic services"; ECONNRESET / ECONNREFUSED / ENOTFOUND; TLS certificate errors.
    row(Any(&[Sig::Network]), Crash, "network"),
    // ── The request was rejected ────────────────────────────────────────────────────────────
    // Anthropic 404 {"type":"not_found_error","message":"model: claude-x"}; OpenAI `model_not_found`.
    row(Any(&[Sig::NotFound]), Crash, "not_found"),
    // "Claude Code is unable to respond to this request, which appears to violate our Usage Policy".
    row(Any(&[Sig::Policy]), Crash, "policy"),
    // "API Error: 400 {…"invalid_request_error","message":"max_tokens: 128001 > 64000, which is
    // the maximum allowed number of output tokens…"}"; "InvalidParameter"; Gemini INVALID_ARGUMENT.
    row(Any(&[Sig::InvalidRequest]), Crash, "invalid_request"),
    // "API Error: Request was aborted."; "AbortError: This operation was aborted".
    row(Any(&[Sig::Aborted]), Crash, "aborted"),
    // ── The local process ───────────────────────────────────────────────────────────────────
    // "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory".
    row(Any(&[Sig::OutOfMemory]), Crash, "out_of_memory"),
    // "spawn claude ENOENT"; "Claude Code executable not found at …".
    row(Any(&[Sig::Spawn]), Crash, "spawn_failed"),
    // "SDK query error: Error: Claude Code process exited with code 1"; "killed by signal SIGKILL".
    // Last of the text rows: a more specific cause elsewhere in the text wins.
    row(Any(&[Sig::ProcessExit]), Crash, "process_exit"),
    // {"subtype":"error_max_structured_output_retries"} with no more telling text.
    row(
        Subtype("error_max_structured_output_retries"),
        Crash,
        "structured_output",
    ),
    // "Execution Error", "Error: Insufficient permissions for global npm install.", "" …
    row(Always, Crash, "unknown"),
];

// Every signal is a bit of a u64.
const _: () = assert!((Sig::ProcessExit as u8) < 64);

/// Set of [`Sig`]s found in the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Signals(u64);

impl Signals {
    fn set(&mut self, s: Sig) {
        self.0 |= 1 << (s as u8);
    }
    fn has(self, s: Sig) -> bool {
        self.0 & (1 << (s as u8)) != 0
    }
    fn any(self, list: &[Sig]) -> bool {
        list.iter().any(|&s| self.has(s))
    }
}

/// What a needle of the automaton means.
#[derive(Debug, Clone, Copy)]
enum Needle {
    Keyword(Sig, Check),
    Status(Sig),
    Epoch,
    /// A scrub family needle (its number in `family_needles` order): a candidate for scrubbing
    /// the message.
    Scrub(u16),
}

struct Matcher {
    dfa: NeedleDfa,
    needles: Vec<Needle>,
    /// Per match state of `dfa`: the signals of its plain keywords (set at once), and its other
    /// needles (statuses, epoch markers, checked keywords, scrub needles), handled one by one.
    state_signals: Vec<Signals>,
    state_special: Vec<Vec<u32>>,
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut pats: Vec<&str> = Vec::new();
    let mut needles = Vec::new();
    for &(sig, check, list) in SIGNALS {
        for p in list {
            pats.push(p);
            needles.push(Needle::Keyword(sig, check));
        }
    }
    for &(code, sig) in STATUS_CODES {
        pats.push(code);
        needles.push(Needle::Status(sig));
    }
    for m in EPOCH_MARKERS {
        pats.push(m);
        needles.push(Needle::Epoch);
    }
    // The scrub needles ride along, so the message needs no second pass over the text.
    for (k, (p, _family)) in family_needles().enumerate() {
        pats.push(p);
        needles.push(Needle::Scrub(k as u16));
    }
    let dfa = NeedleDfa::new(&pats).unwrap_or_else(NeedleDfa::never);
    let mut state_signals = Vec::new();
    let mut state_special = Vec::new();
    for k in 0..dfa.match_states() {
        let mut plain = Signals::default();
        let mut special = Vec::new();
        for &n in dfa.needles_of(k) {
            match needles[n as usize] {
                Needle::Keyword(sig, Check::None) => plain.set(sig),
                _ => special.push(n),
            }
        }
        state_signals.push(plain);
        state_special.push(special);
    }
    Matcher {
        dfa,
        needles,
        state_signals,
        state_special,
    }
});

/// What the scan found.
#[derive(Debug, Default)]
struct Scan {
    signals: Signals,
    /// First reset epoch (seconds) found after an epoch marker.
    epoch: Option<i64>,
    /// Scrub candidates at their positions in the message text (see `MessageSource`).
    cands: Candidates,
}

impl Scan {
    /// Scans one piece of the text. `msg_offset`: where the piece starts in the message text,
    /// when it is part of it.
    fn piece(&mut self, text: &[u8], msg_offset: Option<usize>) {
        let m = &*MATCHER;
        m.dfa.scan(text, |k, end| {
            self.signals.0 |= m.state_signals[k].0;
            for &n in &m.state_special[k] {
                let start = end - m.dfa.needle_len(n);
                match m.needles[n as usize] {
                    Needle::Scrub(needle) => {
                        if let Some(pos) = msg_offset.map(|o| o + start) {
                            if pos < SCRUB_WINDOW_BYTES {
                                self.cands.push(pos, needle);
                            }
                        }
                    }
                    needle => self.hit(text, needle, start, end),
                }
            }
        });
    }

    fn hit(&mut self, text: &[u8], needle: Needle, start: usize, end: usize) {
        match needle {
            Needle::Keyword(sig, check) => {
                if self.signals.has(sig) {
                    return;
                }
                let ok = match check {
                    Check::None => true,
                    Check::NoDigitAfter => !text.get(end).is_some_and(u8::is_ascii_digit),
                    Check::WordStart => !start
                        .checked_sub(1)
                        .is_some_and(|i| text[i].is_ascii_alphanumeric()),
                };
                if ok {
                    self.signals.set(sig);
                }
            }
            Needle::Status(sig) => {
                if !self.signals.has(sig) && status_context(text, start, end) {
                    self.signals.set(sig);
                }
            }
            Needle::Epoch => {
                if self.epoch.is_none() {
                    self.epoch = epoch_after(text, end, end - start == 1);
                }
            }
            Needle::Scrub(_) => {}
        }
    }
}

/// Is the status number at `text[s..e]` an HTTP status? It must stand alone (no letter, digit,
/// `_`, `-`, `.`/`,` digit-group neighbour) and have status context: enclosed as `(429)` /
/// `[429]`, first on its line, or right after a word ending in `status`, `code`, `error`, `api`
/// or starting with `http` (`API Error: 429`, `status code: 429`, `"code": 429`,
/// `Error code: 504 -`, `HTTP/1.1 503`, `OpenAI API 402:`).
fn status_context(text: &[u8], s: usize, e: usize) -> bool {
    let prev = s.checked_sub(1).map(|i| text[i]);
    let next = text.get(e).copied();
    let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if prev.is_some_and(|b| glued(b) || b == b'.' || b == b',') {
        return false;
    }
    if next.is_some_and(glued)
        || (matches!(next, Some(b'.' | b',')) && text.get(e + 1).is_some_and(u8::is_ascii_digit))
    {
        return false;
    }
    if matches!(prev, Some(b'(' | b'[')) && matches!(next, Some(b')' | b']')) {
        return true;
    }
    // Skip separators backwards (at most a few), then look at the word before them.
    let mut i = s;
    let mut skipped = 0;
    while i > 0
        && skipped < 6
        && matches!(
            text[i - 1],
            b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'(' | b'[' | b'#'
        )
    {
        i -= 1;
        skipped += 1;
    }
    if i == 0 || text[i - 1] == b'\n' || text[i - 1] == b'\r' {
        // First on its line (after blanks / an opening bracket).
        return text[i..s]
            .iter()
            .all(|&b| matches!(b, b' ' | b'\t' | b'[' | b'('));
    }
    let word_end = i;
    let mut j = i;
    while j > 0
        && word_end - j < 24
        && (text[j - 1].is_ascii_alphanumeric() || matches!(text[j - 1], b'_' | b'/' | b'.'))
    {
        j -= 1;
    }
    let word = &text[j..word_end];
    let ends = |suffix: &[u8]| {
        word.len() >= suffix.len() && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    ends(b"status")
        || ends(b"code")
        || ends(b"error")
        || ends(b"api")
        || (word.len() >= 4 && word[..4].eq_ignore_ascii_case(b"http"))
}

/// The reset epoch after a marker at `text[..at]`: 10 digits (seconds) or 13 (milliseconds),
/// not followed by another digit. After `|` the digits must follow at once; after a name such
/// as `resets_at`, a few of `"':= ` may come first.
fn epoch_after(text: &[u8], at: usize, immediate: bool) -> Option<i64> {
    let mut i = at;
    if !immediate {
        let limit = (at + 4).min(text.len());
        while i < limit && matches!(text[i], b'"' | b'\'' | b':' | b'=' | b' ' | b'\t') {
            i += 1;
        }
    }
    let digits = text[i.min(text.len())..]
        .iter()
        .take(14)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut value: i64 = 0;
    for &b in &text[i..i + digits] {
        value = value * 10 + i64::from(b - b'0');
    }
    match digits {
        10 => Some(value),
        13 => Some(value / 1000),
        _ => None,
    }
}

/// Builds the classification and scrubbing tables now (a few milliseconds, once per process)
/// instead of on the first [`classify`] call; call it at start-up, off any latency-critical path.
pub fn warm_up() {
    LazyLock::force(&MATCHER);
    let _ = scrub("", &[]);
}

/// Classifies a result message. `None` when it is not an error (`is_error` false and `subtype`
/// `"success"`). `secrets`: extra literal strings to redact from the message (the reporter's
/// callback token); may be empty.
pub fn classify(msg: &ResultMessage, secrets: &[&str]) -> Option<Classification> {
    let subtype = msg.subtype.as_deref();
    if !msg.is_error && subtype == Some("success") {
        return None;
    }
    let source = MessageSource::of(msg);
    let mut scan = Scan::default();
    let mut budget = CLASSIFY_WINDOW_BYTES;
    let mut msg_offset = 0; // where the next error starts in the joined errors
    for (k, error) in msg.errors.iter().enumerate() {
        if budget == 0 {
            break;
        }
        if k > 0 {
            msg_offset += 2; // "; "
        }
        let part = &error.as_bytes()[..error.len().min(budget)];
        budget -= part.len();
        let in_message = source == MessageSource::Errors;
        scan.piece(part, in_message.then_some(msg_offset));
        msg_offset += error.len();
    }
    if let Some(result) = msg.result.as_deref().filter(|_| budget > 0) {
        let part = &result.as_bytes()[..result.len().min(budget)];
        scan.piece(part, (source == MessageSource::Result).then_some(0));
    }
    let rule = RULES
        .iter()
        .find(|r| match r.when {
            Subtype(s) => subtype == Some(s),
            Any(list) => scan.signals.any(list),
            Both(a, b) => scan.signals.any(a) && scan.signals.any(b),
            Always => true,
        })
        .unwrap_or(&RULES[RULES.len() - 1]);
    let resets_at = match rule.error_type {
        ErrorType::RateLimit => scan.epoch.and_then(rfc3339_seconds),
        _ => None,
    };
    Some(Classification {
        error_type: rule.error_type,
        detail: rule.detail,
        message: error_message(msg, source, secrets, &mut scan.cands),
        resets_at,
    })
}

/// Largest char boundary of `s` at or below `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The first `max` Unicode scalar values of `s`.
fn first_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    if s.as_bytes()[..max].is_ascii() {
        return &s[..max];
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Which text `error_message` is made of: `errors` joined with `"; "` when that is non-empty,
/// else `result` when non-empty, else `subtype`, else `"unknown error"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageSource {
    Errors,
    Result,
    Other,
}

impl MessageSource {
    fn of(msg: &ResultMessage) -> MessageSource {
        match msg.errors.as_slice() {
            [] => {}
            [one] if one.is_empty() => {}
            _ => return MessageSource::Errors,
        }
        match msg.result.as_deref() {
            Some(r) if !r.is_empty() => MessageSource::Result,
            _ => MessageSource::Other,
        }
    }
}

/// The message text, at most [`SCRUB_WINDOW_BYTES`] of it (joined into `buf` when there are
/// several errors; a single text is not copied), and the length of the whole text.
fn message_window<'a>(
    msg: &'a ResultMessage,
    source: MessageSource,
    buf: &'a mut String,
) -> (&'a str, usize) {
    let (text, total) = match (source, msg.errors.as_slice()) {
        (MessageSource::Errors, [one]) => (one.as_str(), one.len()),
        (MessageSource::Errors, many) => {
            let total = many.iter().fold(2 * many.len().saturating_sub(1), |n, e| {
                n.saturating_add(e.len())
            });
            buf.reserve(total.min(SCRUB_WINDOW_BYTES));
            for (k, e) in many.iter().enumerate() {
                for part in [if k == 0 { "" } else { "; " }, e.as_str()] {
                    let room = SCRUB_WINDOW_BYTES - buf.len();
                    buf.push_str(&part[..floor_boundary(part, room)]);
                }
                if buf.len() >= SCRUB_WINDOW_BYTES {
                    break;
                }
            }
            (buf.as_str(), total)
        }
        (MessageSource::Result, _) => {
            let r = msg.result.as_deref().unwrap_or_default();
            (r, r.len())
        }
        (MessageSource::Other, _) => {
            let t = msg
                .subtype
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("unknown error");
            (t, t.len())
        }
    };
    (&text[..floor_boundary(text, SCRUB_WINDOW_BYTES)], total)
}

/// `error_message`: the message text ([`MessageSource`]), scrubbed, then cut to
/// [`MESSAGE_MAX_CHARS`]. Only the first [`SCRUB_WINDOW_BYTES`] are scrubbed; scrubbing comes
/// before the cut, so no secret is cut in two by it. `cands`: the scrub candidates that the
/// classification scan found in the message text (errors and result sources).
fn error_message(
    msg: &ResultMessage,
    source: MessageSource,
    secrets: &[&str],
    cands: &mut Candidates,
) -> String {
    let mut buf = String::new();
    let (window, total) = message_window(msg, source, &mut buf);
    let whole = total <= window.len();
    // Bytes of scrubbed output that can hold MESSAGE_MAX_CHARS chars; only needed when the whole
    // text is in the window (else the unsafe tail must be measured on the full scrubbed window).
    let limit = if whole {
        4 * MESSAGE_MAX_CHARS
    } else {
        usize::MAX
    };
    let scrubbed = match source {
        MessageSource::Other => scrub(window, secrets),
        _ => scrub_prescanned(window, secrets, cands, limit),
    };
    let mut usable = scrubbed.len();
    if !whole {
        // The window cut the text: a secret cut in two at the window edge could survive as a
        // fragment at the end of the scrubbed window; drop that tail.
        let longest = secrets.iter().map(|s| s.len()).max().unwrap_or(0);
        let tail = UNSAFE_TAIL_BYTES.max(longest + 16);
        usable = floor_boundary(&scrubbed, usable.saturating_sub(tail));
    }
    let end = first_chars(&scrubbed[..usable], MESSAGE_MAX_CHARS).len();
    match scrubbed {
        Cow::Owned(mut s) => {
            s.truncate(end);
            // Usually already small (`limit`); not so after a literal secret or a long text.
            if s.capacity() > 4 * MESSAGE_MAX_CHARS + 64 {
                s.shrink_to_fit();
            }
            s
        }
        Cow::Borrowed(b) => b[..end].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proptest_cases as cases;
    use proptest::prelude::*;

    fn result(text: &str) -> ResultMessage {
        ResultMessage {
            subtype: Some("success".into()),
            is_error: true,
            result: Some(text.into()),
            errors: vec![],
        }
    }

    fn errors(list: &[&str]) -> ResultMessage {
        ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            result: None,
            errors: list.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn json_str(v: &serde_json::Value, key: &str) -> Option<String> {
        v.get(key).and_then(|x| x.as_str()).map(str::to_owned)
    }

    /// The SDK result object → [`ResultMessage`], as the binding does it.
    fn from_json(r: &serde_json::Value) -> ResultMessage {
        ResultMessage {
            subtype: json_str(r, "subtype"),
            is_error: r.get("is_error").and_then(|x| x.as_bool()) == Some(true),
            result: json_str(r, "result"),
            errors: r
                .get("errors")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn fixtures() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/__test__/fixtures/classification/fixtures.jsonl"
        );
        let data = std::fs::read_to_string(path).expect("fixture file");
        let (mut total, mut type_ok, mut detail_ok) = (0, 0, 0);
        let mut bad = Vec::new();
        let mut detail_diff = Vec::new();
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).expect("fixture json");
            total += 1;
            let id = json_str(&case, "id").unwrap_or_default();
            let expected = json_str(&case, "expected").unwrap_or_default();
            let acceptable: Vec<String> = case["acceptable"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let got = classify(&from_json(&case["result"]), &[]);
            if let Some(c) = &got {
                // Bounded, and the Gemini fixture's API key (in `?key=` of a URL) is gone.
                if c.message.chars().count() > MESSAGE_MAX_CHARS || c.message.contains("AIzaSy") {
                    bad.push(format!("\n  {id}: bad message {:?}", c.message));
                }
            }
            let ok = match (&got, expected.as_str()) {
                (None, "none") => true,
                (Some(c), e) => {
                    let t = c.error_type.as_str();
                    let resets_ok = match json_str(&case, "resets_at") {
                        Some(want) => c.resets_at.as_deref() == Some(want.as_str()),
                        None => true,
                    };
                    (t == e || acceptable.iter().any(|a| a == t)) && resets_ok
                }
                _ => false,
            };
            if ok {
                type_ok += 1;
            } else {
                bad.push(format!(
                    "\n  {id}: expected {expected} (or {acceptable:?}, resets_at {:?}), got {got:?}",
                    json_str(&case, "resets_at")
                ));
            }
            let want_detail = json_str(&case, "detail").unwrap_or_default();
            let got_detail = got.as_ref().map_or("none", |c| c.detail);
            if want_detail == got_detail {
                detail_ok += 1;
            } else {
                detail_diff.push(format!("{id}: {want_detail} vs {got_detail}"));
            }
        }
        println!(
            "fixtures: {type_ok}/{total} error_type matches, {detail_ok}/{total} detail matches"
        );
        for d in &detail_diff {
            println!("  detail differs: {d}");
        }
        assert!(total >= 80, "only {total} fixtures read");
        assert!(
            bad.is_empty(),
            "{} fixture mismatches:{}",
            bad.len(),
            bad.concat()
        );
    }

    /// Real-looking messages that are not in the fixture file, per family, including tricky ones:
    /// (text, expected error_type, expected detail). Each is tried both as `result` of a
    /// `success`/`is_error` message (Claude) and as the single entry of `errors` (other runners).
    const EXTRA: &[(&str, &str, &str)] = &[
        // ── max_turns
        ("Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.", "max_turns", "max_turns"),
        ("Error: gemini exited with code 53", "max_turns", "max_turns"),
        ("Gemini CLI process exit code 53 (turn limit)", "max_turns", "max_turns"),
        ("process exited with code 530", "crash", "process_exit"),
        ("API Error: 400 max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4", "crash", "invalid_request"),
        // ── usage limits
        ("You've hit your limit · resets 3pm (Europe/Berlin)", "rate_limit", "usage_limit"),
        ("5-hour limit reached ∙ resets 3am", "rate_limit", "usage_limit"),
        ("Opus weekly limit reached ∙ resets Oct 9, 10am", "rate_limit", "usage_limit"),
        ("Claude AI usage limit reached|1755615600", "rate_limit", "usage_limit"),
        ("Usage limit reached for all Pro models. Access resets at 3:00 PM PST.", "rate_limit", "usage_limit"),
        ("{\"detail\":{\"code\":\"usage_limit_exceeded\",\"resets_at\":\"1775317531\"}}", "rate_limit", "usage_limit"),
        // ── billing
        ("API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"You have reached your specified API usage limits. You will regain access on 2025-09-01 at 00:00 UTC.\"}}", "billing", "spend_limit"),
        ("Error: You've hit your usage limit\nspendLimitHit: true\nchatMessage: You've hit your monthly spend limit.", "billing", "spend_limit"),
        ("Error code: 429 - {'error': {'message': 'You exceeded your current quota, please check your plan and billing details.', 'type': 'insufficient_quota', 'param': None, 'code': 'insufficient_quota'}}", "billing", "insufficient_quota"),
        ("{\"error\":{\"message\":\"Billing hard limit has been reached\",\"type\":\"invalid_request_error\",\"code\":\"billing_hard_limit_reached\"}}", "billing", "spend_limit"),
        ("402 Payment Required", "billing", "http_402"),
        ("{\"error\":{\"message\":\"Insufficient credits. Add more using https://openrouter.ai/credits\",\"code\":402}}", "billing", "http_402"),
        ("Error: 402 Insufficient Balance", "billing", "http_402"),
        ("DeepSeek API error: Insufficient Balance", "billing", "insufficient_credits"),
        ("Your account is not active, please check your billing details on our website.", "billing", "billing"),
        ("Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.", "billing", "billing"),
        ("LiteLLM: ExceededTokenBudget: Current spend for token: 10.2; Max Budget for Token: 10.0", "billing", "max_budget"),
        // ── rate limits
        ("API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your organization's rate limit of 50 requests per minute.\"}}", "rate_limit", "rpm"),
        ("Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1.", "rate_limit", "rpm"),
        ("Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Requested 50000. The input or output tokens must be reduced in order to run successfully.", "rate_limit", "tpm"),
        ("API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", "rate_limit", "overloaded"),
        ("[API Error: got status: 503 Service Unavailable. {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}]", "rate_limit", "overloaded"),
        ("ThrottlingException: Too many tokens, please wait before trying again.", "rate_limit", "http_429"),
        ("ConnectError: [resource_exhausted] Error", "rate_limit", "resource_exhausted"),
        ("429 Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet. Please submit a quota increase request.", "rate_limit", "http_429"),
        ("Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Gemini 2.5 Pro Requests per day per user per tier' of service 'cloudcode-pa.googleapis.com'", "rate_limit", "daily_quota"),
        ("{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\",\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\"},{\"retryDelay\":\"17s\"}]}}", "rate_limit", "per_minute_quota"),
        ("429 Too Many Requests: request timeout budget exhausted, slow down", "rate_limit", "http_429"),
        ("stream error: exceeded retry limit, last status: 429 Too Many Requests", "rate_limit", "http_429"),
        ("HTTP 429", "rate_limit", "http_429"),
        ("Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day", "rate_limit", "http_429"),
        // ── context overflow
        ("Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.\", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}", "crash", "context_overflow"),
        ("ValidationException: Input is too long for requested model.", "crash", "context_overflow"),
        ("Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.", "crash", "context_overflow"),
        ("The input token count (1234567) exceeds the maximum number of tokens allowed (1048576).", "crash", "context_overflow"),
        ("API Error: 413 {\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"Request exceeds the maximum size\"}}", "crash", "request_too_large"),
        ("API Error: Claude's response exceeded the 32000 output token maximum. To configure this behavior, set the CLAUDE_CODE_MAX_OUTPUT_TOKENS environment variable.", "crash", "max_output_tokens"),
        // ── auth
        ("API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"OAuth token has expired. Please obtain a new token or refresh your existing token.\"}}", "crash", "auth"),
        ("Invalid API key · Please run /login", "crash", "auth"),
        ("Error code: 401 - {'error': {'message': 'Incorrect API key provided: sk-proj-****abcd.', 'type': 'invalid_request_error', 'code': 'invalid_api_key'}}", "crash", "auth"),
        ("[API Error: API key not valid. Please pass a valid API key.]", "crash", "auth"),
        ("ExpiredTokenException: The security token included in the request is expired", "crash", "auth"),
        ("AccessDeniedException: You don't have access to the model with the specified model ID.", "crash", "auth"),
        ("unexpected status 403 Forbidden: Country, region, or territory not supported", "crash", "auth"),
        ("ConnectError: [unauthenticated] Error", "crash", "auth"),
        // ── stall
        ("ConnectError: [deadline_exceeded] Deadline exceeded", "stall", "timeout"),
        ("ModelTimeoutException: Model has timed out in processing the request.", "stall", "timeout"),
        ("upstream request timeout", "stall", "timeout"),
        ("HTTP/1.1 504 Gateway Time-out", "stall", "timeout"),
        ("Error: 408 Request Timeout", "stall", "timeout"),
        ("The operation was aborted due to timeout", "stall", "timeout"),
        ("Agent produced no output for 600s: inactivity timeout", "stall", "idle_timeout"),
        ("connect ETIMEDOUT 160.79.104.10:443", "stall", "timeout"),
        // ── server / network
        ("API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}", "crash", "server_error"),
        ("exceeded retry limit, last status: 503 Service Unavailable", "crash", "server_error"),
        ("Error code: 502 - Bad Gateway", "crash", "server_error"),
        ("The server had an error while processing your request. Sorry about that!", "crash", "server_error"),
        ("ConnectError: [unavailable] upstream connect error", "crash", "server_error"),
        ("API Error: Connection error.", "crash", "network"),
        ("Error: read ECONNRESET", "crash", "network"),
        ("getaddrinfo ENOTFOUND api.anthropic.com", "crash", "network"),
        ("Connection failed. If the problem persists, please check your internet connection or VPN", "crash", "network"),
        ("request to https://api.openai.com/v1/responses failed, reason: unable to get local issuer certificate", "crash", "network"),
        // ── rejected requests
        ("API Error: 404 {\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: claude-opus-9\"}}", "crash", "not_found"),
        ("The model `gpt-7` does not exist or you do not have access to it.", "crash", "not_found"),
        ("API Error: Claude Code is unable to respond to this request, which appears to violate our Usage Policy (https://www.anthropic.com/legal/aup).", "crash", "policy"),
        ("API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.3: `tool_use` ids were found without `tool_result` blocks immediately after\"}}", "crash", "invalid_request"),
        ("[API Error: {\"error\":{\"code\":400,\"message\":\"Request contains an invalid argument.\",\"status\":\"INVALID_ARGUMENT\"}}]", "crash", "invalid_request"),
        ("API Error: Request was aborted.", "crash", "aborted"),
        // ── local process
        ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "crash", "out_of_memory"),
        ("Error: spawn claude ENOENT", "crash", "spawn_failed"),
        ("Claude Code process terminated by signal SIGKILL", "crash", "process_exit"),
        ("EDQUOT: disk quota exceeded, write '/home/u/.claude/x.json'", "crash", "disk_full"),
        ("Claude Code process exited with code 1\nstderr: Credit balance is too low", "billing", "credit_balance"),
        // ── more providers and wrappers
        ("unexpected status 401 Unauthorized: {\"error\":{\"message\":\"Your authentication token is not from a valid issuer.\"}}", "crash", "auth"),
        ("stream error: unexpected status 500 Internal Server Error", "crash", "server_error"),
        ("unexpected status 429 Too Many Requests: Rate limit reached for gpt-5 in organization org-x on tokens per min (TPM): Limit 500000, Used 499000, Requested 3000.", "rate_limit", "tpm"),
        ("Reconnecting... 2/5 (stream disconnected before completion: Transport error: error decoding response body)", "crash", "network"),
        ("Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.", "rate_limit", "http_429"),
        ("The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", "crash", "policy"),
        ("Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5500, Requested 900.", "rate_limit", "tpm"),
        ("This request would exceed your organization's maximum usage increase rate for input tokens per minute. Please scale up your input tokens usage more gradually to stay within the acceleration limit.", "rate_limit", "itpm"),
        ("Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits)", "rate_limit", "http_429"),
        ("ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier.", "crash", "not_found"),
        ("InternalServerException: The system encountered an unexpected error during processing. Try your request again.", "crash", "server_error"),
        ("ModelNotReadyException: Model is not ready to serve inference requests.", "crash", "server_error"),
        ("ServiceQuotaExceededException: Your request exceeds the service quota for your account.", "rate_limit", "quota_exceeded"),
        ("[API Error: got status: 429 Too Many Requests. {\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}]", "rate_limit", "resource_exhausted"),
        ("ConnectError: [invalid_argument] Error", "crash", "invalid_request"),
        ("ConnectError: [permission_denied] Error", "crash", "auth"),
        ("{\"error\":{\"type\":\"client\",\"message\":\"ERROR_OPENAI_RATE_LIMIT_EXCEEDED\"}}", "rate_limit", "http_429"),
        ("{\"error\":{\"message\":\"Provider returned error\",\"code\":429,\"metadata\":{\"raw\":\"google/gemini-2.5-pro is temporarily rate-limited upstream\"}}}", "rate_limit", "http_429"),
        ("Error: You have exhausted your daily quota on this model.", "rate_limit", "daily_quota"),
        ("You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 250000, model: gemini-2.5-flash. Please retry in 36.6s.", "rate_limit", "free_tier_quota"),
        ("Error: connect ECONNREFUSED 127.0.0.1:8080", "crash", "network"),
        ("Error: write EPIPE", "crash", "network"),
        ("Error: ESOCKETTIMEDOUT", "stall", "timeout"),
        ("Your application is authenticating with end user credentials without a quota project. TypeError: Cannot read properties of undefined", "crash", "unknown"),
        ("API Error: 403 {\"error\":{\"type\":\"forbidden\",\"message\":\"Request not allowed\"}}", "crash", "auth"),
        ("Error: 503 upstream connect error or disconnect/reset before headers. reset reason: connection failure", "crash", "server_error"),
        ("exceeded retry limit, last status: 502 Bad Gateway, request id: 9c84b52ce87fbe62-SJC", "crash", "server_error"),
        // ── ordinary numbers are not statuses
        ("Error: file has 500 lines and 429 words", "crash", "unknown"),
        ("request id req_500_abc 9c84b52ce87f4290 took 429ms", "crash", "unknown"),
        ("TypeError: Cannot read properties of undefined (reading 'map')", "crash", "unknown"),
        ("", "crash", "unknown"),
    ];

    #[test]
    fn extra_cases() {
        let mut bad = Vec::new();
        for &(text, want_type, want_detail) in EXTRA {
            for (shape, msg) in [("result", result(text)), ("errors", errors(&[text]))] {
                let got = classify(&msg, &[]);
                let got_pair = got.as_ref().map(|c| (c.error_type.as_str(), c.detail));
                if got_pair != Some((want_type, want_detail)) {
                    bad.push(format!(
                        "\n  [{shape}] {text:?}: want {want_type}/{want_detail}, got {got_pair:?}"
                    ));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "{} extra-case mismatches:{}",
            bad.len(),
            bad.concat()
        );
    }

    /// Every row of the table is exercised by a fixture or an extra case, and every detail code
    /// is documented in the module docs' table.
    #[test]
    fn every_row_is_tested_and_documented() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/__test__/fixtures/classification/fixtures.jsonl"
        );
        let data = std::fs::read_to_string(path).expect("fixture file");
        let mut seen: Vec<&'static str> = EXTRA
            .iter()
            .filter_map(|&(text, _, _)| classify(&result(text), &[]).map(|c| c.detail))
            .collect();
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).expect("fixture json");
            if let Some(c) = classify(&from_json(&case["result"]), &[]) {
                seen.push(c.detail);
            }
        }
        let source = include_str!("classify.rs");
        let table = &source[..source.find("use std::").unwrap_or(0)];
        for row in RULES {
            assert!(
                seen.contains(&row.detail) || matches!(row.when, Subtype(_)),
                "no test case reaches the row for {}",
                row.detail
            );
            assert!(
                table.contains(&format!("`{}`", row.detail)),
                "detail {} is not in the module docs' table",
                row.detail
            );
        }
    }

    #[test]
    fn table_builds() {
        assert!(MATCHER.dfa.match_states() > 100);
        assert_eq!(MATCHER.state_signals.len(), MATCHER.dfa.match_states());
    }

    #[test]
    fn not_errors_and_subtypes() {
        let ok = ResultMessage {
            subtype: Some("success".into()),
            is_error: false,
            result: Some("Credit balance is too low; rate limit; timed out".into()),
            errors: vec![],
        };
        assert_eq!(classify(&ok, &[]), None);
        // Missing subtype with is_error false is an error (`subtype !== "success"`).
        let missing = ResultMessage {
            subtype: None,
            is_error: false,
            result: None,
            errors: vec![],
        };
        let c = classify(&missing, &[]).expect("error");
        assert_eq!((c.error_type, c.detail), (ErrorType::Crash, "unknown"));
        assert_eq!(c.message, "unknown error");
        // Old max-turns shape: is_error false, no errors.
        let old = ResultMessage {
            subtype: Some("error_max_turns".into()),
            is_error: false,
            result: None,
            errors: vec![],
        };
        let c = classify(&old, &[]).expect("error");
        assert_eq!((c.error_type, c.detail), (ErrorType::MaxTurns, "max_turns"));
        assert_eq!(c.message, "error_max_turns");
        let budget = ResultMessage {
            subtype: Some("error_max_budget_usd".into()),
            is_error: true,
            ..Default::default()
        };
        let c = classify(&budget, &[]).expect("error");
        assert_eq!((c.error_type, c.detail), (ErrorType::Billing, "max_budget"));
        let structured = ResultMessage {
            subtype: Some("error_max_structured_output_retries".into()),
            is_error: true,
            ..Default::default()
        };
        let c = classify(&structured, &[]).expect("error");
        assert_eq!(
            (c.error_type, c.detail),
            (ErrorType::Crash, "structured_output")
        );
        assert_eq!(ErrorType::RateLimit.as_str(), "rate_limit");
        assert_eq!(ErrorType::MaxTurns.as_str(), "max_turns");
    }

    #[test]
    fn resets_at_forms() {
        let cases = [
            (
                "Claude AI usage limit reached|1755615600",
                Some("2025-08-19T15:00:00Z"),
            ),
            (
                "Claude AI usage limit reached|1755615600000",
                Some("2025-08-19T15:00:00Z"),
            ),
            (
                "{\"type\":\"usage_limit_reached\",\"resets_at\": 1775317531}",
                Some("2026-04-04T15:45:31Z"),
            ),
            (
                "usage limit reached, resetsAt=1775317531",
                Some("2026-04-04T15:45:31Z"),
            ),
            ("Claude AI usage limit reached|17556156", None),
            ("Claude AI usage limit reached|17556156001234", None),
            (
                "Claude usage limit reached. Your limit will reset at 1 PM",
                None,
            ),
            // A reset epoch in a non-rate-limit text is not reported.
            ("API Error: 500 api_error resets_at: 1775317531", None),
        ];
        for (text, want) in cases {
            let c = classify(&result(text), &[]).expect("error");
            assert_eq!(c.resets_at.as_deref(), want, "{text}");
        }
    }

    #[test]
    fn message_shape() {
        let m = ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            result: Some("ignored result".into()),
            errors: vec!["first".into(), "second".into()],
        };
        assert_eq!(classify(&m, &[]).expect("error").message, "first; second");
        let m = ResultMessage {
            errors: vec![String::new()],
            result: Some("the result".into()),
            ..m
        };
        assert_eq!(classify(&m, &[]).expect("error").message, "the result");
        // Scrubbed, including the given literal secret.
        let m = errors(&[
            "POST https://cb.example/x failed: Bearer cb-secret-123",
            "token cb-secret-123 ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        ]);
        let c = classify(&m, &["cb-secret-123"]).expect("error");
        assert_eq!(
            c.message,
            "POST https://cb.example/x failed: Bearer [REDACTED]; token [REDACTED] [REDACTED]"
        );
        // At most 500 chars, cut on a char boundary.
        let long = "é".repeat(2000);
        let c = classify(&result(&long), &[]).expect("error");
        assert_eq!(c.message.chars().count(), 500);
        assert_eq!(c.message, "é".repeat(500));
        // A secret straddling the 500-char cut is scrubbed before the cut.
        let text = format!(
            "{}{}",
            "x ".repeat(245),
            "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        );
        let c = classify(&result(&text), &[]).expect("error");
        assert!(!c.message.contains("sk-ant"), "{}", c.message);
        assert!(c.message.ends_with("[REDACTED]"));
    }

    #[test]
    fn huge_inputs_are_bounded() {
        // 10 MB of text, rate-limit keyword first: classified from the window, message bounded.
        let mut big = String::from("429 Too Many Requests ");
        big.push_str(&"a".repeat(10 * 1024 * 1024));
        let start = std::time::Instant::now();
        let c = classify(&result(&big), &["tok"]).expect("error");
        assert_eq!(c.error_type, ErrorType::RateLimit);
        assert_eq!(c.message.chars().count(), 500);
        // The keyword far beyond the window is not seen.
        let mut far = "b".repeat(CLASSIFY_WINDOW_BYTES + 10);
        far.push_str(" Credit balance is too low");
        assert_eq!(
            classify(&result(&far), &[]).expect("error").detail,
            "unknown"
        );
        // Many errors, many tokens that redaction removes: the message holds no fragment.
        let tok = "sk-ant-api03-".to_string() + &"Z9".repeat(2000);
        let many: Vec<String> = (0..5000).map(|_| tok.clone()).collect();
        let m = ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            result: None,
            errors: many,
        };
        let c = classify(&m, &[]).expect("error");
        assert!(!c.message.contains("Z9Z9"), "{}", c.message);
        assert!(c.message.chars().count() <= 500);
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    }

    #[test]
    fn window_edge_fragments_are_dropped() {
        // Redactions eat almost the whole window; a literal secret is cut by the window edge.
        let secret = "S".repeat(3000) + "tail";
        let filler = "sk-ant-api03-".to_string() + &"Q7".repeat(3000); // 6013 bytes, redacted
        let text = format!("{filler} {filler} {secret} more");
        let c = classify(&result(&text), &[&secret]).expect("error");
        assert!(!c.message.contains("SSSS"), "{}", c.message);
    }

    /// Pieces of error text: words, credentials of several families, the literal secret
    /// `CbTok3n-9f8e7d6c5b4a`, multi-byte text, long fillers, and the "; " joint.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z ]{1,40}",
            1 => "[A-Za-z0-9]{36}".prop_map(|k| format!("ghp_{k} ")),
            1 => "[A-Za-z0-9]{30}".prop_map(|k| format!("Bearer {k} ")),
            1 => "[A-Za-z0-9]{30}".prop_map(|k| format!("sk-ant-api03-{k} ")),
            1 => "[a-z0-9]{12}".prop_map(|k| format!("https://u:{k}@h.example/x ")),
            1 => "[a-z0-9]{12}".prop_map(|k| format!("?key={k}&x=1 ")),
            1 => Just("CbTok3n-9f8e7d6c5b4a".to_string()),
            1 => Just("é🙂\u{FFFD} ".to_string()),
            1 => Just("; ".to_string()),
            1 => (0usize..6000).prop_map(|n| "x".repeat(n)),
        ]
    }

    fn arb_msg() -> impl Strategy<Value = ResultMessage> {
        (
            proptest::option::of(prop_oneof![
                Just("success".to_string()),
                Just("error_max_turns".to_string()),
                Just("error_during_execution".to_string()),
                Just("error_max_budget_usd".to_string()),
                ".{0,20}",
            ]),
            any::<bool>(),
            proptest::option::of(prop_oneof![".{0,300}", "[\\PC\u{FFFD}]{0,3000}"]),
            proptest::collection::vec(".{0,200}", 0..6),
        )
            .prop_map(|(subtype, is_error, result, errors)| ResultMessage {
                subtype,
                is_error,
                result,
                errors,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(300)))]

        #[test]
        fn prop_total_and_bounded(msg in arb_msg(), secret in "[a-zA-Z0-9._-]{0,40}") {
            let secrets = [secret.as_str()];
            match classify(&msg, &secrets) {
                None => prop_assert!(!msg.is_error && msg.subtype.as_deref() == Some("success")),
                Some(c) => {
                    prop_assert!(c.message.chars().count() <= MESSAGE_MAX_CHARS);
                    prop_assert!(!c.detail.is_empty());
                    if !secret.is_empty() && !REDACTED_PARTS.iter().any(|p| p.contains(secret.as_str())) {
                        prop_assert!(!c.message.contains(secret.as_str()));
                    }
                    if c.resets_at.is_some() {
                        prop_assert_eq!(c.error_type, ErrorType::RateLimit);
                    }
                }
            }
        }

        #[test]
        fn prop_planted_secret_not_in_message(
            before in ".{0,300}",
            after in ".{0,300}",
            secret in "[A-Za-z0-9]{16,64}",
        ) {
            let m = errors(&[&format!("{before}{secret}{after}"), "x"]);
            let c = classify(&m, &[&secret]).expect("error");
            prop_assert!(!c.message.contains(&secret));
            prop_assert!(c.message.chars().count() <= MESSAGE_MAX_CHARS);
        }

        /// The bounded message equals the first 500 chars of scrubbing the whole text when the
        /// text fits the scrub window, and is a prefix of it otherwise (at most shorter).
        #[test]
        fn prop_message_is_prefix_of_full_scrub(
            frags in proptest::collection::vec(fragment(), 0..400),
            split in 0usize..4,
        ) {
            let secret = "CbTok3n-9f8e7d6c5b4a";
            let text: String = frags.concat();
            prop_assume!(!text.is_empty()); // (an empty text falls back to the subtype)
            let msg = if split == 0 {
                result(&text)
            } else {
                // The same text as several errors (joined with "; ").
                let parts: Vec<&str> = text.splitn(split + 1, "; ").collect();
                errors(&parts)
            };
            let full = crate::scrub::scrub(&text, &[secret]);
            let want = first_chars(&full, MESSAGE_MAX_CHARS);
            let got = classify(&msg, &[secret]).expect("error").message;
            if text.len() <= SCRUB_WINDOW_BYTES {
                prop_assert_eq!(got.as_str(), want);
            } else {
                prop_assert!(want.starts_with(got.as_str()), "{:?} vs {:?}", got, want);
            }
            prop_assert!(!got.contains(secret));
        }

        #[test]
        fn prop_long_unicode(s in "[\\PC\u{FFFD}\u{10FFFF}]{400,1200}") {
            let c = classify(&result(&s), &[]).expect("error");
            prop_assert!(c.message.chars().count() <= MESSAGE_MAX_CHARS);
        }
    }

    /// A secret that is part of `[REDACTED]` itself is ignored by `scrub`.
    const REDACTED_PARTS: &[&str] = &[crate::scrub::REDACTED];
}
