//! Settings in layers: the built-in defaults, then the PSA account's defaults, then one tenant's
//! overrides. Each layer sets any subset of the top-level [`SyncSettings`] fields; the effective
//! value of a field is the one of the most specific layer that sets it, and hosts can show where
//! it came from ([`SettingSource`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::settings::{FieldSync, FilterOptions, MassInactivation, SyncSettings, check_interval};
use crate::CoreError;

/// One layer of settings: every field optional, absent means "inherit". Unknown keys are refused
/// (a misspelled override would otherwise silently do nothing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_sync: Option<FieldSync>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_inactive_when_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivate_when_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_inactivation: Option<MassInactivation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_mass_inactivation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivate_when_leaving_group_scope: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval_minutes: Option<u32>,
}

impl SettingsOverrides {
    /// Reads a layer from its camelCase JSON; a wrong type or an unknown key is `invalid_input`
    /// naming the key, an interval outside `5..=10080` is `invalid_input` too.
    pub fn from_json(value: &Value) -> Result<Self, CoreError> {
        let layer: Self = crate::json::from_value(value)?;
        layer.validate()?;
        Ok(layer)
    }

    /// Checks the values no type can express.
    pub fn validate(&self) -> Result<(), CoreError> {
        if let Some(minutes) = self.sync_interval_minutes {
            check_interval(minutes)?;
        }
        Ok(())
    }

    /// Whether the layer sets nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A layer that sets every field: what a full [`SyncSettings`] saved for a tenant means.
impl From<&SyncSettings> for SettingsOverrides {
    fn from(s: &SyncSettings) -> Self {
        Self {
            field_sync: Some(s.field_sync),
            mark_inactive_when_disabled: Some(s.mark_inactive_when_disabled),
            reactivate_when_enabled: Some(s.reactivate_when_enabled),
            filter: Some(s.filter.clone()),
            mass_inactivation: Some(s.mass_inactivation),
            allow_mass_inactivation: Some(s.allow_mass_inactivation),
            inactivate_when_leaving_group_scope: Some(s.inactivate_when_leaving_group_scope),
            sync_enabled: Some(s.sync_enabled),
            sync_interval_minutes: Some(s.sync_interval_minutes),
        }
    }
}

/// Which layer an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// The library's built-in default.
    Default,
    /// The PSA account's defaults.
    Account,
    /// The tenant's own override.
    Tenant,
}

/// One field's effective value and the layer it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedSetting {
    pub value: Value,
    pub source: SettingSource,
}

/// The effective settings of a tenant, and per top-level field (camelCase name) its value and
/// source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedSettings {
    pub effective: SyncSettings,
    pub fields: BTreeMap<String, ResolvedSetting>,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn to_object<T: Serialize>(value: &T) -> Result<Map<String, Value>, CoreError> {
    serde_json::to_value(value)
        .map(object)
        .map_err(|e| CoreError::invalid_input(e.to_string()))
}

