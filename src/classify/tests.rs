//! The classifier's tests: the fixtures and the extra cases (data files under
//! `__test__/fixtures/classification/`), the table's coverage, the message contract, bounds.

use super::message::first_chars;
use super::rules::{When, RULES};
use super::scan::MATCHER;
use super::*;
use crate::proptest_cases as cases;
use crate::scrub::Secrets;
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
    let (mut total, mut type_ok, mut detail_ok) = (0, 0, 0);
    let mut bad = Vec::new();
    let mut detail_diff = Vec::new();
    for case in read_jsonl("fixtures.jsonl") {
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
        let got = classify(&from_json(&case["result"]), &Secrets::none());
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
    println!("fixtures: {type_ok}/{total} error_type matches, {detail_ok}/{total} detail matches");
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

/// One extra case: real-looking messages that are not in the fixture file, per family, including
/// tricky ones (`extra.jsonl` beside the fixtures). Each is tried both as `result` of a
/// `success`/`is_error` message (Claude) and as the single entry of `errors` (other runners).
struct ExtraCase {
    text: String,
    expected: String,
    detail: String,
}

fn read_jsonl(name: &str) -> Vec<serde_json::Value> {
    let path = format!(
        "{}/__test__/fixtures/classification/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let data = std::fs::read_to_string(&path).expect("fixture file"); // ok: test code
    data.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture json")) // ok: test code
        .collect()
}

fn read_extra_cases() -> Vec<ExtraCase> {
    read_jsonl("extra.jsonl")
        .iter()
        .map(|case| ExtraCase {
            text: json_str(case, "text").unwrap_or_default(),
            expected: json_str(case, "expected").unwrap_or_default(),
            detail: json_str(case, "detail").unwrap_or_default(),
        })
        .collect()
}

#[test]
fn extra_cases() {
    let mut bad = Vec::new();
    let cases = read_extra_cases();
    assert!(cases.len() >= 100, "only {} extra cases read", cases.len());
    for case in &cases {
        let (text, want_type, want_detail) = (&case.text, &case.expected, &case.detail);
        for (shape, msg) in [("result", result(text)), ("errors", errors(&[text]))] {
            let got = classify(&msg, &Secrets::none());
            let got_pair = got.as_ref().map(|c| (c.error_type.as_str(), c.detail));
            if got_pair != Some((want_type.as_str(), want_detail.as_str())) {
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
    let mut seen: Vec<&'static str> = read_extra_cases()
        .iter()
        .filter_map(|case| classify(&result(&case.text), &Secrets::none()).map(|c| c.detail))
        .collect();
    for case in read_jsonl("fixtures.jsonl") {
        if let Some(c) = classify(&from_json(&case["result"]), &Secrets::none()) {
            seen.push(c.detail);
        }
    }
    // The module docs: the `//!` lines at the top of mod.rs.
    let source = include_str!("mod.rs");
    let table: String = source
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .collect();
    for row in RULES {
        assert!(
            seen.contains(&row.detail) || matches!(row.when, When::Subtype(_)),
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
    assert_eq!(classify(&ok, &Secrets::none()), None);
    // Missing subtype with is_error false is an error (`subtype !== "success"`).
    let missing = ResultMessage {
        subtype: None,
        is_error: false,
        result: None,
        errors: vec![],
    };
    let c = classify(&missing, &Secrets::none()).expect("error"); // ok: test code
    assert_eq!((c.error_type, c.detail), (ErrorType::Crash, "unknown"));
    assert_eq!(c.message, "unknown error");
    // Old max-turns shape: is_error false, no errors.
    let old = ResultMessage {
        subtype: Some("error_max_turns".into()),
        is_error: false,
        result: None,
        errors: vec![],
    };
    let c = classify(&old, &Secrets::none()).expect("error"); // ok: test code
    assert_eq!((c.error_type, c.detail), (ErrorType::MaxTurns, "max_turns"));
    assert_eq!(c.message, "error_max_turns");
    let budget = ResultMessage {
        subtype: Some("error_max_budget_usd".into()),
        is_error: true,
        ..Default::default()
    };
    let c = classify(&budget, &Secrets::none()).expect("error"); // ok: test code
    assert_eq!((c.error_type, c.detail), (ErrorType::Billing, "max_budget"));
    let structured = ResultMessage {
        subtype: Some("error_max_structured_output_retries".into()),
        is_error: true,
        ..Default::default()
    };
    let c = classify(&structured, &Secrets::none()).expect("error"); // ok: test code
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
        let c = classify(&result(text), &Secrets::none()).expect("error"); // ok: test code
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
    assert_eq!(
        classify(&m, &Secrets::none()).expect("error").message, // ok: test code
        "first; second"
    ); // ok: test code
    let m = ResultMessage {
        errors: vec![String::new()],
        result: Some("the result".into()),
        ..m
    };
    assert_eq!(
        classify(&m, &Secrets::none()).expect("error").message, // ok: test code
        "the result"
    ); // ok: test code

    // Scrubbed, including the given literal secret.
    let m = errors(&[
        "POST https://cb.example/x failed: Bearer cb-secret-123",
        "token cb-secret-123 ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    ]);
    let c = classify(&m, &Secrets::new(["cb-secret-123"])).expect("error"); // ok: test code
    assert_eq!(
        c.message,
        "POST https://cb.example/x failed: Bearer [REDACTED]; token [REDACTED] [REDACTED]"
    );
    // At most 500 chars, cut on a char boundary.
    let long = "é".repeat(2000);
    let c = classify(&result(&long), &Secrets::none()).expect("error"); // ok: test code
    assert_eq!(c.message.chars().count(), 500);
    assert_eq!(c.message, "é".repeat(500));
    // A secret straddling the 500-char cut is scrubbed before the cut.
    let text = format!(
        "{}{}",
        "x ".repeat(245),
        "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    );
    let c = classify(&result(&text), &Secrets::none()).expect("error"); // ok: test code
    assert!(!c.message.contains("sk-ant"), "{}", c.message);
    assert!(c.message.ends_with("[REDACTED]"));
}

#[test]
fn huge_inputs_are_bounded() {
    // 10 MB of text, rate-limit keyword first: classified from the window, message bounded.
    let mut big = String::from("429 Too Many Requests ");
    big.push_str(&"a".repeat(10 * 1024 * 1024));
    let start = std::time::Instant::now();
    let c = classify(&result(&big), &Secrets::new(["tok"])).expect("error"); // ok: test code
    assert_eq!(c.error_type, ErrorType::RateLimit);
    assert_eq!(c.message.chars().count(), 500);
    // The keyword far beyond the window is not seen.
    let mut far = "b".repeat(CLASSIFY_WINDOW_BYTES + 10);
    far.push_str(" Credit balance is too low");
    assert_eq!(
        classify(&result(&far), &Secrets::none())
            .expect("error") // ok: test code
            .detail, // ok: test code
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
    let c = classify(&m, &Secrets::none()).expect("error"); // ok: test code
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
    let c = classify(&result(&text), &Secrets::new([&secret])).expect("error"); // ok: test code
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
        match classify(&msg, &Secrets::new([&secret])) {
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
        let c = classify(&m, &Secrets::new([&secret])).expect("error"); // ok: test code
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
        let full = crate::scrub::scrub(&text, &Secrets::new([secret]));
        let want = first_chars(&full, MESSAGE_MAX_CHARS);
        let got = classify(&msg, &Secrets::new([secret])).expect("error").message; // ok: test code
        if text.len() <= SCRUB_WINDOW_BYTES {
            prop_assert_eq!(got.as_str(), want);
        } else {
            prop_assert!(want.starts_with(got.as_str()), "{:?} vs {:?}", got, want);
        }
        prop_assert!(!got.contains(secret));
    }

    /// The block count finds the same cut as walking the characters.
    #[test]
    fn prop_first_chars_is_the_char_prefix(s in "[a-zé中🙂\u{FFFD}]{0,400}", max in 0usize..300) {
        let want = match s.char_indices().nth(max) {
            Some((end, _)) => &s[..end],
            None => s.as_str(),
        };
        prop_assert_eq!(first_chars(&s, max), want);
    }

    #[test]
    fn prop_long_unicode(s in "[\\PC\u{FFFD}\u{10FFFF}]{400,1200}") {
        let c = classify(&result(&s), &Secrets::none()).expect("error"); // ok: test code
        prop_assert!(c.message.chars().count() <= MESSAGE_MAX_CHARS);
    }
}

/// A secret that is part of `[REDACTED]` itself is ignored by `scrub`.
const REDACTED_PARTS: &[&str] = &[crate::scrub::REDACTED];
