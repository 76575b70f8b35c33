use super::*;

/// A number as the README and the docs write it: digits grouped by commas from 10,000 up.
fn written(number: u64) -> String {
    let digits = number.to_string();
    if number < 10_000 {
        return digits;
    }
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// What the README's options table says an option accepts.
fn accepts(kind: OptionKind) -> String {
    match kind {
        OptionKind::Count(range) => format!("{}–{}", written(range.min), written(range.max)),
        OptionKind::Millis(range) => format!("{}–{} ms", written(range.min), written(range.max)),
        OptionKind::HostPatterns => "array of host patterns".into(),
        OptionKind::Logger => "ILogger or `(level, message)` function".into(),
        OptionKind::LogLevel => {
            "`\"debug\"`, `\"info\"`, `\"warn\"`, `\"error\"`, `\"silent\"`".into()
        }
        OptionKind::Flag => "boolean".into(),
        OptionKind::Pem => "PEM string".into(),
        OptionKind::Folder => "folder path".into(),
    }
}

/// The README's options table, as the table renders it.
fn readme_table() -> String {
    let mut table = String::from("| option | accepts | what it does |\n|---|---|---|\n");
    for spec in OPTIONS {
        table += &format!(
            "| `{}` | {} | {} |\n",
            spec.name,
            accepts(spec.kind),
            spec.doc
        );
    }
    table
}

#[test]
fn the_readme_lists_every_option_as_the_table_has_it() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable"); // ok: test code
    let table = readme_table();
    assert!(
        readme.contains(&table),
        "README.md's options table differs from the option table (src/reporter/options.rs); it should read:\n\n{table}"
    );
}

#[test]
fn a_numeric_option_s_doc_states_its_default() {
    for spec in OPTIONS {
        if let OptionKind::Count(range) | OptionKind::Millis(range) = spec.kind {
            let stated = format!("Default {}", written(range.default));
            assert!(
                spec.doc.contains(&stated),
                "{}: the doc should say {stated:?}",
                spec.name
            );
            assert!(
                range.min <= range.default && range.default <= range.max,
                "{}",
                spec.name
            );
        }
        assert!(
            !spec.doc.contains('|'),
            "{}: a doc must not break the README's table",
            spec.name
        );
    }
}

#[test]
fn the_defaults_are_the_table_s() {
    let options = Options::default();
    assert_eq!(options.queue_capacity, 1024);
    assert_eq!(options.request_timeout, Duration::from_secs(10));
    // The retry and spool modules state their own defaults for other callers; they agree.
    assert_eq!(options.retry, RetryPolicy::default());
    let dir = PathBuf::from("/spool");
    assert_eq!(default_spool(dir.clone()), SpoolConfig::new(dir));
    for spec in OPTIONS {
        if let OptionKind::Count(_) | OptionKind::Millis(_) = spec.kind {
            let value = spec.default_number() as f64;
            assert_eq!(
                spec.whole_number(value),
                Ok(spec.default_number()),
                "{}",
                spec.name
            );
        }
    }
}

#[test]
fn set_checks_the_kind_and_names_the_option() {
    let mut patch = OptionsPatch::default();
    patch
        .set("queueCapacity", OptionValue::Number(5.0))
        .unwrap(); // ok: test code
    patch
        .set("logLevel", OptionValue::Text("DEBUG".into()))
        .unwrap(); // ok: test code
    patch
        .set(
            "allowedHosts",
            OptionValue::Texts(vec!["*.cyrus.app".into()]),
        )
        .unwrap(); // ok: test code
    assert_eq!(patch.queue_capacity, Some(5.0));
    assert_eq!(patch.log_level, Some(LogLevel::Debug));
    let error = patch
        .set("queueCapacity", OptionValue::Text("5".into()))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cyrus-telemetry: option `queueCapacity` must be a number"
    );
    let error = patch
        .set("logLevel", OptionValue::Text("loud".into()))
        .unwrap_err();
    assert_eq!(error.option, "logLevel");
    assert_eq!(
        patch
            .set("logger", OptionValue::Flag(true))
            .unwrap_err()
            .option,
        "logger"
    );
    assert_eq!(
        patch
            .set("nope", OptionValue::Flag(true))
            .unwrap_err()
            .option,
        "options"
    );
    assert_eq!(
        OptionError::wrong_type("options").message,
        "must be an object"
    );
    assert_eq!(
        OptionError::wrong_type("spoolDir").message,
        "must be a folder path string"
    );
}

#[test]
fn merged_checks_each_range_from_the_table() {
    let patch = |set: fn(&mut OptionsPatch)| {
        let mut patch = OptionsPatch::default();
        set(&mut patch);
        Options::default().merged(&patch)
    };
    assert_eq!(
        patch(|p| p.queue_capacity = Some(0.0)).unwrap_err().option,
        "queueCapacity"
    );
    assert_eq!(
        patch(|p| p.backoff_base_ms = Some(0.0)).map(|o| o.retry.backoff_base),
        Ok(Duration::ZERO)
    );
    assert_eq!(
        patch(|p| p.request_timeout_ms = Some(0.5))
            .unwrap_err()
            .option,
        "requestTimeoutMs"
    );
    assert_eq!(
        patch(|p| p.spool_max_events = Some(0.0))
            .unwrap_err()
            .option,
        "spoolDir"
    );
    let spool = patch(|p| {
        p.spool_dir = Some("/tmp/spool".into());
        p.spool_max_age_ms = Some(60_000.0);
    })
    .unwrap() // ok: test code
    .spool
    .unwrap(); // ok: test code
    assert_eq!(
        (spool.max_events, spool.max_age),
        (1000, Duration::from_secs(60))
    );
}
