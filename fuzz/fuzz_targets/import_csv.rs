//! Every CSV importer (crates/hush-import: Bitwarden, KeePassXC, 1Password, Chrome and
//! Firefox), which share one CSV reader: the first byte picks the format, the rest is the
//! file. Properties: see `hush_fuzz::check_import`.
#![no_main]

use hush_import::{bitwarden, browser, keepassxc, onepassword};
use libfuzzer_sys::fuzz_target;

type Parser = fn(&[u8], i64) -> Result<hush_import::Import, hush_import::ImportError>;

const PARSERS: [Parser; 5] = [
    bitwarden::parse_csv,
    keepassxc::parse_csv,
    onepassword::parse_csv,
    browser::parse_chrome_csv,
    browser::parse_firefox_csv,
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, csv)) = data.split_first() else { return };
    let parse = PARSERS[usize::from(which) % PARSERS.len()];
    hush_fuzz::check_import(parse(csv, hush_fuzz::NOW));
});
