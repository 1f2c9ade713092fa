//! Tests of TOTP: the RFC vectors, then parsing, each negative case saying in
//! its comment what it rejects.

use proptest::prelude::*;

use super::*;

const RFC4226_SECRET: &[u8] = b"12345678901234567890";

/// The 20/32/64-byte ASCII seeds of RFC 6238 Appendix B for each hash.
fn rfc6238_seed(algorithm: Algorithm) -> &'static [u8] {
    match algorithm {
        Algorithm::Sha1 => b"12345678901234567890",
        Algorithm::Sha256 => b"12345678901234567890123456789012",
        Algorithm::Sha512 => b"1234567890123456789012345678901234567890123456789012345678901234",
    }
}

fn totp(secret: &[u8]) -> Totp {
    Totp::new(secret.to_vec(), Algorithm::Sha1, 6, 30).unwrap()
}

/// RFC 4226 Appendix D: HMAC-SHA-1 values, truncated values and 6-digit HOTP
/// codes for counters 0 to 9 and the secret "12345678901234567890".
#[test]
fn rfc4226_appendix_d() {
    let vectors = [
        ("cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"),
        ("75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"),
        ("0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"),
        ("66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"),
        ("a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"),
        ("a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"),
        ("bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"),
        ("a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"),
        ("1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"),
        ("1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"),
    ];
    for (counter, (mac_hex, truncated, code)) in (0u64..).zip(vectors) {
        let mac = hmac(Algorithm::Sha1, RFC4226_SECRET, &counter.to_be_bytes());
        assert_eq!(hex::encode(&mac), mac_hex, "HMAC for counter {counter}");
        assert_eq!(dynamic_truncation(&mac), truncated, "counter {counter}");
        assert_eq!(hotp(RFC4226_SECRET, Algorithm::Sha1, counter, 6), code);
        // A TOTP is the HOTP of ⌊t / period⌋.
        assert_eq!(totp(RFC4226_SECRET).code_at(counter * 30 + 29), code);
    }
}

/// RFC 4226 §5.4's worked example of dynamic truncation.
#[test]
fn rfc4226_section_5_4_truncation_example() {
    let mac = hex::decode("1f8698690e02ca16618550ef7f19da8e945b555a").unwrap();
    assert_eq!(dynamic_truncation(&mac), 0x50ef7f19);
    assert_eq!(dynamic_truncation(&mac) % 1_000_000, 872921);
}

/// RFC 6238 Appendix B: every test vector, 8 digits, 30-second period.
#[test]
fn rfc6238_appendix_b() {
    use Algorithm::{Sha1, Sha256, Sha512};
    let vectors: [(u64, Algorithm, &str); 18] = [
        (59, Sha1, "94287082"),
        (59, Sha256, "46119246"),
        (59, Sha512, "90693936"),
        (1111111109, Sha1, "07081804"),
        (1111111109, Sha256, "68084774"),
        (1111111109, Sha512, "25091201"),
        (1111111111, Sha1, "14050471"),
        (1111111111, Sha256, "67062674"),
        (1111111111, Sha512, "99943326"),
        (1234567890, Sha1, "89005924"),
        (1234567890, Sha256, "91819424"),
        (1234567890, Sha512, "93441116"),
        (2000000000, Sha1, "69279037"),
        (2000000000, Sha256, "90698825"),
        (2000000000, Sha512, "38618901"),
        (20000000000, Sha1, "65353130"),
        (20000000000, Sha256, "77737706"),
        (20000000000, Sha512, "47863826"),
    ];
    for (time, algorithm, code) in vectors {
        let totp = Totp::new(rfc6238_seed(algorithm).to_vec(), algorithm, 8, 30).unwrap();
        assert_eq!(totp.code_at(time), code, "{algorithm} at {time}");
    }
}

/// Codes are zero-padded, and shorter codes are the low digits of longer ones.
#[test]
fn codes_are_zero_padded_to_digits() {
    // RFC 6238: SHA-1 at 1111111109 is 07081804.
    let seed = rfc6238_seed(Algorithm::Sha1).to_vec();
    for (digits, code) in [(6, "081804"), (7, "7081804"), (8, "07081804")] {
        let totp = Totp::new(seed.clone(), Algorithm::Sha1, digits, 30).unwrap();
        assert_eq!(totp.code_at(1111111109), code);
    }
}

