//! TOTP secrets as users paste them and importers find them: `otpauth://totp/...` URIs (Key
//! Uri Format) and bare Base32 secrets (crates/hush-totp).
//!
//! Properties: parsing never panics; a secret that parses is stored as its URI, which parses
//! back to the same secret and parameters (what `hush add --totp` stores is what `hush totp`
//! reads); and its codes have the promised number of digits at any time, the extremes
//! included.
#![no_main]

use hush_totp::Totp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(totp) = Totp::parse(text) else { return };
    let uri = totp.to_uri();
    let again = Totp::parse(&uri).expect("a stored URI parses");
    assert!(again == totp, "a TOTP secret changed through its URI");
    assert_eq!(again.to_uri(), uri);
    for time in [0, 59, 1_111_111_109, u64::MAX] {
        assert_eq!(totp.code_at(time).len(), totp.digits() as usize);
    }
});
