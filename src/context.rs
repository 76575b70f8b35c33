//! The callback context: the three headers CYHOST adds to forwarded webhooks, validated and
//! captured (README, "API" and "Behaviour"). Plain Rust; the binding turns JS header objects into [`HeaderValue`]s.

use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

use crate::scrub::{self, Secrets};
use crate::secret_forms::encoded_forms;

pub const TOKEN_HEADER: &str = "x-cyrus-callback-token";
pub const URL_HEADER: &str = "x-cyrus-callback-url";
pub const TEAM_HEADER: &str = "x-cyrus-team-id";
/// The three header names in the order reasons list them.
pub const HEADER_NAMES: [&str; 3] = [TOKEN_HEADER, URL_HEADER, TEAM_HEADER];

pub const MAX_TOKEN_LEN: usize = 4096;
pub const MAX_TEAM_LEN: usize = 256;
pub const MAX_URL_LEN: usize = 4096;
/// How many tokens replaced at rotations a context keeps scrubbing (the newest ones).
pub const REPLACED_TOKENS_KEPT: usize = 4;

/// A credential that never prints: `Debug` shows `[REDACTED]` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    /// The raw value, for the `Authorization` header and the scrubber only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// One header as Node or Fastify deliver it (`string | string[] | undefined`), or something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Missing,
    One(String),
    Many(Vec<String>),
    /// Present but unusable; the text says why (`is not a string`, `could not be read` …).
    Invalid(&'static str),
}

/// The values found for each of the three headers. Several keys that differ only in case
/// (`X-Cyrus-Team-Id` and `x-cyrus-team-id`) are merged with [`HeaderSet::add`].
#[derive(Debug, Clone, Default)]
pub struct HeaderSet {
    values: [Vec<HeaderValue>; 3],
}

impl HeaderSet {
    /// Records `value` if `name` is one of the three headers (ASCII case-insensitive).
    pub fn add(&mut self, name: &str, value: HeaderValue) {
        if let Some(index) = header_index(name) {
            self.values[index].push(value);
        }
    }

    /// Builds a set from the fields of an explicit `{ callbackToken, callbackUrl, teamId }`.
    pub fn from_fields(token: HeaderValue, url: HeaderValue, team: HeaderValue) -> Self {
        Self {
            values: [vec![token], vec![url], vec![team]],
        }
    }
}

/// Index of a header name in [`HEADER_NAMES`], ASCII case-insensitive.
pub fn header_index(name: &str) -> Option<usize> {
    HEADER_NAMES
        .iter()
        .position(|known| known.eq_ignore_ascii_case(name))
}

/// The three trimmed values, before URL, character and length rules.
#[derive(Clone, PartialEq, Eq)]
pub struct RawContext {
    pub token: Secret,
    pub url: String,
    pub team_id: String,
}

impl fmt::Debug for RawContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawContext")
            .field("token", &self.token)
            .field("url", &self.url)
            .field("team_id", &self.team_id)
            .finish()
    }
}

/// Why the headers did not yield a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractError {
    /// None of the three headers: a self-hosted or direct-mode install.
    Absent,
    /// Some headers present, some missing (or empty); the reason names the missing ones.
    Rejected(String),
}

