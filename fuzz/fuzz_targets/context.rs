#![no_main]
//! Header values → `context::extract` → `context::validate` (with an allow-list) →
//! `context::capture`. Properties: nothing panics; the token never appears in a rejection reason
//! nor in a `Debug` print of any result; a context that passes validation obeys every SPEC §1
//! rule (https, or http on loopback only; no userinfo; visible-ASCII token ≤ 4096 bytes; team
//! ≤ 256 characters without controls; host inside the allow-list).
//!
//! Input: text lines `name: value`. A value split by U+001E is an array (`string[]`); a value of
//! exactly U+0000 is unreadable (a number, an object, a throwing getter), of exactly U+0001 is
//! `undefined`; U+001C stands for a line feed inside a value. `@allow: p1,p2` sets the allow-list and `@team: t` the
//! team of a context captured earlier. Every token value gets [`MARKER`] after its leading white
//! space, so the marker tells where the token went.

use cyrus_telemetry::context::{
    self, CallbackContext, HeaderSet, HeaderValue, HostAllowList, Secret, SetStatus, MAX_TEAM_LEN,
    MAX_TOKEN_LEN,
};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

const MARKER: &str = "Zq7tokSECRET";
const TOKEN_INDEX: usize = 0;

struct Input {
    headers: HeaderSet,
    allow: Vec<String>,
    previous_team: String,
    /// Every input text except the token values: if the marker shows up here, the fuzzer copied
    /// it into another field and a reason may quote it legitimately.
    others: String,
}

/// `value` with the marker after the leading white space of each part Node would have joined
/// (`a, b`); blank parts stay blank, so "empty after trimming counts as missing" is still
/// exercised.
fn marked(value: &str) -> String {
    let mark = |part: &str| {
        if part.trim().is_empty() {
            return part.to_owned();
        }
        let start = part.len() - part.trim_start().len();
        format!("{}{MARKER}{}", &part[..start], &part[start..])
    };
    value.split(", ").map(mark).collect::<Vec<_>>().join(", ")
}

fn header_value(raw: &str, is_token: bool) -> HeaderValue {
    match raw {
        "\u{0}" => return HeaderValue::Invalid("is not a string"),
        "\u{1}" => return HeaderValue::Missing,
        _ => {}
    }
    let raw = raw.replace('\u{1c}', "\n");
    let text = |value: &str| {
        if is_token {
            marked(value)
        } else {
            value.to_owned()
        }
    };
    if raw.contains('\u{1e}') {
        HeaderValue::Many(raw.split('\u{1e}').map(text).collect())
    } else {
        HeaderValue::One(text(&raw))
    }
}

fn parse(text: &str) -> Input {
    let mut input = Input {
        headers: HeaderSet::default(),
        allow: Vec::new(),
        previous_team: "team-captured-earlier".to_owned(),
        others: String::new(),
    };
    for line in text.split('\n') {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.strip_prefix(' ').unwrap_or(value);
        let is_token = context::header_index(name) == Some(TOKEN_INDEX);
        if !is_token {
            input.others.push_str(line);
        }
        match name {
            "@allow" => input.allow = value.split(',').map(str::to_owned).collect(),
            "@team" => input.previous_team = value.to_owned(),
            _ => {
                input.headers.add(name, header_value(value, is_token));
            }
        }
    }
    input
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Independent statement of the allow-list rule: exact host, or a strict subdomain of a
/// `*.suffix` pattern (so `*.cyrus.app` admits neither `cyrus.app` nor `evilcyrus.app`).
fn allow_list_admits(patterns: &[String], host: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|pattern| {
            let pattern = pattern.trim().to_ascii_lowercase();
            match pattern.strip_prefix('*') {
                Some(dot_suffix) => host.len() > dot_suffix.len() && host.ends_with(dot_suffix),
                None => host == pattern,
            }
        })
}

fn assert_follows_spec(accepted: &CallbackContext, raw_url: &str, allow: &[String]) {
    let token = accepted.token.expose();
    assert!(token.len() <= MAX_TOKEN_LEN, "token longer than the limit");
    assert!(
        token.bytes().all(|byte| byte.is_ascii_graphic()),
        "token with characters outside visible ASCII was accepted"
    );
    assert!(accepted.team_id.chars().count() <= MAX_TEAM_LEN);
    assert!(!accepted.team_id.chars().any(char::is_control));
    assert!(!raw_url.chars().any(char::is_control), "{raw_url:?}");
    let url = &accepted.url;
    let host = url.host().expect("an accepted URL has a host");
    match url.scheme() {
        "https" => {}
        "http" => assert!(is_loopback(&host), "http to a non-loopback host: {url}"),
        other => panic!("scheme {other:?} accepted: {url}"),
    }
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "userinfo: {url}"
    );
    let host_text = url.host_str().unwrap_or_default();
    assert!(
        allow_list_admits(allow, host_text),
        "{host_text:?} accepted outside {allow:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let input = parse(&text);
    let guard_secret = !input.others.contains(MARKER);
    let assert_hidden = |what: &str, printed: &str| {
        assert!(
            !(guard_secret && printed.contains(MARKER)),
            "token leaked into {what}: {printed}"
        );
    };

    let extracted = context::extract(&input.headers);
    assert_hidden("extract result", &format!("{extracted:?}"));
    let Ok(raw) = extracted else {
        return;
    };
    assert!(
        raw.token.expose().contains(MARKER),
        "token mangled by extraction"
    );
    for value in [raw.token.expose(), raw.url.as_str(), raw.team_id.as_str()] {
        assert!(
            !value.is_empty() && value == value.trim(),
            "{value:?} not trimmed"
        );
    }

    let (allow, patterns) = match HostAllowList::parse(&input.allow) {
        Ok(list) => (list, input.allow.clone()),
        Err(_) => (HostAllowList::default(), Vec::new()),
    };
    let raw_url = raw.url.clone();
    let validated = context::validate(raw, &allow);
    assert_hidden("validate result", &format!("{validated:?}"));
    let accepted = match validated {
        Ok(accepted) => accepted,
        Err(reason) => {
            assert_hidden("rejection reason", &reason);
            return;
        }
    };
    assert_follows_spec(&accepted, &raw_url, &patterns);

    let status_of = |current: Option<&CallbackContext>, offered: &CallbackContext| {
        context::capture(current, offered.clone()).map(|(status, _)| status)
    };
    assert_eq!(status_of(None, &accepted), Ok(SetStatus::Set));
    assert_eq!(
        status_of(Some(&accepted), &accepted),
        Ok(SetStatus::Unchanged)
    );
    let earlier = CallbackContext::new(
        Secret::new("earlier-token-value".to_owned()),
        url::Url::parse("https://earlier.example/cb").expect("static URL"),
        input.previous_team.clone(),
    );
    match status_of(Some(&earlier), &accepted) {
        Ok(status) => {
            assert_eq!(earlier.team_id, accepted.team_id);
            assert_eq!(status, SetStatus::Rotated);
        }
        Err(reason) => {
            assert_ne!(earlier.team_id, accepted.team_id);
            assert_hidden("capture refusal", &reason);
        }
    }
});
