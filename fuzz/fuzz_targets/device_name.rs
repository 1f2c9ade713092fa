//! Device names (docs/spec/crypto-v2.md, "Device names"): checked before a device seals its
//! own, and again when it shows the names the server lists, which other devices sealed.
//!
//! Properties: the check never panics; every name it accepts seals to exactly
//! `SEALED_NAME_LEN` bytes and opens back to itself; and any other byte string of a sealed
//! name's length does not open (only the account's devices hold the key).
#![no_main]

use hush_crypto::{AccountId, AccountKey, DeviceNameKey, SEALED_NAME_LEN, check_device_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = DeviceNameKey::derive(&AccountId([7; 16]), &AccountKey::from_slice(&[9; 16]).expect("16 bytes"));
    if data.len() == SEALED_NAME_LEN {
        assert!(key.open(data).is_err(), "a name the fuzzer made opened");
    }
    let Ok(name) = std::str::from_utf8(data) else { return };
    if check_device_name(name).is_err() {
        assert!(key.seal(name).is_err(), "a refused name was sealed");
        return;
    }
    let sealed = key.seal(name).expect("an accepted name seals");
    assert_eq!(sealed.len(), SEALED_NAME_LEN);
    assert_eq!(key.open(&sealed).expect("a sealed name opens"), name);
});
