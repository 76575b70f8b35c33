//! JS inputs → the core's plain types: a webhook's headers (or an explicit context), and a
//! session and result message read field by field with the SPEC's rules.

use super::read::{
    array_elements, boolean, clear_exception, is_object, number, own_keys, property, string,
    string_property, try_property,
};
use crate::classify::ResultMessage;
use crate::context::{self, HeaderSet, HeaderValue};
use crate::event::SessionInfo;
use crate::reporter::ReportInput;
use napi::sys;
use std::ffi::CStr;

/// Values of one repeated header accepted at most (Node delivers a handful).
const MAX_HEADER_VALUES: u32 = 1_000;
/// Entries of `errors` read at most.
const MAX_ERROR_ENTRIES: u32 = 10_000;

/// One header's value: a string, an array of strings, absent, or why it is unusable.
fn header_value(env: sys::napi_env, object: sys::napi_value, key: &CStr) -> HeaderValue {
    let value = match try_property(env, object, key) {
        Ok(Some(value)) => value,
        Ok(None) => return HeaderValue::Missing,
        Err(()) => return HeaderValue::Invalid("could not be read"),
    };
    if let Some(text) = string(env, value) {
        return HeaderValue::One(text);
    }
    let mut length = 0;
    // SAFETY: value belongs to env's scope; a non-array fails here and is refused below.
    let is_array =
        unsafe { sys::napi_get_array_length(env, value, &mut length) } == sys::Status::napi_ok;
    clear_exception(env);
    if is_array && length > MAX_HEADER_VALUES {
        return HeaderValue::Invalid("has too many values");
    }
    array_elements(env, value, MAX_HEADER_VALUES)
        .and_then(|elements| {
            elements
                .into_iter()
                .map(|element| string(env, element))
                .collect::<Option<Vec<String>>>()
        })
        .map_or(HeaderValue::Invalid("is not a string"), HeaderValue::Many)
}

const CONTEXT_KEYS: [&CStr; 3] = [c"callbackToken", c"callbackUrl", c"teamId"];

/// A Node/Fastify headers object, or an explicit `{ callbackToken, callbackUrl, teamId }`.
pub(super) fn read_headers(
    env: sys::napi_env,
    input: sys::napi_value,
) -> std::result::Result<HeaderSet, String> {
    if !is_object(env, input) {
        return Ok(HeaderSet::default());
    }
    let keys = own_keys(env, input)?;
    let is_context_object = keys.iter().any(|key| {
        CONTEXT_KEYS
            .iter()
            .any(|known| known.to_bytes() == key.as_bytes())
    }) && !keys.iter().any(|key| context::header_index(key).is_some());
    if is_context_object {
        let [token, url, team] = CONTEXT_KEYS.map(|key| header_value(env, input, key));
        return Ok(HeaderSet::from_fields(token, url, team));
    }
    let mut set = HeaderSet::default();
    for key in keys
        .iter()
        .filter(|key| context::header_index(key).is_some())
    {
        let Ok(c_key) = std::ffi::CString::new(key.as_str()) else {
            continue;
        };
        set.add(key, header_value(env, input, &c_key));
    }
    Ok(set)
}

pub(super) fn read_result(env: sys::napi_env, result: sys::napi_value) -> ResultMessage {
    let errors = property(env, result, c"errors")
        .and_then(|errors| array_elements(env, errors, MAX_ERROR_ENTRIES))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| string(env, entry))
        .collect();
    ResultMessage {
        subtype: string_property(env, result, c"subtype"),
        is_error: property(env, result, c"is_error").and_then(|value| boolean(env, value))
            == Some(true),
        result: string_property(env, result, c"result"),
        errors,
    }
}

fn read_session(
    env: sys::napi_env,
    session: sys::napi_value,
    session_id: Option<String>,
) -> std::result::Result<SessionInfo, String> {
    let issue_context =
        property(env, session, c"issueContext").filter(|value| is_object(env, *value));
    let from_context =
        |key: &CStr| issue_context.and_then(|context| string_property(env, context, key));
    let session_id = session_id_of(session_id, || string_property(env, session, c"id"))?;
    Ok(SessionInfo {
        session_id,
        created_at_ms: property(env, session, c"createdAt").and_then(|value| number(env, value)),
        issue_id: from_context(c"issueId").or_else(|| string_property(env, session, c"issueId")),
        issue_identifier: from_context(c"issueIdentifier").or_else(|| {
            property(env, session, c"issue")
                .filter(|issue| is_object(env, *issue))
                .and_then(|issue| string_property(env, issue, c"identifier"))
        }),
    })
}

/// `options.sessionId ?? session.id`, empty strings counting as absent.
pub(super) fn session_id_of(
    from_options: Option<String>,
    from_session: impl FnOnce() -> Option<String>,
) -> std::result::Result<String, String> {
    from_options
        .filter(|id| !id.is_empty())
        .or_else(|| from_session().filter(|id| !id.is_empty()))
        .ok_or_else(|| "session has no id (pass options.sessionId or a session with an id)".into())
}

pub(super) fn stop_requested(env: sys::napi_env, options: Option<sys::napi_value>) -> bool {
    options
        .filter(|options| is_object(env, *options))
        .and_then(|options| property(env, options, c"stopRequested"))
        .and_then(|value| boolean(env, value))
        == Some(true)
}

pub(super) fn read_report(
    env: sys::napi_env,
    session: sys::napi_value,
    result: sys::napi_value,
    options: Option<sys::napi_value>,
) -> ReportInput {
    if !is_object(env, session) {
        return Err("session must be an object".into());
    }
    if !is_object(env, result) {
        return Err("result must be an object (the SDK result message)".into());
    }
    let session_id = options
        .filter(|options| is_object(env, *options))
        .and_then(|options| string_property(env, options, c"sessionId"));
    Ok((
        read_session(env, session, session_id)?,
        read_result(env, result),
    ))
}
