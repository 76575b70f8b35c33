//! The rule table: ordered rows of (condition on the subtype and the signals found, `error_type`,
//! `error_detail`); the first row that holds decides.

use super::signals::{Signal, Signals};
use super::ErrorType;
use ErrorType::{Billing, Crash, MaxTurns, RateLimit, Stall};
use When::{Always, Subtype};

/// When a rule row applies.
#[derive(Debug, Clone, Copy)]
pub(super) enum When {
    /// The SDK's `subtype` is exactly this.
    Subtype(&'static str),
    /// Any of these signals is in the text (built by [`any`]).
    Any(Signals),
    /// Any signal of the first set and any of the second (built by [`both`]).
    Both(Signals, Signals),
    /// Always (the last row).
    Always,
}

/// One row of the rule table.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) when: When,
    pub(super) error_type: ErrorType,
    pub(super) detail: &'static str,
}

/// The row condition "any of these signals", as a bit set (one AND per row when deciding).
const fn any(list: &[Signal]) -> When {
    When::Any(Signals::of(list))
}

/// The row condition "any signal of the first list and any of the second".
const fn both(first: &[Signal], second: &[Signal]) -> When {
    When::Both(Signals::of(first), Signals::of(second))
}

const fn row(when: When, error_type: ErrorType, detail: &'static str) -> Rule {
    Rule {
        when,
        error_type,
        detail,
    }
}

