//! Argon2id parameters, their floor and their ceiling (docs/spec/crypto-v2.md, "Key
//! derivation"): checked by clients before any derivation, stored and served verbatim by the
//! server, which never derives anything.

use thiserror::Error;

/// Argon2id cost parameters (docs/spec/crypto-v2.md, "Key derivation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations (passes over memory).
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The spec's floor: nothing below it is accepted without an explicit, typed opt-in.
    pub const FLOOR: KdfParams = KdfParams { m_kib: 65_536, t: 3, p: 1 };

    /// hush's defaults: 256 MiB, 3 passes, 4 lanes. Measured at about 0.45 s on a
    /// 2-core machine with argon2's `parallel` feature (docs/benchmarks.md): slow
    /// enough to cost an attacker, fast enough to unlock once per session.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 262_144, t: 3, p: 4 };

    /// The ceiling beyond which parameters are refused as excessive work, so that a
    /// malicious server cannot make a device hang or exhaust memory: 4 GiB, 64 passes,
    /// 64 lanes.
    pub const CEILING: KdfParams = KdfParams { m_kib: 4 * 1024 * 1024, t: 64, p: 64 };

    /// Whether every parameter is at or above the floor.
    pub fn meets_floor(&self) -> bool {
        self.m_kib >= Self::FLOOR.m_kib && self.t >= Self::FLOOR.t && self.p >= Self::FLOOR.p
    }

    /// Whether these parameters cost an attacker less than `other` does. A device
    /// refuses parameters weaker than those it holds for the same account, so a server
    /// cannot talk it down (docs/spec/crypto-v2.md, "Key derivation"). Fewer lanes at equal memory and
    /// passes do not make guessing cheaper, so `p` does not count.
    pub fn is_weaker_than(&self, other: &KdfParams) -> bool {
        self.m_kib < other.m_kib || self.t < other.t
    }

    /// Checks the parameters against the floor (unless `policy` allows it) and the ceiling.
    pub fn check(&self, policy: FloorPolicy) -> Result<(), KdfError> {
        let KdfParams { m_kib, t, p } = *self;
        if m_kib > Self::CEILING.m_kib || t > Self::CEILING.t || p > Self::CEILING.p {
            return Err(KdfError::ExcessiveWork { m_kib, t, p });
        }
        if policy == FloorPolicy::Enforce && !self.meets_floor() {
            return Err(KdfError::BelowFloor { m_kib, t, p });
        }
        Ok(())
    }
}

/// Whether parameters below the floor are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorPolicy {
    /// Refuse parameters below the floor (every normal path).
    Enforce,
    /// Accept them: only behind a flag a user must type on purpose (`--insecure-kdf`),
    /// for tests; the caller warns.
    AllowInsecure,
}

/// Key derivation could not run with the given parameters.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfError {
    /// The parameters are below the floor of spec section "Key derivation"
    /// (m = 64 MiB, t = 3, p = 1) and the caller did not explicitly allow it.
    #[error(
        "KDF parameters m={m_kib} KiB, t={t}, p={p} are below the minimum \
         (m=65536 KiB, t=3, p=1); refusing them"
    )]
    BelowFloor {
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Parallelism.
        p: u32,
    },
    /// The parameters are so large that deriving would exhaust this machine
    /// (attacker-chosen cost is an error of its own, never a hang).
    #[error("KDF parameters m={m_kib} KiB, t={t}, p={p} exceed what hush accepts (excessive work)")]
    ExcessiveWork {
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Parallelism.
        p: u32,
    },
    /// Argon2 itself rejected the parameters.
    #[error("invalid KDF parameters: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_enforced_unless_allowed() {
        let weak = KdfParams { m_kib: 8192, t: 2, p: 1 };
        assert!(matches!(weak.check(FloorPolicy::Enforce), Err(KdfError::BelowFloor { .. })));
        assert!(weak.check(FloorPolicy::AllowInsecure).is_ok());
        for p in [
            KdfParams { m_kib: 65_535, t: 3, p: 1 },
            KdfParams { m_kib: 65_536, t: 2, p: 1 },
            KdfParams { m_kib: 65_536, t: 3, p: 0 },
        ] {
            assert!(p.check(FloorPolicy::Enforce).is_err(), "{p:?}");
        }
        assert!(KdfParams::FLOOR.check(FloorPolicy::Enforce).is_ok());
        assert!(KdfParams::DEFAULT.check(FloorPolicy::Enforce).is_ok());
    }

    #[test]
    fn excessive_work_is_refused_even_when_insecure_is_allowed() {
        let huge = KdfParams { m_kib: u32::MAX, t: 3, p: 1 };
        assert!(matches!(huge.check(FloorPolicy::AllowInsecure), Err(KdfError::ExcessiveWork { .. })));
        let passes = KdfParams { m_kib: 65_536, t: 10_000, p: 1 };
        assert!(matches!(passes.check(FloorPolicy::Enforce), Err(KdfError::ExcessiveWork { .. })));
    }

    #[test]
    fn weaker_than() {
        let held = KdfParams::DEFAULT;
        assert!(KdfParams { m_kib: 65_536, ..held }.is_weaker_than(&held));
        assert!(KdfParams { t: 2, ..held }.is_weaker_than(&held));
        assert!(!KdfParams { p: 1, ..held }.is_weaker_than(&held));
        assert!(!held.is_weaker_than(&held));
    }
}
