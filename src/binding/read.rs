//! Raw reads of JS values through `napi_sys`: every failure (a throwing getter, a revoked
//! Proxy) is cleared and read as absent, so nothing thrown by the input surfaces in JavaScript.

use napi::bindgen_prelude::*;
use napi::sys;
use std::ffi::CStr;
use std::ptr;

/// Header objects with more keys than this are refused instead of scanned.
pub(super) const MAX_HEADER_KEYS: u32 = 10_000;

/// Clears a pending exception so a failed read never surfaces in JavaScript.
pub(super) fn clear_exception(env: sys::napi_env) {
    let mut pending = false;
    // SAFETY: env is the live env of the current call.
    unsafe {
        if sys::napi_is_exception_pending(env, &mut pending) == sys::Status::napi_ok && pending {
            let mut error = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut error);
        }
    }
}

pub(super) fn type_of(env: sys::napi_env, value: sys::napi_value) -> ValueType {
    let mut kind = 0;
    // SAFETY: value belongs to env's current scope.
    if unsafe { sys::napi_typeof(env, value, &mut kind) } != sys::Status::napi_ok {
        clear_exception(env);
        return ValueType::Unknown;
    }
    ValueType::from(kind)
}

pub(super) fn is_object(env: sys::napi_env, value: sys::napi_value) -> bool {
    matches!(type_of(env, value), ValueType::Object)
}

/// `object[key]`: Ok(None) when undefined or null, Err when reading it threw (cleared).
pub(super) fn try_property(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &CStr,
) -> std::result::Result<Option<sys::napi_value>, ()> {
    let mut value = ptr::null_mut();
    // SAFETY: object is an object of env's scope; key is NUL-terminated.
    if unsafe { sys::napi_get_named_property(env, object, key.as_ptr(), &mut value) }
        != sys::Status::napi_ok
    {
        clear_exception(env);
        return Err(());
    }
    Ok(match type_of(env, value) {
        ValueType::Undefined | ValueType::Null | ValueType::Unknown => None,
        _ => Some(value),
    })
}

/// `object[key]`, or None when it is undefined, null, or reading it threw.
pub(super) fn property(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &CStr,
) -> Option<sys::napi_value> {
    try_property(env, object, key).ok().flatten()
}

pub(super) fn string(env: sys::napi_env, value: sys::napi_value) -> Option<String> {
    if type_of(env, value) != ValueType::String {
        return None;
    }
    // SAFETY: value is a string; napi_get_value_string_utf8 writes at most `len + 1` bytes.
    unsafe {
        let mut len = 0;
        if sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
            != sys::Status::napi_ok
        {
            return None;
        }
        let mut buffer = vec![0u8; len + 1];
        let mut written = 0;
        if sys::napi_get_value_string_utf8(
            env,
            value,
            buffer.as_mut_ptr().cast(),
            len + 1,
            &mut written,
        ) != sys::Status::napi_ok
        {
            return None;
        }
        buffer.truncate(written);
        // Node replaces lone surrogates by U+FFFD, so this is valid UTF-8; stay safe anyway.
        Some(
            String::from_utf8(buffer)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
        )
    }
}

pub(super) fn number(env: sys::napi_env, value: sys::napi_value) -> Option<f64> {
    if type_of(env, value) != ValueType::Number {
        return None;
    }
    let mut result = 0.0;
    // SAFETY: value is a number.
    (unsafe { sys::napi_get_value_double(env, value, &mut result) } == sys::Status::napi_ok)
        .then_some(result)
}

pub(super) fn boolean(env: sys::napi_env, value: sys::napi_value) -> Option<bool> {
    if type_of(env, value) != ValueType::Boolean {
        return None;
    }
    let mut result = false;
    // SAFETY: value is a boolean.
    (unsafe { sys::napi_get_value_bool(env, value, &mut result) } == sys::Status::napi_ok)
        .then_some(result)
}

pub(super) fn string_property(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &CStr,
) -> Option<String> {
    property(env, object, key).and_then(|value| string(env, value))
}

/// The elements of an array (at most `limit`), or None if `value` is not an array.
pub(super) fn array_elements(
    env: sys::napi_env,
    value: sys::napi_value,
    limit: u32,
) -> Option<Vec<sys::napi_value>> {
    let mut is_array = false;
    // SAFETY: value belongs to env's scope.
    if unsafe { sys::napi_is_array(env, value, &mut is_array) } != sys::Status::napi_ok || !is_array
    {
        clear_exception(env);
        return None;
    }
    let mut length = 0;
    // SAFETY: value is an array.
    if unsafe { sys::napi_get_array_length(env, value, &mut length) } != sys::Status::napi_ok {
        clear_exception(env);
        return None;
    }
    let mut elements = Vec::with_capacity(length.min(limit) as usize);
    for index in 0..length.min(limit) {
        let mut element = ptr::null_mut();
        // SAFETY: index < length.
        if unsafe { sys::napi_get_element(env, value, index, &mut element) } == sys::Status::napi_ok
        {
            elements.push(element);
        } else {
            clear_exception(env);
        }
    }
    Some(elements)
}

/// Own enumerable string keys of an object, or None when there are too many or reading failed.
pub(super) fn own_keys(
    env: sys::napi_env,
    object: sys::napi_value,
) -> std::result::Result<Vec<String>, String> {
    let mut names = ptr::null_mut();
    // SAFETY: object is an object of env's scope.
    let status = unsafe {
        sys::napi_get_all_property_names(
            env,
            object,
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut names,
        )
    };
    if status != sys::Status::napi_ok {
        clear_exception(env);
        return Err("the headers object could not be read".into());
    }
    let mut length = 0;
    // SAFETY: names is an array.
    unsafe { sys::napi_get_array_length(env, names, &mut length) };
    if length > MAX_HEADER_KEYS {
        return Err(format!(
            "the headers object has more than {MAX_HEADER_KEYS} keys"
        ));
    }
    Ok(array_elements(env, names, MAX_HEADER_KEYS)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|key| string(env, key))
        .collect())
}