/// The ordered rule table: the first row that holds decides. Each row names the real message it
/// exists for. Read top-down: the SDK's own subtypes first, then money and caps the user set,
/// then subscription windows, then throttling (before timeouts and context words, which appear
/// inside rate-limit texts), then request problems, timeouts, transport, and the local process.
pub(super) static RULES: &[Rule] = &[
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
    row(any(&[Signal::TurnLimit]), MaxTurns, "max_turns"),
    // Agent frameworks' turn caps, by iterations or steps: LangChain "Agent stopped due to
    // iteration limit or time limit." (a cap, not a stall: before the timeout rows); LlamaIndex
    // "ValueError: Reached max iterations."; OpenHands "Agent reached maximum iteration in
    // headless mode"; smolagents "Reached max steps."; LangGraph "Recursion limit of 25 reached
    // without hitting a stop condition" (GraphRecursionError).
    row(any(&[Signal::IterationLimit]), MaxTurns, "iteration_limit"),
    // ── Local resources whose words look like provider limits ───────────────────────────────
    // "EDQUOT: disk quota exceeded", "ENOSPC: no space left on device" ("quota" ≠ provider quota).
    row(any(&[Signal::DiskFull]), Crash, "disk_full"),
    // ── Money: caps the user set ────────────────────────────────────────────────────────────
    // LiteLLM {"error":{"message":"Budget has been exceeded! Current cost: 0.0010747, Max budget:
    // 0.0","type":"auth_error"}} — a budget cap although typed auth_error.
    row(any(&[Signal::Budget]), Billing, "max_budget"),
    // Cursor "spendLimitHit: true"; OpenAI `billing_hard_limit_reached`; Anthropic "You have
    // reached your specified API usage limits. You will regain access on 2025-09-01 at 00:00 UTC."
    // (a console spend limit, before the generic "usage limit" row); OpenRouter "Key limit exceeded".
    row(any(&[Signal::SpendLimit]), Billing, "spend_limit"),
    // ── Subscription usage windows (they reset by themselves) ──────────────────────────────
    // "Claude AI usage limit reached|1762952400"; "Claude usage limit reached. Your limit will reset
    // at 1 PM (Asia/Dubai)."; "You've hit your limit · resets 3pm"; "5-hour limit reached ∙ resets
    // 3am"; Codex "You've hit your usage limit. Upgrade to Pro … or try again in 5 days" and
    // {"error":{"type":"usage_limit_reached",…,"resets_at":1775317531}}; Cursor "You've hit your
    // usage limit … spendLimitHit: false". An upgrade pitch is not a billing failure.
    row(any(&[Signal::UsageLimit]), RateLimit, "usage_limit"),
    // ── Money: balance or quota exhausted ───────────────────────────────────────────────────
    // openai.RateLimitError: Error code: 429 - {'error': {… 'code': 'insufficient_quota'}} — the
    // code beats the 429; Codex "⚠️ Insufficient quota. Please check your billing details".
    row(
        any(&[Signal::InsufficientQuota]),
        Billing,
        "insufficient_quota",
    ),
    // "Your credit balance is too low to access the Anthropic API" (arrives as a 400
    // invalid_request_error); "Credit balance too low · Add funds".
    row(any(&[Signal::CreditBalance]), Billing, "credit_balance"),
    // "OpenAI API 402: {…"code":402…}"; "402 Payment Required".
    row(any(&[Signal::PaymentRequired]), Billing, "http_402"),
    // OpenRouter "This request requires more credits, or fewer max_tokens. You requested up to
    // 32000 tokens, but can only afford 0."; "Insufficient credits"; DeepSeek "Insufficient Balance".
    row(any(&[Signal::Credits]), Billing, "insufficient_credits"),
    // OpenAI "Your account is not active, please check your billing details"; Google "This API
    // method requires billing to be enabled"; Gemini "free tier is not available in your
    // country. Please enable billing".
    row(any(&[Signal::Billing]), Billing, "billing"),
    // Prepaid balance empty or account in arrears, whatever the status says (these arrive as
    // 429, 400 or 403): Z.ai/GLM `{"code":"1113","message":"余额不足或无可用资源包,请充值。"}` with
    // HTTP 429 (the code and the words say money, the status says throttling: the code wins);
    // Kimi/Moonshot 429 `exceeded_current_quota_error`; DashScope 400 `Arrearage` "Access
    // denied, please make sure your account is in good standing" (money, not auth: before the
    // auth row); Volcengine 403 `AccountOverdueError` "your account has an overdue balance".
    row(any(&[Signal::Balance]), Billing, "balance"),
    // Gemini "Quota exceeded for metric: …free_tier_input_token_count, limit: 0, model:
    // gemini-2.5-pro … Please retry in 22s": a quota of 0 is none to wait for — the plan has to
    // change (before the per-minute, per-day and free-tier rows).
    row(
        both(&[Signal::Quota], &[Signal::ZeroLimit]),
        Billing,
        "insufficient_quota",
    ),
    // ── Throttling: per-minute limits (before context words: these texts say "Please reduce
    //    the prompt length", and before billing words: Gemini's free tier says "check your plan
    //    and billing details" for a per-minute quota) ────────────────────────────────────────
    // Anthropic "would exceed the rate limit for your organization … of 40,000 input tokens per
    // minute … Please reduce the prompt length or the maximum tokens requested".
    row(any(&[Signal::Itpm]), RateLimit, "itpm"),
    // Anthropic "… rate limit of 80,000 output tokens per minute".
    row(any(&[Signal::Otpm]), RateLimit, "otpm"),
    // Google "429 Quota exceeded for quota metric 'Generate Content API requests per minute' …
    // RATE_LIMIT_EXCEEDED"; Vertex "…online_prediction_requests_per_minute…".
    row(
        both(&[Signal::Quota], &[Signal::PerMinute]),
        RateLimit,
        "per_minute_quota",
    ),
    // OpenAI "429 Rate limit reached for gpt-4.1 … on tokens per min (TPM): Limit 30000".
    row(any(&[Signal::Tpm]), RateLimit, "tpm"),
    // OpenAI "Rate limit reached for … on requests per min (RPM)".
    row(any(&[Signal::Rpm]), RateLimit, "rpm"),
    // Gemini "Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Gemini 2.5 Pro
    // Requests per day per user per tier'".
    row(
        both(&[Signal::Quota], &[Signal::PerDay]),
        RateLimit,
        "daily_quota",
    ),
    // Daily token or request limits, even behind a 500: Groq "Rate limit reached for model … on
    // tokens per day (TPD)"; Kimi "request reached organization TPD rate limit"; Baidu Qianfan
    // "Open api daily request limit reached"; Z.ai 1304 "该API已达今日调用次数限额"; OpenRouter
    // "Rate limit exceeded: free-models-per-day".
    row(any(&[Signal::DailyLimit]), RateLimit, "daily_limit"),
    row(
        both(&[Signal::PerDay], &[Signal::LimitHit]),
        RateLimit,
        "daily_limit",
    ),
    // Gemini free tier "You exceeded your current quota … generate_content_free_tier_requests …
    // Please retry in 39s" — a window, not money.
    row(
        both(&[Signal::Quota], &[Signal::FreeTier]),
        RateLimit,
        "free_tier_quota",
    ),
    // A model out of serving capacity (also when the status is missing or a 500): Gemini CLI
    // "No capacity available for model gemini-3-pro-preview on the server"
    // (`MODEL_CAPACITY_EXHAUSTED`, before the generic RESOURCE_EXHAUSTED row).
    row(any(&[Signal::Capacity]), RateLimit, "capacity"),
    // ── Money: OpenAI-style quota (after the windows above, before the generic 429 and before
    //    RESOURCE_EXHAUSTED: Gemini's "You exceeded your current quota, please check your plan
    //    and billing details" with status RESOURCE_EXHAUSTED and no per-minute, per-day or
    //    free-tier metric is an exhausted paid quota) ─────────────────────────────────────────
    // "429 You exceeded your current quota, please check your plan and billing details";
    // codex-rs "Quota exceeded. Check your plan and billing details."
    row(any(&[Signal::QuotaBilling]), Billing, "insufficient_quota"),
    // bolt.new "You've used all your remaining tokens": a plan's allowance that resets (after
    // every money row: "used all your credits" is money).
    row(any(&[Signal::Allowance]), RateLimit, "usage_limit"),
    // Gemini/Vertex {"code":429,"message":"Resource exhausted. Please try again later.",
    // "status":"RESOURCE_EXHAUSTED"}; Cursor "ConnectError: [resource_exhausted]".
    row(
        any(&[Signal::ResourceExhausted]),
        RateLimit,
        "resource_exhausted",
    ),
    // ── Throttling: everything else ─────────────────────────────────────────────────────────
    // "API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}";
    // Gemini 503 "The model is overloaded. Please try again later."
    row(any(&[Signal::Overloaded]), RateLimit, "overloaded"),
    // "API Error: Request rejected (429) · Rate limited"; "exceeded retry limit, last status: 429
    // Too Many Requests"; {"type":"rate_limit_error"}; Cursor "User API Key Rate limit exceeded";
    // Bedrock "ThrottlingException: Too many tokens, please wait". A "timeout" inside such a text
    // does not make it a stall (the stall rows come later).
    row(any(&[Signal::RateLimit]), RateLimit, "http_429"),
    // Bedrock "ServiceQuotaExceededException"; "Quota exceeded for aiplatform.googleapis.com/…"
    // without a 429 in the text.
    row(any(&[Signal::QuotaExceeded]), RateLimit, "quota_exceeded"),
    // ── The plan does not cover it (after every usage window and money row: "You've hit your
    //    usage limit. Upgrade to Pro" is a usage window; before the crash rows) ──────────────
    // Codex "🖐 To use Codex with your ChatGPT plan, upgrade to Plus"; Cursor "Invalid Model: The
    // model does not work with your current plan or api key"; Z.ai 1311 "当前订阅套餐暂未开放…权限".
    row(any(&[Signal::PlanLimit]), RateLimit, "plan_limit"),
    // ── The request did not fit ─────────────────────────────────────────────────────────────
    // "API Error: 400 … prompt is too long: 216327 tokens > 200000 maximum"; "input length and
    // max_tokens exceed context limit"; OpenAI `context_length_exceeded` / "maximum context
    // length"; Bedrock "Input is too long for requested model"; Codex "ran out of room in the
    // model's context window"; Gemini "exceeds the maximum number of tokens allowed".
    row(any(&[Signal::ContextOverflow]), Crash, "context_overflow"),
    // Anthropic 413 {"type":"request_too_large"}; "413 Payload Too Large".
    row(any(&[Signal::RequestTooLarge]), Crash, "request_too_large"),
    // "API Error: Claude's response exceeded the 32000 output token maximum."
    row(any(&[Signal::OutputTokenMax]), Crash, "max_output_tokens"),
    // ── Credentials ─────────────────────────────────────────────────────────────────────────
    // "Error: Could not resolve authentication method"; "Failed to get auth headers: No API key
    // available"; "API Error: 401 {…authentication_error…invalid x-api-key}"; "OAuth token has
    // expired"; "Invalid API key · Please run /login"; Gemini "API key not valid"; Bedrock
    // "ExpiredTokenException", "AccessDeniedException"; Cursor "[unauthenticated]"; 401/403.
    row(any(&[Signal::Auth]), Crash, "auth"),
    // ── Hung or timed out (before transport and 5xx: "code=ETIMEDOUT … Connection error",
    //    "Error code: 504 - litellm.Timeout: Request timed out", "InternalServerError … timeout") ─
    // "API Error: Stream idle timeout - partial response received"; "upstream response idle timeout".
    row(any(&[Signal::IdleTimeout]), Stall, "idle_timeout"),
    // "API Error (Request timed out.) · Retrying in 1 seconds…"; "The operation timed out";
    // "Agent error: Control request timeout: initialize"; "spawnSync … ETIMEDOUT"; "504 Gateway
    // Timeout"; gRPC DEADLINE_EXCEEDED; "no response from server".
    row(any(&[Signal::Timeout]), Stall, "timeout"),
    // ── The provider failed ─────────────────────────────────────────────────────────────────
    // {"type":"error","error":{"type":"api_error","message":"Internal server error"}}; "API Error:
    // 500 Internal server error"; Codex "stream disconnected before completion: An error occurred
    // while processing your request" (server-side, so before the transport row); 502/503.
    row(any(&[Signal::ServerError]), Crash, "server_error"),
    // ── Transport ───────────────────────────────────────────────────────────────────────────
    // "API Error (Connection error.) … TypeError (fetch failed)"; "socket hang up"; Codex
    // "stream disconnected before completion: error sending request for url (…)"; "Unable to
    // connect to Anthropic services"; ECONNRESET / ECONNREFUSED / ENOTFOUND; TLS certificate errors.
    row(any(&[Signal::Network]), Crash, "network"),
    // ── The request was rejected ────────────────────────────────────────────────────────────
    // Anthropic 404 {"type":"not_found_error","message":"model: claude-x"}; OpenAI `model_not_found`.
    row(any(&[Signal::NotFound]), Crash, "not_found"),
    // "Claude Code is unable to respond to this request, which appears to violate our Usage Policy".
    row(any(&[Signal::Policy]), Crash, "policy"),
    // "API Error: 400 {…"invalid_request_error","message":"max_tokens: 128001 > 64000, which is
    // the maximum allowed number of output tokens…"}"; "InvalidParameter"; Gemini INVALID_ARGUMENT.
    row(any(&[Signal::InvalidRequest]), Crash, "invalid_request"),
    // "API Error: Request was aborted."; "AbortError: This operation was aborted".
    row(any(&[Signal::Aborted]), Crash, "aborted"),
    // ── The local process ───────────────────────────────────────────────────────────────────
    // "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory".
    row(any(&[Signal::OutOfMemory]), Crash, "out_of_memory"),
    // "spawn claude ENOENT"; "Claude Code executable not found at …".
    row(any(&[Signal::Spawn]), Crash, "spawn_failed"),
    // "SDK query error: Error: Claude Code process exited with code 1"; "killed by signal SIGKILL".
    // Last of the text rows: a more specific cause elsewhere in the text wins.
    row(any(&[Signal::ProcessExit]), Crash, "process_exit"),
    // {"subtype":"error_max_structured_output_retries"} with no more telling text.
    row(
        Subtype("error_max_structured_output_retries"),
        Crash,
        "structured_output",
    ),
    // "Execution Error", "Error: Insufficient permissions for global npm install.", "" …
    row(Always, Crash, "unknown"),
];

/// The first row of [`RULES`] that holds for this subtype and these signals (the last row always
/// holds).
pub(super) fn decide(subtype: Option<&str>, signals: Signals) -> &'static Rule {
    RULES
        .iter()
        .find(|rule| match rule.when {
            Subtype(s) => subtype == Some(s),
            When::Any(set) => signals.intersects(set),
            When::Both(first, second) => signals.intersects(first) && signals.intersects(second),
            Always => true,
        })
        .unwrap_or(&RULES[RULES.len() - 1])
}
