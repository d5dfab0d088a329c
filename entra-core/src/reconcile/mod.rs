//! The contact-sync planner: `plan_tenant_sync` and its reference applier `apply_plan`.
