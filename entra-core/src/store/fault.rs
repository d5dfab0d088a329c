//! A deliberate failure inside a plan write, used to prove that stores write plans all or
//! nothing: the store fails after a number of record writes, inside its transaction.

#[cfg(feature = "engine")]
use std::sync::Mutex;

#[cfg(feature = "engine")]
use super::error::StoreError;

/// Makes [`crate::store::SyncStore::apply_changes`] fail after `after_writes` record writes, for
/// one tenant (or every tenant), until cleared. Meant for crash-safety tests of hosts and stores.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyFault {
    pub entra_tenant_id: Option<String>,
    pub after_writes: usize,
}

#[cfg(feature = "engine")]
#[derive(Debug, Default)]
pub(crate) struct FaultSlot(Mutex<Option<ApplyFault>>);

#[cfg(feature = "engine")]
impl FaultSlot {
    pub(crate) fn set(&self, fault: Option<ApplyFault>) {
        match self.0.lock() {
            Ok(mut slot) => *slot = fault,
            Err(poisoned) => *poisoned.into_inner() = fault,
        }
    }

    /// The number of writes after which this apply must fail, if it must.
    pub(crate) fn limit_for(&self, entra_tenant_id: &str) -> Option<usize> {
        let slot = match self.0.lock() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        slot.filter(|f| {
            f.entra_tenant_id
                .as_deref()
                .is_none_or(|t| t == entra_tenant_id)
        })
        .map(|f| f.after_writes)
    }
}

/// Counts writes within one apply and fails once the limit is reached.
#[cfg(feature = "engine")]
pub(crate) struct WriteCounter {
    limit: Option<usize>,
    done: usize,
}

#[cfg(feature = "engine")]
impl WriteCounter {
    pub(crate) fn new(limit: Option<usize>) -> Self {
        Self { limit, done: 0 }
    }

    /// Call before each record write.
    pub(crate) fn tick(&mut self) -> Result<(), StoreError> {
        if self.limit.is_some_and(|limit| self.done >= limit) {
            return Err(StoreError::InjectedFault {
                message: format!("apply interrupted after {} writes", self.done),
            });
        }
        self.done += 1;
        Ok(())
    }
}
