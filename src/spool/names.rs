//! The names the spool gives its files, defined once: a file whose name does not parse here is
//! foreign and is never opened, counted or deleted.
//!
//! | name | what |
//! |---|---|
//! | `<event_id>.event.json` | one spooled event |
//! | `<event_id>.event.json.tmp` | an event being written (renamed when complete) |
//! | `.probe.tmp` | the write check made when the folder is opened |
//! | `.lock` | the owner's lock |
//!
//! An `event_id` is a UUID in its hyphenated lower-case form (what `Event::new` makes), so a name
//! can never hold a path separator, `..` or anything the shell or the OS would read specially.

pub const LOCK: &str = ".lock";
pub const PROBE: &str = ".probe.tmp";
const EVENT_SUFFIX: &str = ".event.json";
const TEMPORARY_SUFFIX: &str = ".event.json.tmp";

/// One of the spool's own file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name<'a> {
    Event(&'a str),
    Temporary(&'a str),
    Probe,
    Lock,
}

impl<'a> Name<'a> {
    /// The spool's reading of a directory entry; None for a foreign file.
    pub fn parse(file_name: &'a str) -> Option<Self> {
        match file_name {
            LOCK => return Some(Self::Lock),
            PROBE => return Some(Self::Probe),
            _ => {}
        }
        if let Some(id) = file_name.strip_suffix(TEMPORARY_SUFFIX) {
            return is_event_id(id).then_some(Self::Temporary(id));
        }
        let id = file_name.strip_suffix(EVENT_SUFFIX)?;
        is_event_id(id).then_some(Self::Event(id))
    }
}

/// The file holding an event.
pub fn event(event_id: &str) -> String {
    format!("{event_id}{EVENT_SUFFIX}")
}

/// The name an event is written under before it is renamed to [`event`].
pub fn temporary(event_id: &str) -> String {
    format!("{event_id}{TEMPORARY_SUFFIX}")
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hexadecimal digits.
pub fn is_event_id(id: &str) -> bool {
    const HYPHENS: [usize; 4] = [8, 13, 18, 23];
    id.len() == 36
        && id.bytes().enumerate().all(|(index, byte)| {
            if HYPHENS.contains(&index) {
                byte == b'-'
            } else {
                matches!(byte, b'0'..=b'9' | b'a'..=b'f')
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b6f2c4e-9d1a-4f3b-8e2d-5a7c9b1d3e5f";

    #[test]
    fn own_names_round_trip() {
        assert_eq!(Name::parse(&event(ID)), Some(Name::Event(ID)));
        assert_eq!(Name::parse(&temporary(ID)), Some(Name::Temporary(ID)));
        assert_eq!(Name::parse(LOCK), Some(Name::Lock));
        assert_eq!(Name::parse(PROBE), Some(Name::Probe));
        let fresh = uuid::Uuid::new_v4().hyphenated().to_string();
        assert!(is_event_id(&fresh));
    }

    #[test]
    fn anything_else_is_foreign() {
        let upper = ID.to_uppercase();
        let foreign = [
            "notes.tmp".to_owned(),
            "backup_tmp".to_owned(),
            "notes.txt".to_owned(),
            ".probe".to_owned(),
            ".lock.tmp".to_owned(),
            "0000.event.json".to_owned(),
            "x.event.json.tmp".to_owned(),
            format!("{upper}.event.json"),
            format!("{ID}.event.json.bak"),
            format!("{ID}.event.json.tmp.tmp"),
            format!("{ID}.event.event.json.tmp"),
            format!("../{ID}.event.json"),
            format!("a{ID}.event.json"),
            format!("{}.event.json", ID.replace('-', "_")),
            ID.to_owned(),
        ];
        for name in &foreign {
            assert_eq!(Name::parse(name), None, "{name}");
        }
    }
}
