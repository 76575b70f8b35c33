//! `classify-bench <iterations>`: classifies and scrubs one 2 KB SDK error message that many
//! times and prints `{"iterations":…,"nsPerIteration":…,"errorType":…,"detail":…}`.
//!
//! One call always runs before the timed loop, so lazily built tables are not counted, and a
//! run with 0 iterations measures everything but the loop: `callgrind(n) - callgrind(0)` is
//! then exactly n calls.

use cyrus_telemetry::classify::{classify, ResultMessage};
use std::hint::black_box;
use std::time::Instant;

/// The reporter's own callback token, which the scrubber must also remove.
const CALLBACK_TOKEN: &str = "cyhost_cb_8d5e2f7a0b3c4d1e9f6a7b8c5d2e0f13";
const MESSAGE_BYTES: usize = 2048;

/// An API failure as Claude Code reports it, with a stack trace and secrets to scrub, cut to
/// MESSAGE_BYTES (ASCII, so bytes and characters agree).
fn two_kilobyte_message() -> String {
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
    let mut text = String::from(head);
    while text.len() < MESSAGE_BYTES {
        text.push_str(frame);
    }
    text.truncate(MESSAGE_BYTES);
    text
}

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .expect("usage: classify-bench <iterations>");
    let message = ResultMessage {
        subtype: Some("success".into()),
        is_error: true,
        result: Some(two_kilobyte_message()),
        errors: Vec::new(),
    };
    let secrets = [CALLBACK_TOKEN];
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
        "{{\"iterations\":{iterations},\"nsPerIteration\":{ns_per_iteration:.1},\"errorType\":\"{}\",\"detail\":\"{}\",\"messageChars\":{}}}",
        first.error_type.as_str(),
        first.detail,
        first.message.chars().count()
    );
}