/// Keys longer than the hash block (64 bytes for SHA-1) are hashed first
/// (RFC 2104 §2): RFC 2202 test case 6, an 80-byte key.
#[test]
fn long_keys_are_hashed() {
    let mac = hmac(Algorithm::Sha1, &[0xaau8; 80], b"Test Using Larger Than Block-Size Key - Hash Key First");
    assert_eq!(hex::encode(mac), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

#[test]
fn at_reports_the_seconds_left_in_the_period() {
    let t = totp(RFC4226_SECRET);
    assert_eq!(t.at(59), TotpCode { code: "287082".into(), remaining_secs: 1 });
    assert_eq!(t.at(60).remaining_secs, 30);
    assert_eq!(t.at(60).code, "359152");
    let minute = Totp::new(RFC4226_SECRET.to_vec(), Algorithm::Sha1, 6, 60).unwrap();
    assert_eq!(minute.at(61).remaining_secs, 59);
}

#[test]
fn now_matches_the_system_clock() {
    let t = totp(RFC4226_SECRET);
    let clock = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let before = clock();
    let now = t.now();
    let after = clock();
    assert!(now.code == t.code_at(before) || now.code == t.code_at(after));
    assert!((1..=30).contains(&now.remaining_secs));
}

#[test]
fn new_rejects_invalid_parameters() {
    let secret = || RFC4226_SECRET.to_vec();
    assert_eq!(Totp::new(vec![], Algorithm::Sha1, 6, 30), Err(TotpError::EmptySecret));
    for digits in [0, 5, 9, 10] {
        assert_eq!(
            Totp::new(secret(), Algorithm::Sha1, digits, 30),
            Err(TotpError::InvalidDigits { value: digits.to_string() })
        );
    }
    for period in [0, MAX_PERIOD + 1, u64::MAX] {
        assert_eq!(
            Totp::new(secret(), Algorithm::Sha1, 6, period),
            Err(TotpError::InvalidPeriod { value: period.to_string() })
        );
    }
    for digits in 6..=8 {
        assert!(Totp::new(secret(), Algorithm::Sha512, digits, MAX_PERIOD).is_ok());
    }
    assert!(Totp::new(secret(), Algorithm::Sha256, 6, 1).is_ok());
}

#[test]
fn names_are_trimmed_and_colons_rejected() {
    let t = totp(b"k").with_issuer("  ACME Co ").unwrap().with_account(" bob ").unwrap();
    assert_eq!((t.issuer(), t.account()), (Some("ACME Co"), Some("bob")));
    let mut t = t;
    t.set_issuer(Some("   ")).unwrap();
    t.set_account(None).unwrap();
    assert_eq!((t.issuer(), t.account()), (None, None));
    assert_eq!(totp(b"k").with_issuer("a:b"), Err(TotpError::ColonInName { field: "issuer" }));
    assert_eq!(totp(b"k").with_account("a:b"), Err(TotpError::ColonInName { field: "account" }));
}

// ---- Bare Base32 secrets ----------------------------------------------------

/// "Hello!" followed by 0xDEADBEEF: the secret of Google's documentation example.
const HELLO: &[u8] = b"Hello!\xde\xad\xbe\xef";

#[test]
fn bare_secrets_are_base32_with_defaults() {
    let t = Totp::parse("JBSWY3DPEHPK3PXP").unwrap();
    assert_eq!(t.secret(), HELLO);
    assert_eq!(t.algorithm(), Algorithm::Sha1);
    assert_eq!((t.digits(), t.period()), (6, 30));
    assert_eq!((t.issuer(), t.account()), (None, None));

    // Case, whitespace (as sites group secrets) and padding are ignored.
    for input in ["jbswy3dpehpk3pxp", "jbsw y3dp ehpk 3pxp", "  JBSW\tY3DP\nEHPK 3PXP  ", "JbSwY3dPeHpK3pXp"]
    {
        assert_eq!(Totp::parse(input).unwrap().secret(), HELLO, "{input:?}");
    }
    // RFC 4648 §10 test vectors, with and without padding.
    for (input, bytes) in [
        ("MY======", &b"f"[..]),
        ("MZXQ====", b"fo"),
        ("MZXW6===", b"foo"),
        ("MZXW6YQ=", b"foob"),
        ("MZXW6YTB", b"fooba"),
        ("MZXW6YTBOI======", b"foobar"),
        ("mzxw6ytboi", b"foobar"),
    ] {
        assert_eq!(Totp::parse(input).unwrap().secret(), bytes, "{input:?}");
    }
    // A last character with stray low bits (random Base32, not encoded bytes)
    // is accepted as authenticator apps accept it: "MZ" and "M3" both give "f".
    assert_eq!(Totp::parse("M3").unwrap().secret(), b"f");
}

#[test]
fn bare_secret_errors() {
    // Empty, blank or padding only.
    for input in ["", "   ", "====", " = "] {
        assert_eq!(Totp::parse(input), Err(TotpError::EmptySecret), "{input:?}");
    }
    // Digits 0, 1, 8, 9 are not Base32 (a common misreading of O, I, B).
    assert_eq!(Totp::parse("JBSWY3DPEHPK3PX1"), Err(TotpError::InvalidBase32Character { character: '1' }));
    // Non-ASCII characters are reported whole.
    assert_eq!(Totp::parse("JBSWY3DPÉHPK3PXP"), Err(TotpError::InvalidBase32Character { character: 'É' }));
    // Padding in the middle is not padding.
    assert_eq!(Totp::parse("MZXW=6=="), Err(TotpError::InvalidBase32Character { character: '=' }));
    // 1, 3 or 6 characters past a multiple of 8 is no Base32 length.
    for input in ["J", "JBS", "JBSWY3", "JBSWY3DPE"] {
        assert_eq!(
            Totp::parse(input),
            Err(TotpError::InvalidBase32Length { length: input.len() }),
            "{input:?}"
        );
    }
}

// ---- otpauth:// URIs: accepted -----------------------------------------------

#[test]
fn google_key_uri_format_example() {
    let t = Totp::parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
        .unwrap();
    assert_eq!(t.secret(), HELLO);
    assert_eq!((t.issuer(), t.account()), (Some("Example"), Some("alice@google.com")));
    assert_eq!((t.algorithm(), t.digits(), t.period()), (Algorithm::Sha1, 6, 30));
}

#[test]
fn all_parameters_are_read() {
    let t = Totp::parse(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\
         &issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60",
    )
    .unwrap();
    assert_eq!((t.issuer(), t.account()), (Some("ACME Co"), Some("john.doe@email.com")));
    assert_eq!((t.algorithm(), t.digits(), t.period()), (Algorithm::Sha256, 8, 60));
    assert_eq!(t.secret().len(), 20);
}

#[test]
fn uri_variants_are_accepted() {
    let cases: [(&str, Option<&str>, Option<&str>); 12] = [
        // The issuer parameter wins over the label's issuer.
        ("otpauth://totp/Old:bob?secret=JBSWY3DPEHPK3PXP&issuer=New", Some("New"), Some("bob")),
        // Label issuer only.
        ("otpauth://totp/Label:bob?secret=JBSWY3DPEHPK3PXP", Some("Label"), Some("bob")),
        // Account only, issuer parameter only.
        ("otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP&issuer=Param", Some("Param"), Some("bob")),
        // An empty issuer parameter does not erase the label's issuer.
        ("otpauth://totp/L:bob?secret=JBSWY3DPEHPK3PXP&issuer=", Some("L"), Some("bob")),
        // Spaces may precede the account (Key Uri Format), literal or encoded.
        ("otpauth://totp/Ex:%20%20bob?secret=JBSWY3DPEHPK3PXP", Some("Ex"), Some("bob")),
        // An encoded colon separates too.
        ("otpauth://totp/Ex%3Abob?secret=JBSWY3DPEHPK3PXP", Some("Ex"), Some("bob")),
        // No label at all, with and without the slash.
        ("otpauth://totp/?secret=JBSWY3DPEHPK3PXP", None, None),
        ("otpauth://totp?secret=JBSWY3DPEHPK3PXP", None, None),
        // Scheme, type, parameter names and values in any case; padding and
        // lowercase in the secret; unknown parameters and fragments ignored.
        (
            "OTPAUTH://TOTP/x?SECRET=jbswy3dpehpk3pxp%3D%3D%3D&Algorithm=sha1&image=https%3A%2F%2Fa#f",
            None,
            Some("x"),
        ),
        // Form-encoded '+' in a parameter is a space; in the label it is a plus.
        ("otpauth://totp/a+b?secret=JBSWY3DPEHPK3PXP&issuer=A+B", Some("A B"), Some("a+b")),
        // UTF-8 names.
        ("otpauth://totp/%C3%A9t%C3%A9:%E2%82%AC?secret=JBSWY3DPEHPK3PXP", Some("été"), Some("€")),
        // Surrounding whitespace from copy and paste.
        ("\n otpauth://totp/a?secret=JBSWY3DPEHPK3PXP \n", None, Some("a")),
    ];
    for (uri, issuer, account) in cases {
        let t = Totp::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(t.secret(), HELLO, "{uri}");
        assert_eq!((t.issuer(), t.account()), (issuer, account), "{uri}");
    }
    assert_eq!(
        Totp::parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=sha512").unwrap().algorithm(),
        Algorithm::Sha512
    );
}

// ---- otpauth:// URIs: rejected -----------------------------------------------

#[test]
fn uri_errors_say_what_is_wrong() {
    let s = "secret=JBSWY3DPEHPK3PXP";
    let cases: Vec<(String, TotpError)> = vec![
        // Counter-based codes are not supported.
        (format!("otpauth://hotp/x?{s}&counter=0"), TotpError::UnsupportedType { kind: "hotp".into() }),
        // Unknown OTP type.
        (format!("otpauth://motp/x?{s}"), TotpError::UnsupportedType { kind: "motp".into() }),
        // No secret, or an empty one.
        ("otpauth://totp/x?issuer=A".into(), TotpError::MissingSecret),
        ("otpauth://totp/x".into(), TotpError::MissingSecret),
        ("otpauth://totp/x?secret=".into(), TotpError::EmptySecret),
        // Bad Base32 in the secret.
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PX0".into(),
            TotpError::InvalidBase32Character { character: '0' },
        ),
        ("otpauth://totp/x?secret=JBSWY3".into(), TotpError::InvalidBase32Length { length: 6 }),
        // Unknown algorithms.
        (format!("otpauth://totp/x?{s}&algorithm=MD5"), TotpError::UnknownAlgorithm { value: "MD5".into() }),
        (
            format!("otpauth://totp/x?{s}&algorithm=SHA-256"),
            TotpError::UnknownAlgorithm { value: "SHA-256".into() },
        ),
        // Digits out of range or not a number.
        (format!("otpauth://totp/x?{s}&digits=5"), TotpError::InvalidDigits { value: "5".into() }),
        (format!("otpauth://totp/x?{s}&digits=9"), TotpError::InvalidDigits { value: "9".into() }),
        (format!("otpauth://totp/x?{s}&digits=six"), TotpError::InvalidDigits { value: "six".into() }),
        (format!("otpauth://totp/x?{s}&digits="), TotpError::InvalidDigits { value: String::new() }),
        // Period zero, negative, too long or not a number.
        (format!("otpauth://totp/x?{s}&period=0"), TotpError::InvalidPeriod { value: "0".into() }),
        (format!("otpauth://totp/x?{s}&period=-30"), TotpError::InvalidPeriod { value: "-30".into() }),
        (format!("otpauth://totp/x?{s}&period=86401"), TotpError::InvalidPeriod { value: "86401".into() }),
        (format!("otpauth://totp/x?{s}&period=30s"), TotpError::InvalidPeriod { value: "30s".into() }),
        // A repeated parameter is ambiguous.
        (format!("otpauth://totp/x?{s}&secret=MZXW6YTB"), TotpError::DuplicateParameter { name: "secret" }),
        (format!("otpauth://totp/x?{s}&digits=6&Digits=8"), TotpError::DuplicateParameter { name: "digits" }),
        // Not otpauth.
        (
            "https://example.com/?secret=JBSWY3DPEHPK3PXP".into(),
            TotpError::UnsupportedScheme { scheme: "https".into() },
        ),
        // A Google Authenticator export.
        ("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8".into(), TotpError::MigrationUri),
        // More than one colon in the label: the account would contain one.
        (format!("otpauth://totp/a:b:c?{s}"), TotpError::ColonInName { field: "account" }),
        // An issuer parameter with a colon.
        (format!("otpauth://totp/x?{s}&issuer=a%3Ab"), TotpError::ColonInName { field: "issuer" }),
        // A label that is not UTF-8.
        (format!("otpauth://totp/%FF?{s}"), TotpError::InvalidLabel),
    ];
    for (uri, error) in cases {
        assert_eq!(Totp::parse(&uri), Err(error), "{uri}");
    }
    // Without "//" there is no type: malformed, whatever follows.
    assert!(matches!(
        Totp::parse("otpauth:totp/x?secret=JBSWY3DPEHPK3PXP"),
        Err(TotpError::InvalidUri { .. })
    ));
    // Not a URL at all.
    assert!(matches!(Totp::parse("otpauth://[oops/x"), Err(TotpError::InvalidUri { .. })));
}

#[test]
fn error_messages_never_contain_the_secret() {
    for uri in [
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12",
        "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PX9",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP",
    ] {
        let message = Totp::parse(uri).unwrap_err().to_string();
        assert!(!message.contains("JBSWY3DP"), "{message}");
    }
    // Echoed values are cut short.
    let long = "9".repeat(1000);
    let err = Totp::parse(&format!("otpauth://totp/x?secret=MZXW6YTB&digits={long}")).unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn error_messages_are_actionable() {
    for (err, hint) in [
        (TotpError::EmptySecret, "paste"),
        (TotpError::InvalidBase32Character { character: '0' }, "A-Z"),
        (TotpError::InvalidBase32Length { length: 3 }, "copied completely"),
        (TotpError::UnsupportedType { kind: "hotp".into() }, "HOTP"),
        (TotpError::MissingSecret, "secret="),
        (TotpError::UnknownAlgorithm { value: "MD5".into() }, "SHA1, SHA256 or SHA512"),
        (TotpError::InvalidDigits { value: "9".into() }, "6, 7 or 8"),
        (TotpError::InvalidPeriod { value: "0".into() }, "1 to 86400"),
        (TotpError::ColonInName { field: "issuer" }, "':'"),
    ] {
        assert!(err.to_string().contains(hint), "{err}");
    }
}

// ---- to_uri, serde, Debug ----------------------------------------------------

#[test]
fn to_uri_is_normalised() {
    let t =
        Totp::parse("otpauth://totp/ACME%20Co:john@example.com?secret=jbsw%20y3dp%20ehpk%203pxp").unwrap();
    assert_eq!(
        t.to_uri(),
        "otpauth://totp/ACME%20Co:john@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co\
         &algorithm=SHA1&digits=6&period=30"
    );
    let bare = Totp::parse("JBSWY3DPEHPK3PXP").unwrap();
    assert_eq!(bare.to_uri(), "otpauth://totp/?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30");
    // Characters with meaning in URIs are escaped in names.
    let odd = totp(HELLO).with_issuer("a&b=c/d?e#f+g%h").unwrap().with_account("x y").unwrap();
    let uri = odd.to_uri();
    assert!(uri.starts_with("otpauth://totp/a%26b%3Dc%2Fd%3Fe%23f%2Bg%25h:x%20y?"), "{uri}");
    assert_eq!(Totp::parse(&uri).unwrap(), odd);
}

/// URL parsing drops "." and ".." path segments, so such accounts need care.
#[test]
fn dot_accounts_round_trip() {
    for account in [".", ".."] {
        let t = totp(HELLO).with_account(account).unwrap();
        assert_eq!(Totp::parse(&t.to_uri()).unwrap(), t, "{account}");
    }
}

#[test]
fn serde_round_trips_and_validates() {
    let t = Totp::new(HELLO.to_vec(), Algorithm::Sha512, 8, 60).unwrap().with_issuer("ACME").unwrap();
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Totp>(&json).unwrap(), t);
    assert!(json.contains(r#""algorithm":"SHA512""#), "{json}");
    let bytes = bincode::serialize(&t).unwrap();
    assert_eq!(bincode::deserialize::<Totp>(&bytes).unwrap(), t);

    // Missing parameters take the defaults.
    let minimal: Totp = serde_json::from_str(r#"{"secret":[1,2,3]}"#).unwrap();
    assert_eq!(minimal, Totp::new(vec![1, 2, 3], Algorithm::Sha1, 6, 30).unwrap());
    // The same rules as Totp::new.
    for bad in [
        r#"{"secret":[]}"#,
        r#"{"secret":[1],"digits":9}"#,
        r#"{"secret":[1],"period":0}"#,
        r#"{"secret":[1],"algorithm":"MD5"}"#,
        r#"{"secret":[1],"account":"a:b"}"#,
    ] {
        assert!(serde_json::from_str::<Totp>(bad).is_err(), "{bad}");
    }
}

#[test]
fn debug_never_shows_the_secret() {
    let t = Totp::parse("otpauth://totp/Ex:bob?secret=JBSWY3DPEHPK3PXP").unwrap();
    let debug = format!("{t:?}");
    assert!(debug.contains("<redacted>") && debug.contains("bob"), "{debug}");
    for leak in ["JBSWY3DP", "72, 101", "Hello", "[72"] {
        assert!(!debug.contains(leak), "{debug}");
    }
    assert!(!format!("{t:#?}").contains("72,"));
}

#[test]
fn equality_covers_every_field() {
    let base = totp(HELLO);
    assert_eq!(base, base.clone());
    assert_ne!(base, totp(b"Hello!\xde\xad\xbe\xee"));
    assert_ne!(base, totp(b"Hello!\xde\xad\xbe"));
    assert_ne!(base, Totp::new(HELLO.to_vec(), Algorithm::Sha256, 6, 30).unwrap());
    assert_ne!(base, Totp::new(HELLO.to_vec(), Algorithm::Sha1, 8, 30).unwrap());
    assert_ne!(base, Totp::new(HELLO.to_vec(), Algorithm::Sha1, 6, 60).unwrap());
    assert_ne!(base, base.clone().with_issuer("a").unwrap());
    assert_ne!(base, base.clone().with_account("a").unwrap());
}

#[test]
fn algorithm_names() {
    for (algorithm, name) in
        [(Algorithm::Sha1, "SHA1"), (Algorithm::Sha256, "SHA256"), (Algorithm::Sha512, "SHA512")]
    {
        assert_eq!(algorithm.to_string(), name);
        assert_eq!(name.parse::<Algorithm>(), Ok(algorithm));
        assert_eq!(name.to_lowercase().parse::<Algorithm>(), Ok(algorithm));
    }
    assert_eq!(Algorithm::default(), Algorithm::Sha1);
    assert!("sha384".parse::<Algorithm>().is_err());
}

fn any_totp() -> impl Strategy<Value = Totp> {
    let name = proptest::option::of("[^:]{0,16}");
    (
        proptest::collection::vec(any::<u8>(), 1..=64),
        prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
        6u32..=8,
        1u64..=MAX_PERIOD,
        name.clone(),
        name,
    )
        .prop_map(|(secret, algorithm, digits, period, issuer, account)| {
            let mut t = Totp::new(secret, algorithm, digits, period).unwrap();
            t.set_issuer(issuer.as_deref()).unwrap();
            t.set_account(account.as_deref()).unwrap();
            t
        })
}

proptest! {
    /// Whatever the secret, parameters and names, parse(to_uri(t)) == t.
    #[test]
    fn uri_round_trips(t in any_totp()) {
        let uri = t.to_uri();
        prop_assert_eq!(Totp::parse(&uri).unwrap(), t.clone(), "{}", uri);
        prop_assert_eq!(uri.parse::<Totp>().unwrap().to_uri(), uri);
    }

    /// A bare Base32 secret round-trips through any case and spacing.
    #[test]
    fn base32_round_trips(
        secret in proptest::collection::vec(any::<u8>(), 1..=64),
        lowercase in any::<bool>(),
        group in 1usize..=8,
    ) {
        let encoded = BASE32_NOPAD.encode(&secret);
        let encoded = if lowercase { encoded.to_lowercase() } else { encoded };
        let spaced: Vec<String> = encoded
            .as_bytes()
            .chunks(group)
            .map(|chunk| String::from_utf8(chunk.to_vec()).unwrap())
            .collect();
        let parsed = Totp::parse(&spaced.join(" ")).unwrap();
        prop_assert_eq!(parsed.secret(), &secret[..]);
    }

    /// Parsing never panics, whatever it is given.
    #[test]
    fn parse_never_panics(input in "(otpauth://totp/)?[ -~]{0,40}") {
        let _ = Totp::parse(&input);
    }

    /// Codes always have exactly `digits` ASCII digits.
    #[test]
    fn codes_have_the_right_length(t in any_totp(), time in any::<u64>()) {
        let code = t.code_at(time);
        prop_assert_eq!(code.len(), t.digits() as usize);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
}
