//! The device's push numbers (docs/spec/crypto-v2.md, "Push numbers"; docs/vault-format.md,
//! "Push numbers"): `push-numbers` holds the highest number this profile ever reserved for a
//! push, as one decimal line. A number is reserved, written and synced before the push that
//! carries it is sent, and never given back: a push the server stored while its author saw a
//! failure must not share its number with the retry, or a branch grown from the stored copy
//! could pass rule 4 and drop the retry
//! (`a_branch_from_a_push_reported_as_failed_cannot_drop_the_retry` in hush-sync's tests).
//!
//! The file lives next to the vault and not in it: a sync runs without the writers' lock and
//! writes the vault only if it succeeded, while a number must stay used whatever happened.
//! `push-numbers.lock` serialises reservations between processes (a sync may run while another
//! command holds the writers' lock, so that lock cannot be used: see [`crate::profile`]).

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use crate::durable::{lock_file, write_atomic};
use crate::{Profile, VaultError};

impl Profile {
    /// `push-numbers`: the highest push number reserved.
    pub fn push_numbers(&self) -> PathBuf {
        self.dir().join("push-numbers")
    }

    /// Reserves a push number above `above` (the device's own entry in the head it holds) and
    /// above every number reserved before; it is on disk when this returns. A missing file
    /// counts as 0: a profile that lost it numbers from the head it holds, which is safe unless
    /// a push was stored without its author knowing (the threat model says so).
    pub fn reserve_push_number(&self, above: u64) -> Result<u64, VaultError> {
        self.ensure_dir()?;
        let _lock = lock_file(&self.dir().join("push-numbers.lock"))?;
        let path = self.push_numbers();
        let reserved = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map_err(|_| {
                VaultError::Corrupt(format!(
                    "{} does not hold a number; nothing was pushed. Remove the file and sync again: \
                     hush then numbers pushes from the last state it synced (docs/vault-format.md, \
                     \"Push numbers\")",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(VaultError::Io { path, source: e }),
        };
        let next = reserved
            .max(above)
            .checked_add(1)
            .ok_or_else(|| VaultError::Corrupt(format!("{} is exhausted", path.display())))?;
        write_atomic(&path, format!("{next}\n").as_bytes(), None)?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_grow_across_reservations_and_never_go_below_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().join("p"));
        assert_eq!(profile.reserve_push_number(0).unwrap(), 1);
        assert_eq!(profile.reserve_push_number(0).unwrap(), 2);
        // A head naming a higher number (a restored profile) lifts the next one above it.
        assert_eq!(profile.reserve_push_number(7).unwrap(), 8);
        // A lower head (the push reported as failed was forgotten) does not lower it.
        assert_eq!(profile.reserve_push_number(3).unwrap(), 9);
        // Another process, another Profile value: the same file.
        assert_eq!(Profile::new(dir.path().join("p")).reserve_push_number(0).unwrap(), 10);
        assert_eq!(fs::read_to_string(profile.push_numbers()).unwrap(), "10\n");
    }

    #[test]
    fn a_damaged_file_stops_the_push_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path());
        fs::write(profile.push_numbers(), "garbage").unwrap();
        let err = profile.reserve_push_number(0).unwrap_err().to_string();
        assert!(err.contains("Remove the file"), "{err}");
        assert_eq!(fs::read_to_string(profile.push_numbers()).unwrap(), "garbage");
    }

    #[test]
    fn parallel_reservations_never_share_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let got: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let p = Profile::new(dir.path());
                        (0..25).map(|_| p.reserve_push_number(0).unwrap()).collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = got.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 100, "a number was handed out twice");
        assert_eq!(sorted.last(), Some(&100));
    }
}
