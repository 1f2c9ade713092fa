//! The only `unsafe` in hush-cli: pinning the agent's copy of the key ring in RAM
//! with `mlock(2)`, so that it is never written to swap (docs/agent-and-clipboard.md,
//! "The agent": key material mlocked, zeroized on drop).
//!
//! `rustix::mm::mlock` is `unsafe` only because it takes a raw pointer; it neither
//! reads nor writes the memory. The crate root denies `unsafe_code` and this module
//! alone allows it.
#![allow(unsafe_code)]

use std::ffi::c_void;

use zeroize::Zeroize;

/// Key material in its own heap allocation, locked in RAM when the system allows it and
/// zeroized before it is unlocked and freed.
pub(super) struct LockedKey {
    bytes: Box<[u8]>,
    locked: bool,
}

impl LockedKey {
    /// Copies `key` into a fresh locked buffer. A failed `mlock` (for example
    /// `RLIMIT_MEMLOCK` of 0) is returned as a warning: refusing to unlock would only
    /// push the user to `--no-agent` and a prompt on every command, which is worse.
    pub(super) fn new(key: &[u8]) -> (LockedKey, Option<String>) {
        let len = key.len().max(1);
        let mut bytes = vec![0u8; len].into_boxed_slice();
        let ptr = bytes.as_mut_ptr().cast::<c_void>();
        // SAFETY: `ptr` and `len` describe exactly the live heap allocation owned by
        // `bytes`, which outlives the lock: `Drop` unlocks it before the Box is freed.
        // mlock only pins the pages that contain the range; it does not access them.
        // Locking before the copy means the key never lands in a swappable page.
        let result = unsafe { rustix::mm::mlock(ptr, len) };
        bytes[..key.len()].copy_from_slice(key);
        let warning = result
            .err()
            .map(|e| format!("cannot lock the key in memory (mlock: {e}); it could be written to swap"));
        (LockedKey { bytes, locked: warning.is_none() }, warning)
    }

    /// The key bytes. Keep the borrow short.
    pub(super) fn expose(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for LockedKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
        if self.locked {
            let ptr = self.bytes.as_mut_ptr().cast::<c_void>();
            // SAFETY: the same allocation that `new` locked, still alive (the Box is freed
            // only after this returns). munlock does not access the memory.
            let _ = unsafe { rustix::mm::munlock(ptr, self.bytes.len()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_key() {
        let (k, _warning) = LockedKey::new(&[9u8; 76]);
        assert_eq!(k.expose(), &[9u8; 76]);
    }
}
