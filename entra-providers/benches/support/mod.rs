//! Data shared by the provider benchmarks.

use serde_json::{Value, json};

/// User `i` as Graph answers it with every contract property selected (and a few it does not
/// read): one row of a `/v1.0/users` page, or of CIPP's `ListGraphRequest` before CIPP's own
/// columns. One user in 7 is disabled, one in 11 a guest.
pub fn graph_user(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "userPrincipalName": format!("user{i}@contoso.com"),
        "mail": format!("user{i}@contoso.com"),
        "otherMails": [],
        "proxyAddresses": [format!("SMTP:user{i}@contoso.com"), format!("smtp:u{i}@contoso.onmicrosoft.com")],
        "displayName": format!("User Number {i}"),
        "givenName": "User",
        "surname": format!("Number {i}"),
        "accountEnabled": !i.is_multiple_of(7),
        "userType": if i.is_multiple_of(11) { "Guest" } else { "Member" },
        "jobTitle": "Engineer",
        "mobilePhone": null,
        "businessPhones": ["+1 425 555 0100"],
        "department": "R&D",
        "companyName": null,
        "onPremisesSyncEnabled": null,
        "assignedLicenses": [{"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
        "createdDateTime": "2024-03-01T09:15:00Z"
    })
}
