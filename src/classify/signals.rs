//! The signal table: the facts classification looks for in the text — keyword families
//! (`SIGNALS`), HTTP status numbers (`STATUS_CODES`), markers of a reset epoch
//! (`EPOCH_MARKERS`) — and [`Signals`], the set of them that the scanner fills.

/// A fact found in the text; a bit of [`Signals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Signal {
    TurnLimit,
    IterationLimit,
    DiskFull,
    Budget,
    SpendLimit,
    UsageLimit,
    InsufficientQuota,
    CreditBalance,
    PaymentRequired,
    Credits,
    Billing,
    Balance,
    Itpm,
    Otpm,
    Tpm,
    Rpm,
    Quota,
    PerMinute,
    PerDay,
    /// Words of a limit being hit; only counts together with another signal (a daily limit).
    LimitHit,
    DailyLimit,
    FreeTier,
    /// A quota whose limit is 0: the plan has none of it (Gemini free tier "limit: 0").
    ZeroLimit,
    ResourceExhausted,
    QuotaBilling,
    /// Words of a plan's allowance used up (tokens, messages), with no money or window words.
    Allowance,
    Overloaded,
    Capacity,
    RateLimit,
    QuotaExceeded,
    PlanLimit,
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
pub(super) enum Check {
    /// The needle alone is enough.
    None,
    /// The next byte is not a digit (`exit code 53`, not `exit code 530`).
    NoDigitAfter,
    /// The byte before is not a letter or digit: errno-style codes (`ENOTFOUND`, not the end
    /// of `ResourceNotFoundException`).
    WordStart,
    /// A whole word: no letter or digit right before, no letter right after (`balance`, not
    /// `load balancer` or `rebalance`).
    Word,
}