/// Structural extraction: all three present, non-empty after trimming and unambiguous.
pub fn extract(headers: &HeaderSet) -> Result<RawContext, ExtractError> {
    let mut found: [Option<String>; 3] = [None, None, None];
    let mut problems = Vec::new();
    for (index, values) in headers.values.iter().enumerate() {
        match single_value(values) {
            Ok(value) => found[index] = value,
            Err(problem) => problems.push(format!("{} {}", HEADER_NAMES[index], problem)),
        }
    }
    if !problems.is_empty() {
        return Err(ExtractError::Rejected(problems.join("; ")));
    }
    let present = found.iter().filter(|value| value.is_some()).count();
    match found {
        [Some(token), Some(url), Some(team_id)] => Ok(RawContext {
            token: Secret::new(token),
            url,
            team_id,
        }),
        _ if present == 0 => Err(ExtractError::Absent),
        _ => {
            let missing: Vec<&str> = HEADER_NAMES
                .iter()
                .zip(found.iter())
                .filter(|(_, value)| value.is_none())
                .map(|(name, _)| *name)
                .collect();
            Err(ExtractError::Rejected(format!(
                "missing header{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            )))
        }
    }
}

/// How Node joins a custom header that arrived more than once (`a, b`). None of the three
/// values can contain it legitimately: tokens and URLs have no spaces, team ids are slugs.
const NODE_JOINER: &str = ", ";

/// Collapses every value given for one header to one trimmed, non-empty string (or none).
fn single_value(values: &[HeaderValue]) -> Result<Option<String>, &'static str> {
    let mut chosen: Option<&str> = None;
    for value in values {
        let texts: &[String] = match value {
            HeaderValue::Missing => &[],
            HeaderValue::One(text) => std::slice::from_ref(text),
            HeaderValue::Many(texts) => texts,
            HeaderValue::Invalid(reason) => return Err(reason),
        };
        for part in texts.iter().flat_map(|text| text.split(NODE_JOINER)) {
            let trimmed = part.trim();
            if trimmed.is_empty() {
                continue;
            }
            match chosen {
                Some(previous) if previous != trimmed => {
                    return Err("is repeated with different values");
                }
                _ => chosen = Some(trimmed),
            }
        }
    }
    Ok(chosen.map(str::to_owned))
}

/// A callback host allow-list: exact hosts and `*.suffix` patterns (README, "API" and "Behaviour").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostAllowList {
    exact: Vec<String>,
    /// Stored with the leading dot: `*.cyrus.app` → `.cyrus.app`.
    suffixes: Vec<String>,
}

impl HostAllowList {
    /// Parses patterns; an empty list allows every host. Errors name the bad pattern.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let mut list = Self::default();
        for pattern in patterns {
            let pattern = pattern.as_ref().trim().to_ascii_lowercase();
            let host = pattern.strip_prefix("*.").unwrap_or(&pattern);
            let valid = !host.is_empty()
                && host.len() <= 253
                && !host.starts_with('.')
                && !host.ends_with('.')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !valid {
                return Err(format!("invalid host pattern {pattern:?}"));
            }
            if pattern.starts_with("*.") {
                list.suffixes.push(pattern[1..].to_owned());
            } else {
                list.exact.push(pattern);
            }
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.suffixes.is_empty()
    }

    /// `host` as the URL parser prints it (lower case; IPv6 in brackets).
    pub fn allows(&self, host: &str) -> bool {
        self.is_empty()
            || self.exact.iter().any(|exact| exact == host)
            || self
                .suffixes
                .iter()
                .any(|suffix| host.len() > suffix.len() && host.ends_with(suffix.as_str()))
    }
}

/// A validated context: where to POST, with which token, for which team — and what the scrubber
/// removes for it, computed once when it is made (README, "Classification rules": the `error_message` paragraph).
#[derive(Clone)]
pub struct CallbackContext {
    pub token: Secret,
    pub url: Url,
    pub team_id: String,
    /// Tokens this context replaced at rotations, newest first (at most [`REPLACED_TOKENS_KEPT`]).
    replaced: Vec<Secret>,
    /// What the scrubber removes for it: the token, the replaced tokens, and every encoded form
    /// of each (`crate::secret_forms`), without repeats.
    secrets: Secrets,
}

impl CallbackContext {
    pub fn new(token: Secret, url: Url, team_id: String) -> Self {
        Self::with_replaced(token, url, team_id, Vec::new())
    }

    fn with_replaced(token: Secret, url: Url, team_id: String, replaced: Vec<Secret>) -> Self {
        let mut needles: Vec<Secret> = Vec::new();
        for secret in std::iter::once(&token).chain(&replaced) {
            let forms = encoded_forms(secret.expose()).into_iter().map(Secret::new);
            for needle in std::iter::once(secret.clone()).chain(forms) {
                if !needles.contains(&needle) {
                    needles.push(needle);
                }
            }
        }
        Self {
            token,
            url,
            team_id,
            replaced,
            secrets: Secrets::new(needles.iter().map(Secret::expose)),
        }
    }

    /// What the scrubber removes for this context: its token, the tokens it replaced (the last
    /// [`REPLACED_TOKENS_KEPT`]) and their JSON-escaped and percent-encoded forms.
    pub fn scrub_secrets(&self) -> &Secrets {
        &self.secrets
    }
}

/// Two contexts are the same when token, URL and team are; what they replaced does not count.
impl PartialEq for CallbackContext {
    fn eq(&self, other: &Self) -> bool {
        self.token == other.token && self.url == other.url && self.team_id == other.team_id
    }
}

impl Eq for CallbackContext {}

impl fmt::Debug for CallbackContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackContext")
            .field("token", &self.token)
            .field("url", &self.url.as_str())
            .field("team_id", &self.team_id)
            .field("replaced", &self.replaced.len())
            .finish()
    }
}

