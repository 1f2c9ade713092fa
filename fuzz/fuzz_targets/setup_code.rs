//! The setup code (docs/spec/crypto-v2.md, "Setup code"), typed or pasted by the user at
//! `hush login` on a new device.
//!
//! Properties: parsing never panics on any text; a code that parses is the code of the account
//! id and key it yields (encoding those and parsing again gives the same pair), so lower case,
//! missing dashes and white space never change what a code means.
#![no_main]

use hush_crypto::SetupCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok((account_id, key)) = SetupCode::parse(text) else { return };
    let code = SetupCode::encode(&account_id, &key);
    let (again_id, again_key) = SetupCode::parse(&code).expect("an encoded setup code parses");
    assert_eq!(again_id, account_id);
    assert!(again_key.expose() == key.expose(), "a setup code names another key");
    assert_eq!(SetupCode::encode(&again_id, &again_key), code);
});
