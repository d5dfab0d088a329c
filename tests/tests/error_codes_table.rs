//! `docs/errors.md` is the one table of every error code. This test keeps it equal to the code
//! enums of every error type: each code has exactly one row, each row names a real code, and each
//! row's kind (and the kind's Python class) is the enum's.

use std::collections::{BTreeMap, BTreeSet};

use entra_core::engine::EngineErrorCode;
use entra_core::provider::ProviderErrorCode;
use entra_core::store::StoreErrorCode;
use entra_core::{BindingErrorCode, CoreErrorCode, ErrorKind, RunIdErrorCode};
use entra_providers::auth::StateErrorCode;
use entra_providers::sandbox::SandboxErrorCode;
use entra_providers::secrets::SecretErrorCode;

const DOC: &str = include_str!("../../docs/errors.md");

/// Every (source, code) with its kind, from the enums.
fn codes_from_enums() -> BTreeMap<(String, String), ErrorKind> {
    let mut all = BTreeMap::new();
    let mut add = |source: &str, code: &str, kind: ErrorKind| {
        let previous = all.insert((source.to_string(), code.to_string()), kind);
        assert!(previous.is_none(), "{source} lists `{code}` twice");
    };
    for c in CoreErrorCode::ALL {
        add("CoreError", c.as_str(), c.kind());
    }
    for c in ProviderErrorCode::ALL {
        add("ProviderError", c.as_str(), c.kind());
    }
    for c in StoreErrorCode::ALL {
        add("StoreError", c.as_str(), c.kind());
    }
    for c in EngineErrorCode::ALL {
        add("EngineError", c.as_str(), c.kind());
    }
    for c in RunIdErrorCode::ALL {
        add("RunIdError", c.as_str(), c.kind());
    }
    for c in StateErrorCode::ALL {
        add("StateError", c.as_str(), c.kind());
    }
    for c in SecretErrorCode::ALL {
        add("SecretError", c.as_str(), c.kind());
    }
    for c in SandboxErrorCode::ALL {
        add("SandboxError", c.as_str(), c.kind());
    }
    for c in BindingErrorCode::ALL {
        add("binding", c.as_str(), c.kind());
    }
    all
}

/// The cells of the rows of the markdown table whose header row starts with `first_header`,
/// with backticks removed.
fn table(first_header: &str) -> Vec<Vec<String>> {
    let mut lines = DOC
        .lines()
        .skip_while(|l| !l.starts_with(&format!("| {first_header} |")));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no table `{first_header}`"));
    let width = header.split('|').count();
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            assert_eq!(
                line.split('|').count(),
                width,
                "row has the wrong width: {line}"
            );
            cells
        })
        .collect()
}

/// kind name -> Python class, from the kinds table.
fn classes_by_kind() -> BTreeMap<String, String> {
    table("kind")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect()
}

#[test]
fn the_kinds_table_lists_every_kind_once_with_its_own_class() {
    let rows = table("kind");
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, expected);
    let classes: BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(classes.len(), rows.len(), "two kinds share a Python class");
}

#[test]
fn the_codes_table_has_exactly_the_codes_of_the_enums_with_their_kinds() {
    let enums = codes_from_enums();
    let classes = classes_by_kind();
    let mut documented = BTreeMap::new();
    for row in table("code") {
        let (code, source, kind, class) = (&row[0], &row[1], &row[2], &row[3]);
        let kind =
            ErrorKind::parse(kind).unwrap_or_else(|| panic!("`{code}`: unknown kind {kind}"));
        assert_eq!(
            classes.get(kind.as_str()),
            Some(class),
            "`{code}` ({source}): the class of kind {kind} is not {class}"
        );
        let previous = documented.insert((source.clone(), code.clone()), kind);
        assert!(previous.is_none(), "`{code}` ({source}) has two rows");
        assert!(
            !row[4].is_empty() && !row[5].is_empty(),
            "`{code}` ({source}) needs a meaning and what to do"
        );
    }
    let missing: Vec<_> = enums
        .keys()
        .filter(|k| !documented.contains_key(*k))
        .collect();
    let unknown: Vec<_> = documented
        .keys()
        .filter(|k| !enums.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a row in docs/errors.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows in docs/errors.md without a code: {unknown:?}"
    );
    for (key, kind) in &enums {
        assert_eq!(
            documented[key], *kind,
            "{key:?}: docs/errors.md has another kind"
        );
    }
}
