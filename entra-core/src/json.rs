//! Reading contract records from JSON with errors that name the offending field.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CoreError;

/// Deserializes `value` into `T`; a missing or ill-typed field becomes `invalid_input` whose
/// message carries the field's path (for example `users[3].accountEnabled`).
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, CoreError> {
    // The plain path is several times faster; tracking the field path is only paid for when
    // the input is wrong and the error must name the field.
    match T::deserialize(value) {
        Ok(parsed) => Ok(parsed),
        Err(_) => match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(parsed) => Ok(parsed),
            Err(err) => Err(path_error(err)),
        },
    }
}

/// Like [`from_value`], from JSON text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, CoreError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end()
        .map_err(|e| CoreError::invalid_input(format!("trailing characters: {e}")))?;
    Ok(value)
}

/// Serializes a contract record; records are plain data, so this cannot fail in practice.
pub fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, CoreError> {
    serde_json::to_value(value)
        .map_err(|e| CoreError::invalid_input(format!("cannot serialize output: {e}")))
}

fn path_error(err: serde_path_to_error::Error<serde_json::Error>) -> CoreError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let message = inner.to_string();
    // serde reports a missing field at the parent's path; name the field itself.
    let message = match message.strip_prefix("missing field `") {
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or_default();
            let full = if path == "." || path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            format!("missing required field `{full}`")
        }
        None if path == "." || path.is_empty() => message,
        None => format!("field `{path}`: {message}"),
    };
    CoreError::invalid_input(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntraUser;
    use serde_json::json;

    #[test]
    fn missing_required_field_is_named() {
        let err = from_value::<Vec<EntraUser>>(&json!([{"entraObjectId": "u1"}])).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("[0].accountEnabled"), "{err}");
    }

    #[test]
    fn ill_typed_field_is_named() {
        let err = from_value::<EntraUser>(&json!({"entraObjectId": "u1", "accountEnabled": "yes"}))
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("accountEnabled"), "{err}");
    }

    #[test]
    fn null_lists_read_as_empty_and_unknown_fields_are_ignored() {
        let user: EntraUser = from_value(&json!({
            "entraObjectId": "u1", "accountEnabled": false, "otherMails": null, "surprise": 1
        }))
        .unwrap();
        assert!(user.other_mails.is_empty());
        assert!(!user.account_enabled);
    }
}