/// Applies the URL, character and length rules; the reason never contains the token.
pub fn validate(raw: RawContext, allowed: &HostAllowList) -> Result<CallbackContext, String> {
    let token = raw.token.expose();
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "{TOKEN_HEADER} is longer than {MAX_TOKEN_LEN} bytes"
        ));
    }
    // A backslash is not a Bearer-token character (RFC 6750 b64token) either, and a token with
    // one could be re-formed by the JSON escaping of the event body itself.
    if !token.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err(format!(
            "{TOKEN_HEADER} contains characters not allowed in a Bearer token (controls, spaces, backslashes or non-ASCII)"
        ));
    }
    // Written in lower case and without brackets: a refused token (`E`, `RED` …) is upper case.
    if !scrub::redactable(token) {
        return Err(format!(
            "{TOKEN_HEADER} cannot be scrubbed reliably: it is part of the redaction marker or contains a bracket"
        ));
    }
    if raw.team_id.chars().count() > MAX_TEAM_LEN {
        return Err(format!(
            "{TEAM_HEADER} is longer than {MAX_TEAM_LEN} characters"
        ));
    }
    if raw.team_id.chars().any(char::is_control) {
        return Err(format!("{TEAM_HEADER} contains control characters"));
    }
    let url = validate_url(&raw.url, allowed)?;
    Ok(CallbackContext::new(raw.token, url, raw.team_id))
}

fn validate_url(text: &str, allowed: &HostAllowList) -> Result<Url, String> {
    if text.len() > MAX_URL_LEN {
        return Err(format!("{URL_HEADER} is longer than {MAX_URL_LEN} bytes"));
    }
    // The URL parser silently drops tabs and newlines; refuse them before it can.
    if text.chars().any(char::is_control) {
        return Err(format!("{URL_HEADER} contains control characters"));
    }
    let url = Url::parse(text)
        .map_err(|error| format!("{URL_HEADER} is not an absolute URL ({error})"))?;
    let host = url
        .host()
        .ok_or_else(|| format!("{URL_HEADER} has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(format!(
                "{URL_HEADER} must use https (http is allowed only for loopback hosts)"
            ))
        }
        other => {
            return Err(format!(
                "{URL_HEADER} has scheme {other:?}; https is required"
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{URL_HEADER} must not carry user info"));
    }
    let host_text = url.host_str().unwrap_or_default();
    if !allowed.allows(host_text) {
        return Err(format!(
            "{URL_HEADER} host {host_text:?} is not in allowedHosts"
        ));
    }
    Ok(url)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// What [`capture`] did (the `status` of `setCallbackContext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetStatus {
    Set,
    Unchanged,
    Rotated,
    Absent,
    Rejected,
}

impl SetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SetStatus::Set => "set",
            SetStatus::Unchanged => "unchanged",
            SetStatus::Rotated => "rotated",
            SetStatus::Absent => "absent",
            SetStatus::Rejected => "rejected",
        }
    }
}

