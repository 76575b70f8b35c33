//! The encoded forms of a literal secret (README, "Classification rules": the `error_message` paragraph): error texts quote request bodies
//! (JSON) and URLs (percent-encoding), so the callback token can appear there written differently.
//! [`FORMS`] lists how common encoders write it; [`encoded_forms`] gives each distinct form that
//! differs from the secret, for the scrubber to remove as literal needles.
//!
//! Each form is one encoder's consistent choice (an encoder does not mix styles within a string),
//! so a handful of literal needles covers them all; they are computed once per captured token.

/// How an escaped byte is written.
#[derive(Clone, Copy, Debug)]
enum Escape {
    /// `\"`, `\/`: a backslash, then the byte.
    Backslash,
    /// `\u003c`: JSON's `\u` escape, lower-case hex.
    UnicodeLower,
    /// `\u003C`: JSON's `\u` escape, upper-case hex.
    UnicodeUpper,
    /// `%2F`: percent-encoding, upper-case hex (RFC 3986's recommendation).
    PercentUpper,
    /// `%2f`: percent-encoding, lower-case hex.
    PercentLower,
}

/// Which bytes a rule escapes.
#[derive(Clone, Copy, Debug)]
enum Bytes {
    /// Exactly these.
    Listed(&'static [u8]),
    /// Every byte except ASCII letters, digits and these.
    AllBut(&'static [u8]),
}

impl Bytes {
    fn has(self, b: u8) -> bool {
        match self {
            Bytes::Listed(listed) => listed.contains(&b),
            Bytes::AllBut(kept) => !b.is_ascii_alphanumeric() && !kept.contains(&b),
        }
    }
}

/// RFC 3986 unreserved characters besides letters and digits: never percent-encoded.
const UNRESERVED: &[u8] = b"-._~";

/// One encoder's form: its rules, the first whose bytes include a byte decides how it is written
/// (bytes no rule names are written as they are).
type Form = &'static [(Bytes, Escape)];

/// The forms, each with the encoder that writes it and an example of `a"b/c<d=e+f~g` encoded.
/// (Backslashes and control characters never reach here: `context::validate` refuses them.)
const FORMS: &[Form] = &[
    // serde_json, JS `JSON.stringify`, Python `json.dumps`: `a\"b/c<d=e+f~g`.
    &[(Bytes::Listed(b"\""), Escape::Backslash)],
    // PHP `json_encode`: `a\"b\/c<d=e+f~g`.
    &[(Bytes::Listed(b"\"/"), Escape::Backslash)],
    // Go `encoding/json` (HTML-safe by default): `a\"b/c\u003cd=e+f~g`.
    &[
        (Bytes::Listed(b"\""), Escape::Backslash),
        (Bytes::Listed(b"<>&"), Escape::UnicodeLower),
    ],
    // Gson (HTML-safe by default): `a\"b/c\u003cd\u003de+f~g`.
    &[
        (Bytes::Listed(b"\""), Escape::Backslash),
        (Bytes::Listed(b"<>&='"), Escape::UnicodeLower),
    ],
    // .NET `System.Text.Json` (default encoder): `a\u0022b/c\u003Cd=e\u002Bf~g`.
    &[(Bytes::Listed(b"\"<>&'+`"), Escape::UnicodeUpper)],
    // JSON writers that `\u`-escape every byte outside RFC 3986's unreserved set (ASCII-safe
    // and HTML-safe modes taken to the end), lower-case hex: `a\u0022b\u002fc\u003cd\u003de\u002bf~g`.
    &[(Bytes::AllBut(UNRESERVED), Escape::UnicodeLower)],
    // The same, upper-case hex: `a\u0022b\u002Fc\u003Cd\u003De\u002Bf~g`.
    &[(Bytes::AllBut(UNRESERVED), Escape::UnicodeUpper)],
    // JS `encodeURIComponent`, Go `url.QueryEscape`, Python `quote_plus` (RFC 3986, upper hex):
    // `a%22b%2Fc%3Cd%3De%2Bf~g`.
    &[(Bytes::AllBut(UNRESERVED), Escape::PercentUpper)],
    // The same with lower-case hex (equivalent per RFC 3986, written by some clients):
    // `a%22b%2fc%3cd%3de%2bf~g`.
    &[(Bytes::AllBut(UNRESERVED), Escape::PercentLower)],
    // Python `urllib.parse.quote` (keeps `/` by default): `a%22b/c%3Cd%3De%2Bf~g`.
    &[(Bytes::AllBut(b"-._~/"), Escape::PercentUpper)],
    // `URLSearchParams`, Java `URLEncoder` (form encoding; `~` encoded, `*` kept):
    // `a%22b%2Fc%3Cd%3De%2Bf%7Eg`.
    &[(Bytes::AllBut(b"-._*"), Escape::PercentUpper)],
];

fn write(out: &mut String, b: u8, escape: Escape) {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let hex = |out: &mut String, digits: &[u8; 16]| {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0xf)]));
    };
    match escape {
        Escape::Backslash => {
            out.push('\\');
            out.push(char::from(b));
        }
        Escape::UnicodeLower => {
            out.push_str("\\u00");
            hex(out, LOWER);
        }
        Escape::UnicodeUpper => {
            out.push_str("\\u00");
            hex(out, UPPER);
        }
        Escape::PercentUpper => {
            out.push('%');
            hex(out, UPPER);
        }
        Escape::PercentLower => {
            out.push('%');
            hex(out, LOWER);
        }
    }
}

