//! hush sync engine: pull, verify, merge, push over a Transport
#![forbid(unsafe_code)]
