//! `setCallbackContext` and `extractCallbackContext` over plain values: the package entry
//! (`read.cjs`) has read the headers object (or the explicit `{ callbackToken, callbackUrl,
//! teamId }`) into one reading per header key; the context rules (`crate::context`) decide.

use crate::context::{HeaderSet, HeaderValue};
use crate::reading::MAX_HEADER_KEYS;
use napi::bindgen_prelude::Either;

/// The keys of the explicit form, in the order of `crate::context::HEADER_NAMES`.
pub(super) const CONTEXT_KEYS: [&str; 3] = ["callbackToken", "callbackUrl", "teamId"];

/// What the entry read of one header: its texts (a string is one), or the code of why it could
/// not use it.
pub(super) type HeaderReading = Either<Vec<String>, String>;

/// Why a header's value is unusable, by the code the entry passes.
const VALUE_PROBLEMS: [(&str, &str); 3] = [
    ("unreadable", "could not be read"),
    ("tooManyValues", "has too many values"),
    ("notAString", "is not a string"),
];

/// Why the headers object as a whole is unusable, by the code the entry passes.
fn object_problem(code: &str) -> String {
    match code {
        "tooManyKeys" => format!("the headers object has more than {MAX_HEADER_KEYS} keys"),
        _ => "the headers object could not be read".into(),
    }
}

fn header_value(reading: HeaderReading) -> HeaderValue {
    match reading {
        Either::A(texts) => HeaderValue::Many(texts),
        Either::B(code) => HeaderValue::Invalid(
            VALUE_PROBLEMS
                .iter()
                .find(|(known, _)| *known == code)
                .map_or(VALUE_PROBLEMS[0].1, |(_, reason)| reason),
        ),
    }
}

/// The header set the entry read: `names[i]` (a header name in any case, or the header name of
/// an explicit context's field) was read as `readings[i]`; `problem` when the object itself
/// could not be read.
pub(super) fn header_set(
    names: Vec<String>,
    readings: Vec<HeaderReading>,
    problem: Option<String>,
) -> Result<HeaderSet, String> {
    if let Some(code) = problem {
        return Err(object_problem(&code));
    }
    let mut set = HeaderSet::default();
    for (name, reading) in names.iter().zip(readings) {
        set.add(name, header_value(reading));
    }
    Ok(set)
}