/// `secret` as `form` writes it, or `None` when the secret is not ASCII (the context admits
/// visible ASCII tokens only; this keeps the function total).
fn encode(secret: &str, form: Form) -> Option<String> {
    if !secret.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(secret.len());
    for b in secret.bytes() {
        match form.iter().find(|(bytes, _)| bytes.has(b)) {
            Some(&(_, escape)) => write(&mut out, b, escape),
            None => out.push(char::from(b)),
        }
    }
    Some(out)
}

/// Every distinct encoded form of `secret` ([`FORMS`]) that differs from it, in table order.
pub fn encoded_forms(secret: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for form in FORMS {
        if let Some(encoded) = encode(secret, form) {
            if encoded != secret && !forms.contains(&encoded) {
                forms.push(encoded);
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_of_the_table() {
        assert_eq!(
            encoded_forms("a\"b/c<d=e+f~g"),
            [
                "a\\\"b/c<d=e+f~g",
                "a\\\"b\\/c<d=e+f~g",
                "a\\\"b/c\\u003cd=e+f~g",
                "a\\\"b/c\\u003cd\\u003de+f~g",
                "a\\u0022b/c\\u003Cd=e\\u002Bf~g",
                "a\\u0022b\\u002fc\\u003cd\\u003de\\u002bf~g",
                "a\\u0022b\\u002Fc\\u003Cd\\u003De\\u002Bf~g",
                "a%22b%2Fc%3Cd%3De%2Bf~g",
                "a%22b%2fc%3cd%3de%2bf~g",
                "a%22b/c%3Cd%3De%2Bf~g",
                "a%22b%2Fc%3Cd%3De%2Bf%7Eg",
            ]
        );
    }

    #[test]
    fn only_forms_that_differ() {
        // Letters, digits and `-._` are the same in every form.
        assert!(encoded_forms("cb-token_123.x").is_empty());
        assert!(encoded_forms("cb-token-123").is_empty());
        assert!(encoded_forms("").is_empty());
        // A base64 token: `/`, `+` and `=` differ in most forms, once each.
        let forms = encoded_forms("ab/c+d==");
        assert!(forms.contains(&"ab%2Fc%2Bd%3D%3D".to_owned()));
        assert!(forms.contains(&"ab\\/c+d==".to_owned()));
        assert!(forms.contains(&"ab/c\\u002Bd==".to_owned()));
        let mut unique = forms.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), forms.len());
        assert!(!forms.iter().any(|form| form == "ab/c+d=="));
        assert!(encoded_forms("tokén").is_empty());
    }
}