/// The capture rule: first valid context kept; same team rotates; another team is refused.
/// Gives the status and, for `Set` and `Rotated`, the context to keep: after a rotation it
/// carries the tokens it replaced (the current one first, the last [`REPLACED_TOKENS_KEPT`]), so
/// that they stay scrubbed.
pub fn capture(
    current: Option<&CallbackContext>,
    offered: CallbackContext,
) -> Result<(SetStatus, Option<CallbackContext>), String> {
    match current {
        None => Ok((SetStatus::Set, Some(offered))),
        Some(current) if current.team_id != offered.team_id => Err(format!(
            "{TEAM_HEADER} {:?} differs from the captured team {:?}; one worker serves one team, the current context is kept",
            offered.team_id, current.team_id
        )),
        Some(current) if *current == offered => Ok((SetStatus::Unchanged, None)),
        Some(current) => {
            let mut replaced: Vec<Secret> = Vec::new();
            for token in std::iter::once(&current.token).chain(&current.replaced) {
                if *token != offered.token && !replaced.contains(token) {
                    replaced.push(token.clone());
                }
            }
            replaced.truncate(REPLACED_TOKENS_KEPT);
            let CallbackContext {
                token,
                url,
                team_id,
                ..
            } = offered;
            Ok((
                SetStatus::Rotated,
                Some(CallbackContext::with_replaced(token, url, team_id, replaced)),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok_5ecret-VALUE.123";

    fn one(text: &str) -> HeaderValue {
        HeaderValue::One(text.to_owned())
    }

    fn headers(pairs: &[(&str, HeaderValue)]) -> HeaderSet {
        let mut set = HeaderSet::default();
        for (name, value) in pairs {
            set.add(name, value.clone());
        }
        set
    }

    fn full(url: &str) -> HeaderSet {
        headers(&[
            (TOKEN_HEADER, one(TOKEN)),
            (URL_HEADER, one(url)),
            (TEAM_HEADER, one("team-1")),
        ])
    }

    fn validated(set: &HeaderSet, allowed: &[&str]) -> Result<CallbackContext, String> {
        let raw = extract(set).map_err(|error| format!("{error:?}"))?;
        validate(raw, &HostAllowList::parse(allowed)?)
    }

    #[test]
    fn extraction_rules() {
        let cases: Vec<(&str, HeaderSet, Result<(), &str>)> = vec![
            ("all three", full("https://cyhost.example/cb"), Ok(())),
            ("none", HeaderSet::default(), Err("Absent")),
            (
                "all empty after trim",
                headers(&[
                    (TOKEN_HEADER, one("  ")),
                    (URL_HEADER, one("")),
                    (TEAM_HEADER, one("\t")),
                ]),
                Err("Absent"),
            ),
            (
                "token only",
                headers(&[(TOKEN_HEADER, one(TOKEN))]),
                Err("missing headers x-cyrus-callback-url, x-cyrus-team-id"),
            ),
            (
                "team empty",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("   ")),
                ]),
                Err("missing header x-cyrus-team-id"),
            ),
            (
                "mixed case names",
                headers(&[
                    ("X-Cyrus-Callback-Token", one(TOKEN)),
                    ("X-CYRUS-CALLBACK-URL", one("https://a.b/c")),
                    ("x-cyrus-TEAM-id", one("t")),
                ]),
                Ok(()),
            ),
            (
                "same repeated value",
                headers(&[
                    (
                        TOKEN_HEADER,
                        HeaderValue::Many(vec![TOKEN.into(), format!(" {TOKEN} ")]),
                    ),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("t")),
                ]),
                Ok(()),
            ),
            (
                "different repeated values",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, HeaderValue::Many(vec!["a".into(), "b".into()])),
                ]),
                Err("x-cyrus-team-id is repeated with different values"),
            ),
            (
                "case duplicates disagree",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("a")),
                    ("X-Cyrus-Team-Id", one("b")),
                ]),
                Err("x-cyrus-team-id is repeated with different values"),
            ),
            (
                "not text",
                headers(&[
                    (TOKEN_HEADER, HeaderValue::Invalid("is not a string")),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("t")),
                ]),
                Err("x-cyrus-callback-token is not a string"),
            ),
            (
                "node-joined repeats agree",
                headers(&[
                    (TOKEN_HEADER, one(&format!("{TOKEN}, {TOKEN}"))),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("t, t")),
                ]),
                Ok(()),
            ),
            (
                "node-joined teams differ",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("team-a, team-b")),
                ]),
                Err("x-cyrus-team-id is repeated with different values"),
            ),
            (
                "node-joined urls differ",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c, https://evil.example/c")),
                    (TEAM_HEADER, one("t")),
                ]),
                Err("x-cyrus-callback-url is repeated with different values"),
            ),
            (
                "url with a plain comma",
                headers(&[
                    (TOKEN_HEADER, one(TOKEN)),
                    (URL_HEADER, one("https://a.b/c?x=1,2")),
                    (TEAM_HEADER, one("t")),
                ]),
                Ok(()),
            ),
            (
                "empty array is missing",
                headers(&[
                    (TOKEN_HEADER, HeaderValue::Many(vec![])),
                    (URL_HEADER, one("https://a.b/c")),
                    (TEAM_HEADER, one("t")),
                ]),
                Err("missing header x-cyrus-callback-token"),
            ),
        ];
        for (name, set, expected) in cases {
            let got = extract(&set).map(|_| ()).map_err(|error| match error {
                ExtractError::Absent => "Absent".to_owned(),
                ExtractError::Rejected(reason) => reason,
            });
            assert_eq!(got, expected.map_err(str::to_owned), "case {name}");
        }
    }

    #[test]
    fn extraction_trims_values() {
        let set = headers(&[
            (TOKEN_HEADER, one(&format!("  {TOKEN}\t"))),
            (URL_HEADER, one(" https://a.b/c ")),
            (TEAM_HEADER, one(" team ")),
        ]);
        let raw = extract(&set).unwrap();
        assert_eq!(raw.token.expose(), TOKEN);
        assert_eq!(raw.url, "https://a.b/c");
        assert_eq!(raw.team_id, "team");
    }

    #[test]
    fn url_rules() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("https://cyhost.example/callback", &[], true),
            ("https://cyhost.example:8443/callback?x=1", &[], true),
            ("http://cyhost.example/callback", &[], false),
            ("http://localhost:3000/cb", &[], true),
            ("http://LOCALHOST:3000/cb", &[], true),
            ("http://127.0.0.1:3000/cb", &[], true),
            ("http://127.9.8.7/cb", &[], true),
            ("http://[::1]:8080/cb", &[], true),
            ("http://128.0.0.1/cb", &[], false),
            ("http://localhost.evil.com/cb", &[], false),
            ("ftp://cyhost.example/cb", &[], false),
            ("file:///etc/passwd", &[], false),
            ("/relative/path", &[], false),
            ("not a url", &[], false),
            ("https://user:pass@cyhost.example/cb", &[], false),
            ("https://user@cyhost.example/cb", &[], false),
            ("https://cyhost.example/cb\r\nX-Evil: 1", &[], false),
            ("https://cyhost.example/c\tb", &[], false),
            ("https://a.cyrus.app/cb", &["*.cyrus.app"], true),
            ("https://a.b.cyrus.app/cb", &["*.cyrus.app"], true),
            ("https://cyrus.app/cb", &["*.cyrus.app"], false),
            ("https://evilcyrus.app/cb", &["*.cyrus.app"], false),
            ("https://cyrus.app/cb", &["*.cyrus.app", "cyrus.app"], true),
            ("https://CYRUS.APP/cb", &["cyrus.app"], true),
            ("https://other.example/cb", &["cyrus.app"], false),
            ("http://127.0.0.1:9/cb", &["127.0.0.1"], true),
        ];
        for (url, allowed, ok) in cases {
            let result = validated(&full(url), allowed);
            assert_eq!(result.is_ok(), *ok, "{url} with {allowed:?}: {result:?}");
        }
    }

    #[test]
    fn token_and_team_rules() {
        let long_token = "a".repeat(MAX_TOKEN_LEN + 1);
        let max_token = "a".repeat(MAX_TOKEN_LEN);
        let long_team = "t".repeat(MAX_TEAM_LEN + 1);
        let cases: &[(&str, &str, bool)] = &[
            (TOKEN, "team", true),
            (&max_token, "team", true),
            (&long_token, "team", false),
            ("tok\u{0}en", "team", false),
            ("tok en", "team", false),
            ("tokén", "team", false),
            ("ED]abcdefghij", "team", false),
            ("tok[en", "team", false),
            ("tok\\en", "team", false),
            ("tok\"en/+=", "team", true),
            // Short tokens work (cyrus's own tests use these)…
            ("token", "team", true),
            ("cb-token-123", "team", true),
            ("e", "team", true),
            ("REDACTEDX", "team", true),
            (TOKEN, &long_team, false),
            (TOKEN, "team\u{7}", false),
            (TOKEN, "équipe-ü", true),
        ];
        for (token, team, ok) in cases {
            let raw = RawContext {
                token: Secret::new((*token).to_owned()),
                url: "https://a.b/c".into(),
                team_id: (*team).to_owned(),
            };
            let result = validate(raw, &HostAllowList::default());
            assert_eq!(
                result.is_ok(),
                *ok,
                "token len {} team {team:?}",
                token.len()
            );
            if let Err(reason) = result {
                assert!(!reason.contains(TOKEN), "reason leaks the token: {reason}");
            }
        }
    }

    #[test]
    fn tokens_inside_the_redaction_marker_are_refused() {
        // …but not one that the marker contains: no scrubbing could remove it.
        let marker = crate::scrub::REDACTED;
        for start in 0..marker.len() {
            for end in start + 1..=marker.len() {
                let token = &marker[start..end];
                let raw = RawContext {
                    token: Secret::new(token.to_owned()),
                    url: "https://a.b/c".into(),
                    team_id: "team".into(),
                };
                let reason = validate(raw, &HostAllowList::default())
                    .expect_err("a token inside the marker is refused");
                assert!(reason.starts_with(TOKEN_HEADER), "{reason}");
                assert!(!reason.contains(token), "reason prints the token: {reason}");
            }
        }
    }

    #[test]
    fn scrub_secrets_are_the_token_and_its_encoded_forms() {
        let context = CallbackContext::new(
            Secret::new("ab/c+d=".to_owned()),
            Url::parse("https://a.b/c").unwrap(),
            "team".into(),
        );
        let secrets = context.scrub_secrets().texts();
        assert_eq!(secrets[0], "ab/c+d=");
        for form in [
            "ab\\/c+d=",
            "ab%2Fc%2Bd%3D",
            "ab%2fc%2bd%3d",
            "ab/c\\u002Bd=",
        ] {
            assert!(secrets.contains(&form), "{form} missing from {secrets:?}");
        }
        let plain = CallbackContext::new(
            Secret::new("cb-token-123".to_owned()),
            Url::parse("https://a.b/c").unwrap(),
            "team".into(),
        );
        assert_eq!(plain.scrub_secrets().texts(), ["cb-token-123"]);
    }

    #[test]
    fn scrubbing_with_the_context_leaves_no_form_of_any_kept_token() {
        let url = || Url::parse("https://a.b/c").unwrap();
        let old = CallbackContext::new(Secret::new("old/Token+1=".into()), url(), "t".into());
        let offered = CallbackContext::new(Secret::new("new/Token+2=".into()), url(), "t".into());
        let (_, kept) = capture(Some(&old), offered).unwrap();
        let kept = kept.unwrap();
        let text = "a old/Token+1= b new%2FToken%2B2%3D c new%2ftoken... new%2fToken%2b2%3d \
                    d {\"t\":\"new\\/Token+2=\"} e new/Token\\u002B2= f old%2FToken%2B1%3D";
        let scrubbed = crate::scrub::scrub(text, kept.scrub_secrets());
        assert_eq!(
            scrubbed,
            "a [REDACTED] b [REDACTED] c new%2ftoken... [REDACTED] d {\"t\":\"[REDACTED]\"} \
             e [REDACTED] f [REDACTED]"
        );
    }

    #[test]
    fn rotation_keeps_the_last_replaced_tokens() {
        let make = |token: &str| {
            CallbackContext::new(
                Secret::new(token.to_owned()),
                Url::parse("https://a.b/c").unwrap(),
                "team".into(),
            )
        };
        let tokens: Vec<String> = (0..REPLACED_TOKENS_KEPT + 3)
            .map(|i| format!("token-{i}"))
            .collect();
        let (_, first) = capture(None, make(&tokens[0])).unwrap();
        let mut current = first.unwrap();
        for (i, token) in tokens.iter().enumerate().skip(1) {
            let (status, kept) = capture(Some(&current), make(token)).unwrap();
            assert_eq!(status, SetStatus::Rotated);
            current = kept.unwrap();
            let secrets = current.scrub_secrets().texts();
            assert_eq!(secrets[0], token.as_str());
            let oldest_kept = i.saturating_sub(REPLACED_TOKENS_KEPT);
            for (j, earlier) in tokens[..i].iter().enumerate() {
                assert_eq!(
                    secrets.contains(&earlier.as_str()),
                    j >= oldest_kept,
                    "after rotation {i}: token {j} in {secrets:?}"
                );
            }
        }
        // Rotating back to a kept token keeps it once; a URL-only rotation keeps the history.
        let back = tokens[tokens.len() - 2].clone();
        let (_, kept) = capture(Some(&current), make(&back)).unwrap();
        let back_context = kept.unwrap();
        let secrets = back_context.scrub_secrets().texts();
        assert_eq!(secrets.iter().filter(|s| **s == back).count(), 1);
        assert_eq!(secrets.len(), 1 + REPLACED_TOKENS_KEPT);
        let moved = CallbackContext::new(
            back_context.token.clone(),
            Url::parse("https://a.b/moved").unwrap(),
            "team".into(),
        );
        let (status, kept) = capture(Some(&back_context), moved).unwrap();
        assert_eq!(status, SetStatus::Rotated);
        assert_eq!(kept.unwrap().scrub_secrets().texts(), secrets);
        // Debug shows how many, never which.
        let printed = format!("{back_context:?}");
        assert!(
            tokens.iter().all(|t| !printed.contains(t.as_str())),
            "{printed}"
        );
    }

    #[test]
    fn allow_list_patterns_are_checked() {
        assert!(HostAllowList::parse(&["*.cyrus.app", "cyrus.app", "127.0.0.1"]).is_ok());
        for bad in ["", "*", "*.", ".cyrus.app", "a b", "cyrus.app/x"] {
            assert!(
                HostAllowList::parse(&[bad]).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn capture_rules() {
        let make = |token: &str, url: &str, team: &str| {
            CallbackContext::new(
                Secret::new(token.to_owned()),
                Url::parse(url).unwrap(),
                team.to_owned(),
            )
        };
        let status = |current: Option<&CallbackContext>, offered: CallbackContext| {
            capture(current, offered).map(|(status, kept)| (status, kept.is_some()))
        };
        let first = make("t1", "https://a.b/c", "team");
        assert_eq!(status(None, first.clone()), Ok((SetStatus::Set, true)));
        assert_eq!(
            status(Some(&first), first.clone()),
            Ok((SetStatus::Unchanged, false))
        );
        assert_eq!(
            status(Some(&first), make("t2", "https://a.b/c", "team")),
            Ok((SetStatus::Rotated, true))
        );
        assert_eq!(
            status(Some(&first), make("t1", "https://a.b/d", "team")),
            Ok((SetStatus::Rotated, true))
        );
        let other = status(Some(&first), make("t1", "https://a.b/c", "other"));
        assert!(matches!(other, Err(reason) if reason.contains("other")));
    }

    #[test]
    fn debug_never_prints_the_token() {
        let context = validated(&full("https://a.b/c"), &[]).unwrap();
        let printed = format!(
            "{context:?} {:?} {:?}",
            context.token,
            extract(&full("https://a.b/c"))
        );
        assert!(!printed.contains(TOKEN), "{printed}");
        assert!(printed.contains("[REDACTED]"));
    }
}
