//! The subset of OData `$filter` the user listing supports, with Graph's rule that `ne`, `not`
//! and `endsWith` need an advanced query (`ConsistencyLevel: eventual` plus `$count=true`).

use serde_json::Value;

use super::estate::SandboxUser;
use super::user_json::property;

/// Properties a filter may name.
const FILTERABLE: &[&str] = &[
    "id",
    "accountEnabled",
    "userType",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
];

/// Why a filter is refused, with Graph's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// `BadRequest` or `Request_UnsupportedQuery`.
    pub code: &'static str,
    pub message: String,
}

impl FilterError {
    fn bad(message: impl Into<String>) -> Self {
        Self {
            code: "BadRequest",
            message: message.into(),
        }
    }

    fn unsupported(prop: &str) -> Self {
        Self {
            code: "Request_UnsupportedQuery",
            message: format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource 'User'."
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    Ne,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    prop: &'static str,
    op: Op,
    value: Value,
}

/// A conjunction of clauses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    clauses: Vec<Clause>,
}

impl Filter {
    /// Parses a filter; `advanced` tells whether the request is an advanced query.
    pub fn parse(expr: &str, advanced: bool) -> Result<Self, FilterError> {
        let mut clauses = Vec::new();
        for part in split_and(expr) {
            let clause = parse_clause(part.trim())?;
            if matches!(clause.op, Op::Ne | Op::EndsWith) && !advanced {
                return Err(FilterError::unsupported(clause.prop));
            }
            clauses.push(clause);
        }
        if clauses.is_empty() {
            return Err(FilterError::bad("Invalid filter clause"));
        }
        Ok(Self { clauses })
    }

    /// Whether a user passes every clause (string comparisons ignore case, as Graph's do).
    pub fn matches(&self, user: &SandboxUser) -> bool {
        self.clauses.iter().all(|c| {
            let actual = property(user, c.prop);
            match c.op {
                Op::Eq => equal(&actual, &c.value),
                Op::Ne => !equal(&actual, &c.value),
                Op::StartsWith | Op::EndsWith => {
                    let (Some(a), Some(v)) = (actual.as_str(), c.value.as_str()) else {
                        return false;
                    };
                    let (a, v) = (a.to_lowercase(), v.to_lowercase());
                    if c.op == Op::StartsWith {
                        a.starts_with(&v)
                    } else {
                        a.ends_with(&v)
                    }
                }
            }
        })
    }
}

fn equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

/// Splits on ` and ` outside quoted literals.
fn split_and(expr: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            in_quote = !in_quote;
        } else if !in_quote
            && bytes.len() >= i + 5
            && expr
                .get(i..i + 5)
                .is_some_and(|s| s.eq_ignore_ascii_case(" and "))
        {
            parts.push(&expr[start..i]);
            start = i + 5;
            i += 5;
            continue;
        }
        i += 1;
    }
    parts.push(&expr[start..]);
    parts
}

fn prop_name(raw: &str) -> Result<&'static str, FilterError> {
    let raw = raw.trim();
    FILTERABLE
        .iter()
        .find(|p| p.eq_ignore_ascii_case(raw))
        .copied()
        .ok_or_else(|| {
            FilterError::bad(format!(
                "Could not find a property named '{raw}' on type 'microsoft.graph.user'."
            ))
        })
}

fn literal(raw: &str) -> Result<Value, FilterError> {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Ok(Value::String(inner.replace("''", "'")));
    }
    match raw.to_ascii_lowercase().as_str() {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => Err(FilterError::bad(format!(
            "Invalid filter clause: syntax error at '{raw}'."
        ))),
    }
}

fn parse_clause(part: &str) -> Result<Clause, FilterError> {
    let lower = part.to_ascii_lowercase();
    for (name, op) in [("startswith(", Op::StartsWith), ("endswith(", Op::EndsWith)] {
        if lower.starts_with(name) {
            let inner = part
                .get(name.len()..)
                .and_then(|r| r.trim_end().strip_suffix(')'))
                .ok_or_else(|| FilterError::bad("Invalid filter clause"))?;
            let (prop, value) = inner
                .split_once(',')
                .ok_or_else(|| FilterError::bad("Invalid filter clause"))?;
            return Ok(Clause {
                prop: prop_name(prop)?,
                op,
                value: literal(value)?,
            });
        }
    }
    if lower.starts_with("not ") || lower.starts_with("not(") {
        return Err(FilterError::unsupported("not"));
    }
    if lower.contains(" or ") {
        return Err(FilterError {
            code: "Request_UnsupportedQuery",
            message: "Unsupported Query.".into(),
        });
    }
    let mut it = part.splitn(3, ' ');
    let (Some(prop), Some(op), Some(value)) = (it.next(), it.next(), it.next()) else {
        return Err(FilterError::bad(format!(
            "Invalid filter clause: syntax error at '{part}'."
        )));
    };
    let prop = prop_name(prop)?;
    let op = match op.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        _ => return Err(FilterError::unsupported(prop)),
    };
    Ok(Clause {
        prop,
        op,
        value: literal(value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_operators_work_without_advanced_query() {
        assert!(Filter::parse("accountEnabled eq true", false).is_ok());
        assert!(Filter::parse("userType eq 'Member' and accountEnabled eq false", false).is_ok());
        assert!(Filter::parse("startsWith(displayName,'A')", false).is_ok());
    }

    #[test]
    fn advanced_operators_need_the_advanced_headers() {
        let e = Filter::parse("accountEnabled ne true", false).err();
        assert_eq!(e.map(|e| e.code), Some("Request_UnsupportedQuery"));
        assert!(Filter::parse("accountEnabled ne true", true).is_ok());
        assert!(Filter::parse("endsWith(mail,'@a.com')", true).is_ok());
        assert!(Filter::parse("endsWith(mail,'@a.com')", false).is_err());
    }

    #[test]
    fn unknown_properties_and_garbage_are_bad_requests() {
        let e = Filter::parse("foo eq 1", false).err();
        assert_eq!(e.map(|e| e.code), Some("BadRequest"));
        assert!(Filter::parse("accountEnabled eq maybe", false).is_err());
        assert!(Filter::parse("", false).is_err());
    }

    #[test]
    fn quoted_and_is_not_a_separator() {
        assert_eq!(split_and("displayName eq 'Tom and Jerry'").len(), 1);
        assert_eq!(split_and("a eq 'x' and b eq 'y'").len(), 2);
    }
}