/// Keyword families: (signal, confirmation, needles). Needles are matched ASCII
/// case-insensitively anywhere in the text; write them in lower case.
pub(super) static SIGNALS: &[(Signal, Check, &[&str])] = &[
    (
        Signal::TurnLimit,
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
            // OpenAI Agents SDK `MaxTurnsExceeded: Max turns (10) exceeded`; `maxTurns` settings.
            "maxturns",
            // Pydantic AI `UsageLimitExceeded: The next request would exceed the request_limit of
            // 50` (a cap on model requests, i.e. turns; before the usage-window words).
            "the request_limit of",
            "tool_calls_limit",
            // The same UsageLimits in tokens: "UsageLimitExceeded: Exceeded the total_tokens_limit
            // of 300 (total_tokens=353)" (also input_/output_/request_/response_tokens_limit): a
            // cap the caller put on the run, not a provider's usage window. Pydantic AI's own
            // wording only: a provider's "max_tokens_limit of 8192" is a bad parameter.
            "exceeded the total_tokens_limit",
            "exceeded the input_tokens_limit",
            "exceeded the output_tokens_limit",
            "exceeded the request_tokens_limit",
            "exceeded the response_tokens_limit",
            // Chinese: 最大轮数 / 最大轮次 (maximum number of turns).
            "最大轮数",
            "最大轮次",
        ],
    ),
    // Agent frameworks count iterations or steps instead of turns: LangChain AgentExecutor
    // "Agent stopped due to iteration limit or time limit."; LlamaIndex "Reached max
    // iterations."; OpenHands "Agent reached maximum iteration in headless mode"; CrewAI
    // `max_iter`; smolagents "Reached max steps."; LangGraph `GraphRecursionError: Recursion
    // limit of 25 reached without hitting a stop condition` (its `recursion_limit` counts steps;
    // Python's own "maximum recursion depth exceeded" is not one of these).
    (
        Signal::IterationLimit,
        Check::None,
        &[
            "iteration limit",
            "iterations limit",
            "iteration_limit",
            "max iteration",
            "max_iter",
            "maximum iteration",
            "maximum number of iterations",
            "maxiterations",
            "recursion limit",
            "recursion_limit",
            "graphrecursionerror",
            "max steps",
            "max_steps",
            "maxsteps",
            "maximum steps",
            "maximum number of steps",
            "step limit",
            "steps limit",
            // AutoGen `max_consecutive_auto_reply`: "Maximum number of consecutive auto-replies
            // reached"; caps on tool calls ("exceeded the maximum number of tool calls").
            "consecutive auto-repl",
            "consecutive_auto_repl",
            "number of tool calls",
            "max tool calls",
            "max_tool_calls",
            "tool call limit",
            // Chinese: 最大迭代 (maximum iterations), 迭代次数 (number of iterations),
            // 最大步数 (maximum steps).
            "最大迭代",
            "迭代次数",
            "最大步数",
        ],
    ),
    (
        Signal::TurnLimit,
        Check::NoDigitAfter,
        &["exit code 53", "exited with code 53", "exit status 53"],
    ),
    (
        Signal::DiskFull,
        Check::None,
        &["disk quota", "no space left"],
    ),
    (Signal::DiskFull, Check::WordStart, &["edquot", "enospc"]),
    (
        Signal::Budget,
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
        Signal::SpendLimit,
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
            // OpenRouter "… create a key with a higher monthly limit" (a key's spend cap).
            "higher monthly limit",
        ],
    ),
    (
        Signal::UsageLimit,
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
            // Claude Code "You're out of extra usage · resets 9pm" and, as a 400
            // invalid_request_error, "You're out of extra usage. Add more at
            // claude.ai/settings/usage and keep going."
            "extra usage",
            // Gemini CLI "… Your quota will reset after 0s."
            "quota will reset",
            // Chinese: 使用上限 / 用量上限 (usage cap; Z.ai 1308 for the 5-hour window).
            "使用上限",
            "用量上限",
        ],
    ),
    (
        Signal::InsufficientQuota,
        Check::None,
        &[
            "insufficient_quota",
            "insufficient quota",
            "insufficientquota",
        ],
    ),
    (Signal::CreditBalance, Check::None, &["credit balance"]),
    (
        Signal::PaymentRequired,
        Check::None,
        &["payment required", "payment_required", "paymentrequired"],
    ),
    (
        Signal::Credits,
        Check::None,
        &[
            "more credits",
            "can only afford",
            "insufficient credit",
            "insufficient_credit",
            "not enough credit",
            "out of credit",
            "credits have run out",
            "insufficient funds",
            "credit has run out",
            "ran out of credit",
            "credits exhausted",
            "no credits",
            "credits are depleted",
            "credits have been exhausted",
            "credit limit",
            "insufficient balance",
            "insufficient_balance",
            "balance is insufficient",
            // xAI "Your team … has either used all available credits or reached its monthly
            // spending limit" (sent as 429 or 403); "used all your credits".
            "all available credits",
            "all your credits",
        ],
    ),
    (
        Signal::Billing,
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
            // DashScope 403 `AllocationQuota.FreeTierOnly` "The free quota has been exhausted. To
            // continue accessing the model on a paid basis, please complete your payment
            // information": money, though the words say quota and the status says forbidden.
            "payment information",
            "paid basis",
            "past due",
            "past_due",
            "invalid_payment",
            "payment failed",
            "card was declined",
            "card declined",
            "prepayment",
            "unpaid",
            "non-payment",
            "nonpayment",
            // A lapsed subscription: "Your subscription has expired. Please renew"; Z.ai 1309
            // "您的 GLM Coding Plan 套餐已到期 … 续订后即可恢复" (plan expired, renew to resume).
            "subscription has expired",
            "subscription expired",
            "plan has expired",
            "renew your subscription",
            "套餐已到期",
            "续订",
        ],
    ),
    // Money words of prepaid accounts, in English and Chinese: Z.ai/GLM code 1113 "余额不足或无
    // 可用资源包,请充值。" (balance insufficient or no resource package, please recharge; sent
    // with HTTP 429); Kimi/Moonshot `exceeded_current_quota_error` "Your account … is suspended
    // due to insufficient balance, please recharge your account"; DashScope `Arrearage` "Access
    // denied, please make sure your account is in good standing … #overdue-payment"; Volcengine
    // Ark `AccountOverdueError` "your account has an overdue balance"; 欠费 (in arrears).
    (
        Signal::Balance,
        Check::None,
        &[
            "recharge",
            "top up your",
            "top-up",
            "overdue",
            "good standing",
            "exceeded_current_quota",
            "arrearage",
            // Tencent `FailedOperation.ServiceStopArrears`, `ResourceInsufficient.ChargeResourceExhaust`.
            "arrears",
            "chargeresourceexhaust",
            "余额",
            // 额度不足 (quota insufficient: a prepaid allowance used up).
            "额度不足",
            "充值",
            "欠费",
            "资源包",
            "缴费",
        ],
    ),
    (Signal::Balance, Check::Word, &["balance"]),
    (
        Signal::Itpm,
        Check::None,
        &["input tokens per min", "input_tokens_per_min"],
    ),
    (
        Signal::Otpm,
        Check::None,
        &["output tokens per min", "output_tokens_per_min"],
    ),
    (
        Signal::Tpm,
        Check::None,
        &[
            "tokens per min",
            "tokens_per_min",
            "(tpm)",
            "tpm limit",
            "tpm rate",
            "max tpm",
        ],
    ),
    (
        Signal::Rpm,
        Check::None,
        &[
            "requests per min",
            "requests_per_min",
            "(rpm)",
            "rpm limit",
            "rpm rate",
            "max rpm",
        ],
    ),
    (Signal::Quota, Check::None, &["quota"]),
    (
        Signal::PerMinute,
        Check::None,
        &["per minute", "perminute", "per_minute", "per-minute"],
    ),
    // Per-day windows: "… Requests per day …"; Groq "on tokens per day (TPD)"; Baidu Qianfan "Open
    // api daily request limit reached"; Z.ai 1304 "该API已达今日调用次数限额" (today's call limit
    // reached); "Token limit for today reached, please try again tomorrow" (a 500); Chinese 今日 /
    // 每日 / 当日 (today, daily).
    (
        Signal::PerDay,
        Check::None,
        &[
            "per day",
            "perday",
            "per_day",
            "per-day",
            "daily",
            "for today",
            "today's",
            "tomorrow",
            "今日",
            "每日",
            "当日",
        ],
    ),
    // Daily limits by name: Groq / Kimi "tokens per day (TPD)", "requests per day (RPD)", Kimi
    // "request reached organization TPD rate limit".
    (
        Signal::DailyLimit,
        Check::None,
        &["(tpd)", "(rpd)", "tpd rate limit", "tpd limit", "rpd limit"],
    ),
    // A limit hit, in English and Chinese (限额 quota, 上限 upper limit, 用完 used up).
    (
        Signal::LimitHit,
        Check::None,
        &[
            "limit",
            "exceeded",
            "exhausted",
            "reached",
            "限额",
            "上限",
            "用完",
            "超出",
            "超过",
        ],
    ),
    (
        Signal::FreeTier,
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
    // Gemini "Quota exceeded for metric: …generate_content_free_tier_input_token_count, limit: 0,
    // model: gemini-2.5-pro" — the free tier has no quota for the model: billing, though the text
    // also says "Please retry in 22s".
    (
        Signal::ZeroLimit,
        Check::NoDigitAfter,
        &["limit: 0", "limit:0"],
    ),
    (
        Signal::ResourceExhausted,
        Check::None,
        &[
            "resource_exhausted",
            "resource exhausted",
            "resource has been exhausted",
            "resourceexhausted",
        ],
    ),
    (
        Signal::QuotaBilling,
        Check::None,
        &[
            "exceeded your current quota",
            "plan and billing",
            "billing details",
        ],
    ),
    // A plan's allowance used up, with no money word: bolt.new "You've used all your remaining
    // tokens" (150,000 a day, 1,000,000 a month); "ran out of tokens". Money wordings ("used all
    // your credits") are Credits, read first.
    (
        Signal::Allowance,
        Check::None,
        &[
            "used all your",
            "used up all your",
            "used up your",
            "out of tokens",
            "no tokens left",
        ],
    ),
    // 过载 (overloaded), 繁忙 (busy: "系统繁忙，请稍后再试"), 负载 (load: "当前模型负载较高"),
    // 访问量过大 (traffic too high, Z.ai 1312); "Server is busy" / "system is busy" (even behind a
    // 500); "504 Server overload", portkey `system_overload_error` (not TypeScript's "No overload
    // matches this call").
    (
        Signal::Overloaded,
        Check::None,
        &[
            "overloaded",
            "high demand",
            "at capacity",
            "server overload",
            "system overload",
            "system_overload",
            "engine overload",
            "service overload",
            "overload_error",
            "server is busy",
            "server busy",
            "system is busy",
            "service is busy",
            "currently busy",
            "过载",
            "繁忙",
            "负载",
            "访问量过大",
        ],
    ),
    // A model out of serving capacity, whatever the status says: Gemini CLI "No capacity available
    // for model gemini-3-pro-preview on the server" (`MODEL_CAPACITY_EXHAUSTED`, also surfaced
    // without a status as `TerminalQuotaError`), "You have exhausted your capacity on this model";
    // Bedrock "insufficient capacity".
    (
        Signal::Capacity,
        Check::None,
        &[
            "no capacity",
            "capacity_exhausted",
            "capacity exhausted",
            "exhausted your capacity",
            "out of capacity",
            "insufficient capacity",
            "capacity is exhausted",
            // Mistral `service_tier_capacity_exceeded` "Service tier capacity exceeded for this model."
            "capacity exceeded",
            "capacity_exceeded",
        ],
    ),
    (
        Signal::RateLimit,
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
            // Tencent `RequestLimitExceeded`; "max concurrency" (Kimi "request reached
            // organization max concurrency").
            "requestlimitexceeded",
            "max concurrency",
            // Ollama Cloud `429 {"error":"too many concurrent requests"}`; Z.ai 1302 in English
            // "Too many concurrent requests".
            "too many concurrent",
            // Bedrock's ThrottlingException text without its name: "Too many tokens, please wait
            // before trying again."
            "wait before trying again",
            // Chinese: 频率过高 (frequency too high, Z.ai 1303), 并发数过高 (concurrency too high,
            // 1302), 请求过多 (too many requests, 1305), 限流 (throttled), 速率限制 (rate limit).
            "频率过高",
            "并发数过高",
            "请求过多",
            "限流",
            "速率限制",
            // 请求频率 / 调用频率 (request / call frequency: "请求频率超限"), 调用次数 (number of
            // calls: "调用次数超过限制"; a per-day count is caught earlier as a daily limit).
            "请求频率",
            "调用频率",
            "频率超",
            "调用次数",
            // 过于频繁 / 太频繁 (too frequent): "请求过于频繁，请稍后再试", the usual text of a Chinese
            // API's 429 (also in Z.ai's usage-limit messages).
            "过于频繁",
            "太频繁",
        ],
    ),
    // Baidu Qianfan "Open api qps request limit reached".
    (Signal::RateLimit, Check::Word, &["qps"]),
    (
        Signal::QuotaExceeded,
        Check::None,
        &[
            "quota exceeded",
            "exceeded quota",
            "quota_exceeded",
            "quotaexceeded",
            "exceeds the service quota",
            "out of quota",
            "quota exhausted",
            "quota has been exhausted",
            "exhausted quota",
        ],
    ),
    // A plan or subscription that does not cover the request, to continue one must upgrade:
    // Codex "To use Codex with your ChatGPT plan, upgrade to Plus"; Cursor "The model does not work
    // with your current plan"; Z.ai 1311 "当前订阅套餐暂未开放…权限" (the current plan does not
    // include the model); "upgrade your plan to continue".
    (
        Signal::PlanLimit,
        Check::None,
        &[
            "upgrade your plan",
            "upgrade to plus",
            "upgrade to pro",
            "upgrade to max",
            "upgrade to a paid",
            "upgrade to continue",
            "requires a paid",
            "requires a pro",
            "requires a subscription",
            "your current plan",
            "not available on your plan",
            "not included in your plan",
            "plan does not include",
            "subscription does not include",
            // Claude Code "Claude Opus is not available with the Claude Pro plan. If you have updated
            // your subscription plan recently, run /logout and /login for the plan to take effect."
            "not available with the",
            "plan to take effect",
            "available on paid plans",
            "upgrade your subscription",
            "订阅套餐",
            "升级套餐",
        ],
    ),
    (
        Signal::ContextOverflow,
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
            // Chinese: 上下文长度 (context length), 上下文窗口 (context window); Z.ai 1261
            // "Prompt 超长" (prompt too long).
            "上下文长度",
            "上下文窗口",
            "prompt 超长",
            "prompt超长",
        ],
    ),
    (
        Signal::RequestTooLarge,
        Check::None,
        &[
            "request_too_large",
            "request too large",
            "requesttoolarge",
            "payload too large",
            "entity too large",
        ],
    ),
    (
        Signal::OutputTokenMax,
        Check::None,
        &["output token maximum"],
    ),
    (
        Signal::Auth,
        Check::None,
        &[
            "invalid api key",
            "invalid x-api-key",
            "invalid_api_key",
            // DashScope `InvalidApiKey` "Invalid API-key provided."
            "invalid api-key",
            "invalidapikey",
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
            // Chinese: 身份验证失败 / 认证失败 / 鉴权失败 (authentication failed), 未授权
            // (unauthorized); Z.ai 1000–1004.
            "身份验证",
            "认证失败",
            "鉴权失败",
            "未授权",
        ],
    ),
    (
        Signal::IdleTimeout,
        Check::None,
        &[
            "idle timeout",
            "idle_timeout",
            "idletimeout",
            "stream idle",
            "inactivity timeout",
            "idle for too long",
            "no activity",
            "inactivity",
            "unresponsive",
        ],
    ),
    (
        Signal::Timeout,
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
            "time limit",
            // Chinese: 超时 (timed out).
            "超时",
        ],
    ),
    (
        Signal::Timeout,
        Check::WordStart,
        &["etimedout", "esockettimedout"],
    ),
    (
        Signal::ServerError,
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
        Signal::Network,
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
            "connection failure",
            "transport failure",
            "upstream connect error",
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
        Signal::Network,
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
        Signal::NotFound,
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
        Signal::Policy,
        Check::None,
        &[
            "usage polic",
            "content polic",
            "content_polic",
            "content_filter",
            "content filter",
            "content management polic",
            "responsible ai",
            // DashScope `DataInspectionFailed` "Input data may contain inappropriate content."
            "datainspectionfailed",
            "data_inspection_failed",
            "inappropriate content",
            // Z.ai 1301 "系统检测到输入或生成内容可能包含不安全或敏感内容" (unsafe or sensitive
            // content); 敏感 (sensitive), 违规 (violation).
            "敏感内容",
            "不安全或敏感",
            "内容违规",
        ],
    ),
    (
        Signal::InvalidRequest,
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
        Signal::Aborted,
        Check::None,
        &[
            "operation was aborted",
            "request was aborted",
            "request aborted",
            "aborterror",
        ],
    ),
    (
        Signal::OutOfMemory,
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
    (Signal::OutOfMemory, Check::WordStart, &["enomem"]),
    (
        Signal::Spawn,
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
        Signal::ProcessExit,
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
/// `scan::status_context`.
pub(super) static STATUS_CODES: &[(&str, Signal)] = &[
    ("400", Signal::InvalidRequest),
    ("401", Signal::Auth),
    ("402", Signal::PaymentRequired),
    ("403", Signal::Auth),
    ("404", Signal::NotFound),
    ("408", Signal::Timeout),
    ("413", Signal::RequestTooLarge),
    ("422", Signal::InvalidRequest),
    ("429", Signal::RateLimit),
    ("500", Signal::ServerError),
    ("502", Signal::ServerError),
    ("503", Signal::ServerError),
    ("504", Signal::Timeout),
    ("529", Signal::Overloaded),
];

/// Provider error codes, read like status numbers (after `code`, `"code":`, …), each naming a
/// family whatever the HTTP status says. Z.ai/GLM (docs.z.ai "Error codes"; open.bigmodel.cn
/// 错误码): 1000–1004 authentication, 1113 balance insufficient ("余额不足或无可用资源包,请充值。"),
/// 1110 account inactive, 1261 prompt too long, 1301 unsafe content, 1302 concurrency / 1303
/// frequency too high / 1305 too many requests, 1304 today's call limit, 1308 / 1310 usage window
/// reached, 1309 plan expired, 1311 the plan does not include the model, 1312 model traffic too
/// high, 1313 fair-use throttling.
pub(super) static PROVIDER_CODES: &[(&str, Signal)] = &[
    ("1000", Signal::Auth),
    ("1001", Signal::Auth),
    ("1002", Signal::Auth),
    ("1003", Signal::Auth),
    ("1004", Signal::Auth),
    ("1110", Signal::Billing),
    ("1113", Signal::Balance),
    ("1261", Signal::ContextOverflow),
    ("1301", Signal::Policy),
    ("1302", Signal::RateLimit),
    ("1303", Signal::RateLimit),
    ("1304", Signal::DailyLimit),
    ("1305", Signal::RateLimit),
    ("1308", Signal::UsageLimit),
    ("1309", Signal::Billing),
    ("1310", Signal::UsageLimit),
    ("1311", Signal::PlanLimit),
    ("1312", Signal::Overloaded),
    ("1313", Signal::RateLimit),
];

/// Markers after which a reset epoch (seconds, or milliseconds) may follow:
/// `Claude AI usage limit reached|1755615600`, `"resets_at": 1775317531`,
/// `anthropic-ratelimit-unified-reset: 1755615600`.
pub(super) static EPOCH_MARKERS: &[&str] = &[
    "|",
    "resets_at",
    "reset_at",
    "resetsat",
    "resetat",
    "unified-reset",
];

// Every signal is a bit of a u64.
const _: () = assert!((Signal::ProcessExit as u8) < 64);

/// Set of [`Signal`]s found in the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Signals(u64);

impl Signals {
    pub(super) fn set(&mut self, signal: Signal) {
        self.0 |= 1 << (signal as u8);
    }
    /// Adds every signal of `other`.
    pub(super) fn add_all(&mut self, other: Signals) {
        self.0 |= other.0;
    }
    pub(super) fn has(self, signal: Signal) -> bool {
        self.0 & (1 << (signal as u8)) != 0
    }
    /// The set of the signals in `list` (usable in constants: the rule table).
    pub(super) const fn of(list: &[Signal]) -> Signals {
        let mut bits = 0;
        let mut index = 0;
        while index < list.len() {
            bits |= 1 << (list[index] as u8);
            index += 1;
        }
        Signals(bits)
    }
    /// Any signal of `other` is in this set.
    pub(super) fn intersects(self, other: Signals) -> bool {
        self.0 & other.0 != 0
    }
}
