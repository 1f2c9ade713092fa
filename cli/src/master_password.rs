//! The strength check of a new master password (`hush init`, `hush passwd`; issue #10, point
//! 1): the estimate is `hush_audit::master`'s, the words said to the user are here.

use hush_audit::master::{MIN_GPU_YEARS, MasterStrength};
use hush_crypto::KdfParams;

/// The flag that skips the check, named in every refusal.
pub(crate) const OVERRIDE_FLAG: &str = "--insecure-weak-password";

/// zxcvbn's estimate for `password` under `params`, with the words any attacker would try first
/// for this user: "hush" and the login name.
pub(crate) fn estimate(password: &str, params: &KdfParams) -> MasterStrength {
    let user = std::env::var("USER").unwrap_or_default();
    let mut inputs = vec!["hush"];
    if !user.is_empty() {
        inputs.push(&user);
    }
    MasterStrength::estimate(password, params, &inputs)
}

/// Why `password` is refused, in full (zxcvbn's feedback, the cost of guessing it, what to
/// do instead); `None` when it is strong enough.
pub(crate) fn refusal(strength: &MasterStrength, params: &KdfParams) -> Option<String> {
    if strength.is_strong_enough() {
        return None;
    }
    let feedback = strength.feedback();
    let zxcvbn = if feedback.is_empty() { String::new() } else { format!(" {feedback}") };
    Some(format!(
        "This master password is too easy to guess.{zxcvbn}\n\
         If someone steals this device's vault.hush and account.key, {}.\n\
         hush asks for at least {MIN_GPU_YEARS:.0} GPU-years of guessing.\n\
         {}.\n\
         Use a passphrase of random words instead: `hush gen --words 6` makes one (77 bits).",
        strength.cost_sentence(),
        strength.assumptions(params),
    ))
}

/// The line said when a new master password is accepted, or when the check is overridden.
pub(crate) fn verdict(strength: &MasterStrength) -> String {
    if strength.is_strong_enough() {
        format!("Master password strength: if this device's files are stolen, {}.", strength.cost_sentence())
    } else {
        format!(
            "warning: {OVERRIDE_FLAG}: this master password is weak; if this device's files are stolen, {}.",
            strength.cost_sentence()
        )
    }
}
