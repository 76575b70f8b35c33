//! `classify-bench <iterations> [message]`: classifies and scrubs one 2 KB SDK error message that
//! many times and prints `{"iterations":…,"nsPerIteration":…,"errorType":…,"detail":…}`.
//!
//! `message` (default `token`): `token`, a 429 that carries the callback token and three keys
//! (the bench row); the classifier's own figure, messages without the token (the reporter still
//! passes it as a secret): `prose` (an error in plain words), `stack` (an exception with a stack
//! trace of file URLs), `gemini` (a Gemini 429 body with an API key in a URL), `chinese` (a Z.ai
//! balance error, multi-byte text).
//!
//! One call always runs before the timed loop, so lazily built tables are not counted, and a
//! run with 0 iterations measures everything but the loop: `callgrind(n) - callgrind(0)` is
//! then exactly n calls.

use cyrus_telemetry::classify::{classify, ResultMessage};
use cyrus_telemetry::scrub::Secrets;
use std::hint::black_box;
use std::time::Instant;

/// The reporter's own callback token, which the scrubber must also remove.
const CALLBACK_TOKEN: &str = "cyhost_cb_8d5e2f7a0b3c4d1e9f6a7b8c5d2e0f13";
const MESSAGE_BYTES: usize = 2048;

/// An API failure as Claude Code reports it, with a stack trace and secrets to scrub, cut to
/// MESSAGE_BYTES (ASCII, so bytes and characters agree).
fn token_message() -> String {
    let head = concat!(
        "API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",",
        "\"message\":\"This request would exceed the rate limit for your organization ",
        "(1f2e3d4c) of 50,000 input tokens per minute. For details, refer to: ",
        "https://docs.claude.com/en/api/rate-limits.\"},\"request_id\":\"req_011CUxQ4mZ7\"} ",
        "while calling https://api.anthropic.com/v1/messages?beta=true with ",
        "Authorization: Bearer sk-ant-api03-Zx9aQ2lT0bS8vK4mN7pR1cY6wE3uI0oP-AbCdEf ",
        "(callback token cyhost_cb_8d5e2f7a0b3c4d1e9f6a7b8c5d2e0f13, ",
        "git remote https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git) ",
    );
    let frame = "    at async ClaudeRunner.processMessages (/usr/lib/node_modules/cyrus-ai/dist/claude-runner.js:412:17)\n";
    repeat_to_size(head, frame)
}

/// `head`, then `filler` repeated, cut to MESSAGE_BYTES on a character boundary.
fn repeat_to_size(head: &str, filler: &str) -> String {
    let mut text = String::from(head);
    while text.len() < MESSAGE_BYTES {
        text.push_str(filler);
    }
    let mut end = MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// An error in plain words, no status, no secret.
fn prose_message() -> String {
    repeat_to_size(
        "Error: the agent stopped because the tool call failed. ",
        "The command returned an unexpected result and the session could not continue with the \
         plan it had made for the repository, so it wrote a summary of the work so far. ",
    )
}

/// An exception with a stack trace of file URLs.
fn stack_message() -> String {
    repeat_to_size(
        "TypeError: Cannot read properties of undefined (reading 'content')\n",
        "    at file:///usr/lib/node_modules/cyrus-ai/dist/agent-session-manager.js:1187:42\n",
    )
}

/// A Gemini 429 body, the API key in the request URL.
fn gemini_message() -> String {
    repeat_to_size(
        concat!(
            "[API Error: got status: 429 Too Many Requests. POST https://generativelanguage.",
            "googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=",
            "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY {\"error\":{\"code\":429,\"message\":",
            "\"Quota exceeded for quota metric 'Generate Content API requests per minute' and ",
            "limit 'GenerateContent request limit per minute for a region' of service ",
            "'generativelanguage.googleapis.com'\",\"status\":\"RESOURCE_EXHAUSTED\"}}] ",
        ),
        "{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[]} ",
    )
}

/// A Z.ai (GLM) balance error behind a 429, in Chinese.
fn chinese_message() -> String {
    repeat_to_size(
        concat!(
            "API Error: 429 {\"error\":{\"code\":\"1113\",\"message\":",
            "\"余额不足或无可用资源包,请充值。\"}} ",
        ),
        "请求失败，请检查账户状态后重试。",
    )
}

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .expect("usage: classify-bench <iterations>");
    let kind = std::env::args().nth(2).unwrap_or_else(|| "token".into());
    let text = match kind.as_str() {
        "token" => token_message(),
        "prose" => prose_message(),
        "stack" => stack_message(),
        "gemini" => gemini_message(),
        "chinese" => chinese_message(),
        other => panic!("unknown message {other:?}: token, prose, stack, gemini or chinese"),
    };
    let message = ResultMessage {
        subtype: Some("success".into()),
        is_error: true,
        result: Some(text),
        errors: Vec::new(),
    };
    // Prepared once, as the reporter does when it captures a context.
    let secrets = Secrets::new([CALLBACK_TOKEN]);
    let first = classify(&message, &secrets).expect("the message is an error");
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(classify(black_box(&message), black_box(&secrets)));
    }
    let elapsed = start.elapsed();
    let ns_per_iteration = if iterations == 0 {
        0.0
    } else {
        elapsed.as_nanos() as f64 / iterations as f64
    };
    println!(
        "{{\"iterations\":{iterations},\"nsPerIteration\":{ns_per_iteration:.1},\"errorType\":\"{}\",\"detail\":\"{}\",\"messageChars\":{},\"message\":\"{kind}\"}}",
        first.error_type.as_str(),
        first.detail,
        first.message.chars().count()
    );
}
