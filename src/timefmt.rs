// TEMPORARY STUB
pub fn rfc3339_seconds(_s: i64) -> Option<String> {
    None
}
pub fn iso_millis(ms: i64) -> String {
    format!("1970-01-01T00:00:00.{:03}Z", ms % 1000)
}