/// Resolves a tenant's settings: the built-in defaults, then `account`, then `tenant`, field by
/// field. Pure; the result is `invalid_input` only when a layer holds an out-of-range value.
pub fn resolve_settings(
    account: &SettingsOverrides,
    tenant: &SettingsOverrides,
) -> Result<ResolvedSettings, CoreError> {
    account.validate()?;
    tenant.validate()?;
    let defaults = to_object(&SyncSettings::default())?;
    let account = to_object(account)?;
    let tenant = to_object(tenant)?;
    let mut merged = Map::new();
    let mut fields = BTreeMap::new();
    for (name, default) in defaults {
        let (value, source) = if let Some(v) = tenant.get(&name) {
            (v.clone(), SettingSource::Tenant)
        } else if let Some(v) = account.get(&name) {
            (v.clone(), SettingSource::Account)
        } else {
            (default, SettingSource::Default)
        };
        merged.insert(name.clone(), value.clone());
        fields.insert(name, ResolvedSetting { value, source });
    }
    let effective: SyncSettings = crate::json::from_value(&Value::Object(merged))?;
    Ok(ResolvedSettings { effective, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_field_comes_from_the_most_specific_layer_that_sets_it() -> Result<(), CoreError> {
        // (account layer, tenant layer, field, expected value, expected source)
        let cases = [
            (
                json!({}),
                json!({}),
                "syncEnabled",
                json!(true),
                SettingSource::Default,
            ),
            (
                json!({}),
                json!({}),
                "syncIntervalMinutes",
                json!(1440),
                SettingSource::Default,
            ),
            (
                json!({"syncIntervalMinutes": 60}),
                json!({}),
                "syncIntervalMinutes",
                json!(60),
                SettingSource::Account,
            ),
            (
                json!({"syncEnabled": false}),
                json!({"syncEnabled": true}),
                "syncEnabled",
                json!(true),
                SettingSource::Tenant,
            ),
            (
                json!({"syncEnabled": false}),
                json!({"syncIntervalMinutes": 5}),
                "syncEnabled",
                json!(false),
                SettingSource::Account,
            ),
            (
                json!({}),
                json!({"fieldSync": {"email": true}}),
                "fieldSync",
                json!({"displayName": false, "email": true, "phone": false, "jobTitle": false, "upn": false}),
                SettingSource::Tenant,
            ),
        ];
        for (account, tenant, field, value, source) in cases {
            let resolved = resolve_settings(
                &SettingsOverrides::from_json(&account)?,
                &SettingsOverrides::from_json(&tenant)?,
            )?;
            let got = &resolved.fields[field];
            assert_eq!(
                (&got.value, got.source),
                (&value, source),
                "{account} {tenant}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_effective_settings_follow_the_resolved_fields() -> Result<(), CoreError> {
        let resolved = resolve_settings(
            &SettingsOverrides::from_json(
                &json!({"syncEnabled": false, "syncIntervalMinutes": 30}),
            )?,
            &SettingsOverrides::from_json(&json!({"syncIntervalMinutes": 10080}))?,
        )?;
        assert!(!resolved.effective.sync_enabled);
        assert_eq!(resolved.effective.sync_interval_minutes, 10_080);
        let fields = to_object(&SyncSettings::default())?.len();
        assert_eq!(
            resolved.fields.len(),
            fields,
            "every top-level field is listed"
        );
        // A full record sets every field a layer can, so no setting can be left out of a layer.
        let full = to_object(&SettingsOverrides::from(&SyncSettings::default()))?;
        assert_eq!(full.len(), fields, "every settings field has its override");
        Ok(())
    }

    #[test]
    fn out_of_range_intervals_and_unknown_keys_are_invalid_input() {
        // (layer, text the message must name)
        let cases = [
            (json!({"syncIntervalMinutes": 4}), "syncIntervalMinutes"),
            (json!({"syncIntervalMinutes": 10081}), "syncIntervalMinutes"),
            (json!({"syncIntervalMinutes": 0}), "syncIntervalMinutes"),
            (json!({"syncIntervalMinutes": -5}), "syncIntervalMinutes"),
            (json!({"syncEnabled": "yes"}), "syncEnabled"),
            (json!({"syncEnabeld": false}), "syncEnabeld"),
        ];
        for (layer, named) in cases {
            let err = SettingsOverrides::from_json(&layer).err();
            let err = err.unwrap_or_else(|| panic!("accepted {layer}"));
            assert_eq!(err.code(), "invalid_input", "{layer}");
            assert!(err.to_string().contains(named), "{layer}: {err}");
        }
    }

    #[test]
    fn the_interval_bounds_themselves_are_accepted() -> Result<(), CoreError> {
        for minutes in [5, 1440, 10080] {
            SettingsOverrides::from_json(&json!({ "syncIntervalMinutes": minutes }))?;
        }
        Ok(())
    }

    #[test]
    fn a_full_settings_record_overrides_every_field() -> Result<(), CoreError> {
        let full = SettingsOverrides::from(&SyncSettings::default());
        let resolved = resolve_settings(
            &SettingsOverrides::from_json(&json!({"syncEnabled": false}))?,
            &full,
        )?;
        assert!(
            resolved
                .fields
                .values()
                .all(|f| f.source == SettingSource::Tenant)
        );
        assert!(resolved.effective.sync_enabled);
        Ok(())
    }
}
