//! What the package entry reads by — the limits (`crate::reading`), names, flag bits, the options
//! and their kinds — handed to it once at load (`__readingRules()`), so none of it is written
//! again in JavaScript.

use super::headers::CONTEXT_KEYS;
use super::report::{FLAGS, PACKED_SEPARATOR};
use crate::context::HEADER_NAMES;
use crate::reading::{
    ID_UNITS, MAX_ERROR_ENTRIES, MAX_HEADER_KEYS, MAX_HEADER_VALUES, MAX_HOST_PATTERNS, TEXT_UNITS,
};
use crate::reporter::OPTIONS;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The reading rules, as one object the entry reads once.
#[napi(catch_unwind, js_name = "__readingRules", skip_typescript)]
pub fn reading_rules(env: &Env) -> Result<Object<'_>> {
    let mut rules = Object::new(env)?;
    rules.set("textUnits", TEXT_UNITS as u32)?;
    rules.set("idUnits", ID_UNITS as u32)?;
    rules.set("errorEntries", MAX_ERROR_ENTRIES as u32)?;
    rules.set("hostPatterns", MAX_HOST_PATTERNS as u32)?;
    rules.set("headerKeys", MAX_HEADER_KEYS as u32)?;
    rules.set("headerValues", MAX_HEADER_VALUES as u32)?;
    rules.set("headerNames", HEADER_NAMES.to_vec())?;
    rules.set("contextKeys", CONTEXT_KEYS.to_vec())?;
    let mut flags = Object::new(env)?;
    for (name, bit) in FLAGS {
        flags.set(name, bit)?;
    }
    rules.set("flags", flags)?;
    rules.set("outcomeSeparator", PACKED_SEPARATOR.to_string())?;
    let options: Vec<Vec<&str>> = OPTIONS
        .iter()
        .map(|option| vec![option.name, option.kind.js_type()])
        .collect();
    rules.set("options", options)?;
    Ok(rules)
}
