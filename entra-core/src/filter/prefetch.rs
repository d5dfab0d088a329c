//! Asking the memory for a user's texts before the filter reads them.
//!
//! Classifying a user is mostly waiting: its UPN, mail, display name and type are four separate
//! heap strings the listing left wherever the allocator put them, and the first byte read of each
//! is a cache miss. The loops over a listing name the texts of a user a few places ahead, so
//! those misses overlap with the classification of the users in between.

use crate::model::EntraUser;

/// How many users ahead of the one being classified the loops ask for. The texts arrive within a
/// few users' work; further ahead gained nothing on the development machine, where a million
/// users are bound by the memory's bandwidth rather than by its latency.
const AHEAD: usize = 4;

/// Starts loading the texts of the user `AHEAD` places after `index` in `users`, if any.
#[inline(always)]
pub(super) fn ahead_of(users: &[EntraUser], index: usize) {
    if let Some(user) = users.get(index + AHEAD) {
        texts(user);
    }
}

/// Starts loading the texts `UserFilter::classify` reads of `user`; a hint only (no effect on
/// the result, nothing on targets without a prefetch instruction).
#[inline(always)]
fn texts(user: &EntraUser) {
    for text in [
        user.user_principal_name.as_deref(),
        user.email.as_deref(),
        user.display_name.as_deref(),
        user.user_type.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        line(text.as_ptr());
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn line(at: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault, whatever the address
    // (here always the start of a live string). SSE is part of every x86_64 target.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn line(_at: *const u8) {}
