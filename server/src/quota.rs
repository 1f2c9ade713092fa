//! The push checks that need no write lock (docs/server.md, "Limits").
//!
//! The store's `push` is the authoritative check: it runs inside the write transaction, with the
//! sizes of the blobs each push replaces. But SQLite has one write lock for all accounts, so a push
//! that is certain to be refused should not queue for it, and hold up other accounts' pushes, only
//! to be refused there. From the account's seq and running totals (read without the lock) and the
//! push itself, some outcomes are already certain:
//! - a stale `base_seq` is a conflict: seq only grows, so it cannot become `base_seq` again.
//!   (When `base_seq` is ahead of it, refusing now is the answer the push would have got had it
//!   arrived a moment earlier.)
//! - a push of `n` distinct items leaves the account with at least `max(items, n)` items and at
//!   least the pushed bytes; if that is more than it holds now *and* more than the quota, the push
//!   is growth past the quota whatever it replaces. (A quota refuses only growth, so an account
//!   over a lowered quota can still rewrite its items: `n` below its current count never
//!   trips this.)

use hush_proto::PushedItem;

use crate::store::{AccountUsage, QuotaKind, Quotas, StoreError};

/// What a push adds up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PushSize {
    /// Its items (distinct ids, checked by `validate::pushed_items`).
    pub items: u64,
    /// The total size of its blobs.
    pub bytes: u64,
}

impl PushSize {
    /// The size of a push of `items`.
    pub(crate) fn of(items: &[PushedItem]) -> Self {
        Self { items: items.len() as u64, bytes: items.iter().map(|item| item.blob.len() as u64).sum() }
    }
}

/// Refuses a push that the store would certainly refuse, given `usage` read without the write
/// lock: [`StoreError::Conflict`] or [`StoreError::Quota`], in the store's own order.
pub(crate) fn check_before_write(
    usage: AccountUsage,
    base_seq: u64,
    push: PushSize,
    quotas: Quotas,
) -> Result<(), StoreError> {
    if base_seq != usage.seq {
        return Err(StoreError::Conflict { current: usage.seq });
    }
    let certainly_over = |at_least: u64, now: u64, max: u64| at_least > now && at_least > max;
    if certainly_over(push.items, usage.items, quotas.max_items) {
        return Err(StoreError::Quota(QuotaKind::Items));
    }
    if certainly_over(push.bytes, usage.bytes, quotas.max_bytes) {
        return Err(StoreError::Quota(QuotaKind::Bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTAS: Quotas = Quotas { max_items: 10, max_bytes: 1000 };

    fn usage(seq: u64, items: u64, bytes: u64) -> AccountUsage {
        AccountUsage { seq, items, bytes }
    }

    fn push(items: u64, bytes: u64) -> PushSize {
        PushSize { items, bytes }
    }

    fn outcome(usage: AccountUsage, base_seq: u64, size: PushSize) -> Option<String> {
        check_before_write(usage, base_seq, size, QUOTAS).err().map(|err| err.to_string())
    }

    #[test]
    fn a_stale_or_future_base_seq_is_a_conflict_first() {
        let stale = check_before_write(usage(5, 0, 0), 4, push(100, 100_000), QUOTAS);
        assert!(matches!(stale, Err(StoreError::Conflict { current: 5 })), "{stale:?}");
        let ahead = check_before_write(usage(5, 0, 0), 6, push(1, 1), QUOTAS);
        assert!(matches!(ahead, Err(StoreError::Conflict { current: 5 })), "{ahead:?}");
    }

    #[test]
    fn refuses_only_certain_growth_past_a_quota() {
        // Up to the quota: the store decides.
        assert_eq!(outcome(usage(0, 0, 0), 0, push(10, 1000)), None);
        // More items, or more bytes, in one push than the quota and than the account holds.
        assert_eq!(outcome(usage(0, 0, 0), 0, push(11, 11)), Some("quota exceeded: Items".into()));
        assert_eq!(outcome(usage(0, 3, 0), 0, push(1, 1001)), Some("quota exceeded: Bytes".into()));
        // Small pushes to a full account may be replacements: only the store can tell.
        assert_eq!(outcome(usage(0, 10, 1000), 0, push(5, 500)), None);
        // An account over a lowered quota may rewrite all of its items.
        assert_eq!(outcome(usage(0, 20, 2000), 0, push(20, 2000)), None);
        assert_eq!(outcome(usage(0, 20, 2000), 0, push(21, 10)), Some("quota exceeded: Items".into()));
    }

    #[test]
    fn size_of_a_push() {
        let item = |id: u8, len: usize| PushedItem {
            id: hush_proto::ItemId::from_bytes([id; 16]),
            blob: hush_proto::B64(vec![0; len]),
        };
        assert_eq!(PushSize::of(&[item(1, 10), item(2, 32)]), push(2, 42));
        assert_eq!(PushSize::of(&[]), push(0, 0));
    }
}
