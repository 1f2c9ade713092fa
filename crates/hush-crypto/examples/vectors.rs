//! Prints the known-answer vectors of crypto v2 (docs/spec/crypto-v2.md) as JSON:
//!
//! ```text
//! cargo run -p hush-crypto --example vectors > docs/spec/crypto-v2-vectors.json
//! ```
//!
//! The output is deterministic (fixed keys, ids, nonces and salts). The generator itself is in
//! `vectors/generate.rs`, which `tests/vectors_v2.rs` includes too, so that the test can check that
//! the committed file is exactly what this prints.

#[path = "vectors/generate.rs"]
mod generate;

fn main() {
    print!("{}", generate::vectors_json());
}
