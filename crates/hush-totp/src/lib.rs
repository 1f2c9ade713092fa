//! hush-totp: time-based one-time passwords (RFC 6238) and the `otpauth://` Key Uri Format,
//! for `hush totp`, `hush copy` and the importers. It parses what users paste, normalises it
//! to the one URI form hush stores inside an item, and computes the current code; the secret
//! is wiped from memory and never printed.
//!
//! # Codes and URIs
//!
//! A [`Totp`] holds a shared secret and the parameters a site chose; it turns a
//! Unix time into the code the site expects. HOTP (RFC 4226) is the building
//! block: a TOTP code is the HOTP code of the counter `T = ⌊unix time / period⌋`
//! (RFC 6238 §4.2, with `T0 = 0`). Only time-based codes are supported; links
//! for counter-based codes (`otpauth://hotp/...`) are rejected with a clear error.
//!
//! [`Totp::parse`] accepts what users paste: a bare Base32 secret (RFC 4648 §6,
//! case-insensitive, spaces and `=` padding ignored) or an
//! `otpauth://totp/LABEL?secret=...` URI in Google Authenticator's Key Uri
//! Format (<https://github.com/google/google-authenticator/wiki/Key-Uri-Format>).
//! [`Totp::to_uri`] writes the normalised URI back, and parsing it yields an
//! equal [`Totp`].
//!
//! The secret is wiped from memory when a [`Totp`] is dropped, and [`Debug`]
//! never prints it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::{BASE32_NOPAD, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use url::Url;
use zeroize::{Zeroize, Zeroizing};

#[cfg(test)]
mod tests;

/// The period sites use unless they say otherwise, in seconds (RFC 6238 §5.2).
pub const DEFAULT_PERIOD: u64 = 30;

/// The number of digits sites use unless they say otherwise.
pub const DEFAULT_DIGITS: u32 = 6;

/// The longest accepted period, in seconds (one day). RFC 6238 sets no bound;
/// this one only rejects garbage: real sites use 30 or 60 seconds.
pub const MAX_PERIOD: u64 = 86_400;

/// The accepted numbers of digits. RFC 4226 §5.3 requires at least 6; its
/// 31-bit truncated value cannot fill more than 9, and the Key Uri Format and
/// the authenticator apps use 6 or 8 (RFC 6238's reference code goes up to 8).
const DIGITS: std::ops::RangeInclusive<u32> = 6..=8;

/// The HMAC hash function (RFC 6238 §1.2: SHA-1, SHA-256 or SHA-512).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Algorithm {
    /// HMAC-SHA-1, the default and by far the most common (RFC 4226).
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512")]
    Sha512,
}

impl Algorithm {
    /// The name used by the Key Uri Format's `algorithm` parameter: `SHA1`,
    /// `SHA256` or `SHA512`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = TotpError;

    /// Parses `SHA1`, `SHA256` or `SHA512`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|a| s.eq_ignore_ascii_case(a.as_str()))
            .ok_or_else(|| TotpError::UnknownAlgorithm { value: excerpt(s) })
    }
}

/// Why a TOTP secret or `otpauth://` URI was rejected.
///
/// Messages say what is wrong and never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The secret is empty.
    #[error("the secret is empty: paste the Base32 secret or the otpauth://totp/... link the site shows")]
    EmptySecret,

    /// The secret contains a character outside the Base32 alphabet.
    #[error(
        "the secret contains {character:?}, which is not Base32: secrets use only the letters \
         A-Z and the digits 2-7 (a 0, 1 or 8 is usually an O, I or B)"
    )]
    InvalidBase32Character {
        /// The first offending character.
        character: char,
    },

    /// The secret has a length no Base32 encoding can have (1, 3 or 6 more
    /// than a multiple of 8 characters).
    #[error("a Base32 secret cannot be {length} characters long: check that it was copied completely")]
    InvalidBase32Length {
        /// The length in characters, without spaces and padding.
        length: usize,
    },

    /// The input looks like a URI but its scheme is not `otpauth`.
    #[error(
        "a {scheme:?} link is not a TOTP setup link: paste an otpauth://totp/... link or the Base32 secret"
    )]
    UnsupportedScheme {
        /// The scheme found (truncated if long).
        scheme: String,
    },

    /// The input is a Google Authenticator export (`otpauth-migration://`).
    #[error(
        "Google Authenticator export links (otpauth-migration://) are not supported: \
         add each account from the site's own setup link or secret"
    )]
    MigrationUri,

    /// The `otpauth:` URI is malformed.
    #[error("the otpauth link is malformed ({reason}): expected otpauth://totp/LABEL?secret=...")]
    InvalidUri {
        /// What the URI parser objected to.
        reason: String,
    },

    /// The URI is for another OTP type, such as counter-based `hotp`.
    #[error(
        "otpauth://{kind} links are not supported: hush only generates time-based codes \
         (otpauth://totp); counter-based HOTP codes are not supported"
    )]
    UnsupportedType {
        /// The OTP type found (truncated if long).
        kind: String,
    },

    /// The URI has no `secret` parameter.
    #[error("the otpauth link has no secret= parameter: copy the whole link")]
    MissingSecret,

    /// A parameter appears more than once, so its value is ambiguous.
    #[error("the otpauth link has more than one {name}= parameter")]
    DuplicateParameter {
        /// The repeated parameter.
        name: &'static str,
    },

    /// The `algorithm` is not one of `SHA1`, `SHA256`, `SHA512`.
    #[error("unknown algorithm {value:?}: use SHA1, SHA256 or SHA512")]
    UnknownAlgorithm {
        /// The value found (truncated if long).
        value: String,
    },

    /// The number of digits is not 6, 7 or 8.
    #[error("the number of digits must be 6, 7 or 8, not {value:?}")]
    InvalidDigits {
        /// The value found (truncated if long).
        value: String,
    },

    /// The period is not a whole number of seconds from 1 to [`MAX_PERIOD`].
    #[error("the period must be a whole number of seconds from 1 to 86400 (usually 30), not {value:?}")]
    InvalidPeriod {
        /// The value found (truncated if long).
        value: String,
    },

    /// The URI's label is not valid percent-encoded UTF-8.
    #[error("the label of the otpauth link is not valid percent-encoded UTF-8 text")]
    InvalidLabel,

    /// An issuer or account name contains `:`, which the Key Uri Format
    /// reserves to separate them in the label.
    #[error("the {field} name must not contain ':' (otpauth links use it to separate issuer and account)")]
    ColonInName {
        /// `"issuer"` or `"account"`.
        field: &'static str,
    },
}

/// A TOTP generator: the shared secret and the parameters of RFC 6238, plus the
/// issuer and account names that identify it to the user.
///
/// The fields are private so that every `Totp` is valid: the secret is not
/// empty, `digits` is 6, 7 or 8, `period` is 1 to [`MAX_PERIOD`] seconds, and
/// names are trimmed, non-empty and free of `:`. Construct one with
/// [`Totp::new`] or [`Totp::parse`]; deserialization checks the same rules.
#[derive(Clone)]
pub struct Totp {
    secret: Vec<u8>,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    issuer: Option<String>,
    account: Option<String>,
}

/// A code and how long it stays valid, from [`Totp::now`] or [`Totp::at`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode {
    /// The code, zero-padded to the [`Totp`]'s number of digits.
    pub code: String,
    /// Seconds until the next period starts and the code changes (1 to period).
    pub remaining_secs: u64,
}

impl Totp {
    /// Creates a generator from raw secret bytes, without issuer or account.
    ///
    /// # Errors
    ///
    /// [`TotpError::EmptySecret`], [`TotpError::InvalidDigits`] (not 6–8) or
    /// [`TotpError::InvalidPeriod`] (not 1 to [`MAX_PERIOD`]). The secret is
    /// wiped before an error is returned.
    pub fn new(secret: Vec<u8>, algorithm: Algorithm, digits: u32, period: u64) -> Result<Self, TotpError> {
        let mut secret = Zeroizing::new(secret);
        if secret.is_empty() {
            return Err(TotpError::EmptySecret);
        }
        if !DIGITS.contains(&digits) {
            return Err(TotpError::InvalidDigits { value: digits.to_string() });
        }
        if !(1..=MAX_PERIOD).contains(&period) {
            return Err(TotpError::InvalidPeriod { value: period.to_string() });
        }
        Ok(Self {
            secret: std::mem::take(&mut *secret),
            algorithm,
            digits,
            period,
            issuer: None,
            account: None,
        })
    }

    /// Parses a bare Base32 secret or an `otpauth://totp/...` URI.
    ///
    /// A bare secret gets the defaults: SHA-1, [`DEFAULT_DIGITS`],
    /// [`DEFAULT_PERIOD`], no names. Base32 is read case-insensitively with
    /// whitespace and trailing `=` padding ignored; unused trailing bits are
    /// ignored as authenticator apps do.
    ///
    /// In a URI, the label is `Issuer:account` or `account` (percent-decoded,
    /// spaces before the account ignored); an `issuer` parameter takes
    /// precedence over the label's issuer. `algorithm` (`SHA1`, `SHA256`,
    /// `SHA512`, any case), `digits` and `period` are optional; unknown
    /// parameters (`image`, `color`, ...) are ignored.
    ///
    /// # Errors
    ///
    /// A [`TotpError`] saying what is wrong: not `otpauth`, `hotp` instead of
    /// `totp`, missing or invalid secret, unknown algorithm, digits or period
    /// out of range, repeated parameters, a malformed label.
    pub fn parse(input: &str) -> Result<Self, TotpError> {
        let input = input.trim();
        // A Base32 secret never contains ':', so anything with one is a URI.
        match input.split_once(':') {
            None => Self::new(decode_base32(input)?, Algorithm::default(), DEFAULT_DIGITS, DEFAULT_PERIOD),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("otpauth") => parse_uri(input),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("otpauth-migration") => {
                Err(TotpError::MigrationUri)
            }
            Some((scheme, _)) => Err(TotpError::UnsupportedScheme { scheme: excerpt(scheme) }),
        }
    }

    /// The normalised `otpauth://totp/...` URI: the label is `Issuer:account`
    /// (or whichever is set), and `secret` (unpadded Base32), `issuer` (if
    /// any), `algorithm`, `digits` and `period` are always present, so that
    /// every app reads the same parameters. [`Totp::parse`] gives back an equal
    /// `Totp`.
    ///
    /// The result contains the secret: treat it as such.
    #[must_use]
    pub fn to_uri(&self) -> String {
        let secret = Zeroizing::new(BASE32_NOPAD.encode(&self.secret));
        let names =
            self.issuer.as_deref().map_or(0, str::len) * 2 + self.account.as_deref().map_or(0, str::len);
        // Percent-encoding at most triples the names. Reserving it all means the
        // string never reallocates and leaves no stray copy of the secret.
        let mut uri = String::with_capacity(80 + secret.len() + 3 * names);
        uri.push_str("otpauth://totp/");
        match (&self.issuer, &self.account) {
            (Some(issuer), account) => {
                percent_encode(issuer, &mut uri);
                uri.push(':');
                percent_encode(account.as_deref().unwrap_or(""), &mut uri);
            }
            // URL parsing removes the dot segments "." and ".." from a path
            // (and their percent-encoded forms), so such an account gets an
            // empty issuer in front, which parsing maps back to no issuer.
            (None, Some(account)) if account == "." || account == ".." => {
                uri.push(':');
                uri.push_str(account);
            }
            (None, account) => percent_encode(account.as_deref().unwrap_or(""), &mut uri),
        }
        uri.push_str("?secret=");
        uri.push_str(&secret);
        if let Some(issuer) = &self.issuer {
            uri.push_str("&issuer=");
            percent_encode(issuer, &mut uri);
        }
        uri.push_str("&algorithm=");
        uri.push_str(self.algorithm.as_str());
        uri.push_str("&digits=");
        uri.push_str(&self.digits.to_string());
        uri.push_str("&period=");
        uri.push_str(&self.period.to_string());
        uri
    }

    /// The code for the Unix time `unix_secs`: HOTP (RFC 4226 §5) of the
    /// counter `⌊unix_secs / period⌋` (RFC 6238 §4.2), zero-padded to `digits`.
    #[must_use]
    pub fn code_at(&self, unix_secs: u64) -> String {
        hotp(&self.secret, self.algorithm, unix_secs / self.period, self.digits)
    }

    /// The code for the Unix time `unix_secs` and the seconds it remains valid.
    #[must_use]
    pub fn at(&self, unix_secs: u64) -> TotpCode {
        TotpCode { code: self.code_at(unix_secs), remaining_secs: self.period - unix_secs % self.period }
    }

    /// The current code and the seconds it remains valid, by the system clock.
    ///
    /// The code is only as right as the clock: sites accept about ±30 s. A
    /// clock set before 1970 is read as 1970.
    #[must_use]
    pub fn now(&self) -> TotpCode {
        let unix_secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        self.at(unix_secs)
    }

    /// Sets the issuer (the site or service), trimmed; `None` or a blank
    /// name removes it.
    ///
    /// # Errors
    ///
    /// [`TotpError::ColonInName`] if the name contains `:`.
    pub fn set_issuer(&mut self, issuer: Option<&str>) -> Result<(), TotpError> {
        self.issuer = normalize_name(issuer, "issuer")?;
        Ok(())
    }

    /// Sets the account (usually the user name or e-mail address), trimmed;
    /// `None` or a blank name removes it.
    ///
    /// # Errors
    ///
    /// [`TotpError::ColonInName`] if the name contains `:`.
    pub fn set_account(&mut self, account: Option<&str>) -> Result<(), TotpError> {
        self.account = normalize_name(account, "account")?;
        Ok(())
    }

    /// [`Totp::set_issuer`] in builder style.
    ///
    /// # Errors
    ///
    /// [`TotpError::ColonInName`] if the name contains `:`.
    pub fn with_issuer(mut self, issuer: &str) -> Result<Self, TotpError> {
        self.set_issuer(Some(issuer))?;
        Ok(self)
    }

    /// [`Totp::set_account`] in builder style.
    ///
    /// # Errors
    ///
    /// [`TotpError::ColonInName`] if the name contains `:`.
    pub fn with_account(mut self, account: &str) -> Result<Self, TotpError> {
        self.set_account(Some(account))?;
        Ok(self)
    }

    /// The shared secret. Keep the borrow short and never log it.
    #[must_use]
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The HMAC hash function.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits of each code: 6, 7 or 8.
    #[must_use]
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The time step in seconds, 1 to [`MAX_PERIOD`].
    #[must_use]
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The issuer (site or service) name, if known.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The account name, if known.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }
}

impl Drop for Totp {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .finish()
    }
}

impl PartialEq for Totp {
    fn eq(&self, other: &Self) -> bool {
        // Compare every secret byte rather than stopping at the first
        // difference, so the time taken does not reveal where they differ.
        let same_secret = self.secret.len() == other.secret.len()
            && self.secret.iter().zip(&other.secret).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        same_secret
            && self.algorithm == other.algorithm
            && self.digits == other.digits
            && self.period == other.period
            && self.issuer == other.issuer
            && self.account == other.account
    }
}

impl Eq for Totp {}

impl FromStr for Totp {
    type Err = TotpError;

    /// Same as [`Totp::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Totp::parse(s)
    }
}

/// The serialized form: the secret as raw bytes plus the parameters. Every
/// field is always written (no `skip_serializing_if`), as bincode requires.
#[derive(Serialize)]
struct TotpRef<'a> {
    secret: &'a [u8],
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    issuer: Option<&'a str>,
    account: Option<&'a str>,
}

/// The deserialized form, validated by [`Totp::new`] before use. Parameters
/// missing from self-describing formats take their defaults.
#[derive(Deserialize)]
struct TotpRepr {
    secret: Vec<u8>,
    #[serde(default)]
    algorithm: Algorithm,
    #[serde(default = "default_digits")]
    digits: u32,
    #[serde(default = "default_period")]
    period: u64,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    account: Option<String>,
}

impl Drop for TotpRepr {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

fn default_digits() -> u32 {
    DEFAULT_DIGITS
}

fn default_period() -> u64 {
    DEFAULT_PERIOD
}

impl Serialize for Totp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TotpRef {
            secret: &self.secret,
            algorithm: self.algorithm,
            digits: self.digits,
            period: self.period,
            issuer: self.issuer.as_deref(),
            account: self.account.as_deref(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Totp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut repr = TotpRepr::deserialize(deserializer)?;
        let secret = std::mem::take(&mut repr.secret);
        let mut totp =
            Totp::new(secret, repr.algorithm, repr.digits, repr.period).map_err(serde::de::Error::custom)?;
        totp.set_issuer(repr.issuer.as_deref()).map_err(serde::de::Error::custom)?;
        totp.set_account(repr.account.as_deref()).map_err(serde::de::Error::custom)?;
        Ok(totp)
    }
}

/// Base32 as authenticator apps read it: RFC 4648 §6 without padding, and
/// without insisting that the unused bits of the last character be zero —
/// some sites generate secrets as random Base32 characters rather than by
/// encoding random bytes, so their last character has stray low bits.
static LENIENT_BASE32: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    spec.encoding().expect("BASE32_NOPAD with lenient trailing bits is a valid specification")
});

/// Decodes a user-supplied Base32 secret: ASCII case and whitespace (as in
/// "jbsw y3dp ehpk 3pxp") are ignored, and so is trailing `=` padding.
fn decode_base32(input: &str) -> Result<Vec<u8>, TotpError> {
    let mut normalized = Zeroizing::new(String::with_capacity(input.len()));
    normalized.extend(input.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()));
    let unpadded = normalized.trim_end_matches('=');
    if unpadded.is_empty() {
        return Err(TotpError::EmptySecret);
    }
    // Checked here rather than left to the decoder, which reports a length
    // error first when a multi-byte character makes the byte count odd.
    if let Some(character) = unpadded.chars().find(|c| !matches!(c, 'A'..='Z' | '2'..='7')) {
        return Err(TotpError::InvalidBase32Character { character });
    }
    // Only the length can still be wrong.
    LENIENT_BASE32
        .decode(unpadded.as_bytes())
        .map_err(|_| TotpError::InvalidBase32Length { length: unpadded.len() })
}

/// What [`parse_uri`] reads out of the URL before it is wiped.
struct UriParts {
    kind: String,
    label: String,
    secret: Option<Zeroizing<String>>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    period: Option<String>,
}

/// Parses an `otpauth:` URI (Key Uri Format).
fn parse_uri(input: &str) -> Result<Totp, TotpError> {
    let url = Url::parse(input).map_err(|err| TotpError::InvalidUri { reason: err.to_string() })?;
    let parts = uri_parts(&url);
    // The URL keeps its own copy of the whole input, secret included: take the
    // buffer back and wipe it.
    drop(Zeroizing::new(String::from(url)));
    let parts = parts?;

    if !parts.kind.eq_ignore_ascii_case("totp") {
        return Err(TotpError::UnsupportedType { kind: parts.kind });
    }
    let secret = parts.secret.ok_or(TotpError::MissingSecret)?;
    let secret = decode_base32(&secret)?;
    let algorithm = parts.algorithm.as_deref().map_or(Ok(Algorithm::default()), str::parse)?;
    let digits = match parts.digits {
        None => DEFAULT_DIGITS,
        Some(value) => {
            value.parse().ok().filter(|d| DIGITS.contains(d)).ok_or(TotpError::InvalidDigits { value })?
        }
    };
    let period = match parts.period {
        None => DEFAULT_PERIOD,
        Some(value) => value
            .parse()
            .ok()
            .filter(|p| (1..=MAX_PERIOD).contains(p))
            .ok_or(TotpError::InvalidPeriod { value })?,
    };
    let mut totp = Totp::new(secret, algorithm, digits, period)?;

    // The label is "Issuer:account" or "account"; spaces may precede the account.
    let (label_issuer, account) = match parts.label.split_once(':') {
        Some((issuer, account)) => (Some(issuer), account),
        None => (None, parts.label.as_str()),
    };
    // The issuer parameter is the newer, unambiguous field: it wins.
    let issuer = parts.issuer.as_deref().filter(|issuer| !issuer.trim().is_empty()).or(label_issuer);
    totp.set_issuer(issuer)?;
    totp.set_account(Some(account))?;
    Ok(totp)
}

/// Reads the type, label and parameters of an `otpauth:` URL.
fn uri_parts(url: &Url) -> Result<UriParts, TotpError> {
    // `otpauth://totp/...` has the OTP type as its host; `otpauth:totp/...`
    // has none and is not in the Key Uri Format.
    let Some(kind) = url.host_str() else {
        return Err(TotpError::InvalidUri { reason: "no \"//\" and OTP type after \"otpauth:\"".to_owned() });
    };
    let path = url.path();
    let label = percent_decode(path.strip_prefix('/').unwrap_or(path))?;
    let mut parts = UriParts {
        kind: excerpt(kind),
        label,
        secret: None,
        issuer: None,
        algorithm: None,
        digits: None,
        period: None,
    };
    for (name, value) in url.query_pairs() {
        // Parameter names are lowercase in the Key Uri Format; accept any case.
        match name.to_ascii_lowercase().as_str() {
            "secret" => set(&mut parts.secret, "secret", Zeroizing::new(value.into_owned()))?,
            "issuer" => set(&mut parts.issuer, "issuer", value.into_owned())?,
            "algorithm" => set(&mut parts.algorithm, "algorithm", excerpt(&value))?,
            "digits" => set(&mut parts.digits, "digits", excerpt(&value))?,
            "period" => set(&mut parts.period, "period", excerpt(&value))?,
            _ => {} // image, color, counter, ...: not ours to interpret.
        }
    }
    Ok(parts)
}

/// Fills a parameter's slot, refusing a second value: which of two values an
/// app would use is anyone's guess.
fn set<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), TotpError> {
    if slot.is_some() {
        return Err(TotpError::DuplicateParameter { name });
    }
    *slot = Some(value);
    Ok(())
}

/// Decodes `%XX` escapes (RFC 3986 §2.1); a `%` not followed by two hex digits
/// stays as it is. Unlike form decoding, `+` stays a plus sign.
fn percent_decode(s: &str) -> Result<String, TotpError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| TotpError::InvalidLabel)
}

/// Appends `s` percent-encoded: everything but RFC 3986's unreserved characters
/// and `@` (common in account names and allowed in paths and queries) becomes
/// `%XX`. Encoding `+`, `&`, `=`, `:` and `/` keeps naive parsers right too.
fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// Trims a name; blank means none; `:` is rejected (the label separator).
fn normalize_name(name: Option<&str>, field: &'static str) -> Result<Option<String>, TotpError> {
    match name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) if name.contains(':') => Err(TotpError::ColonInName { field }),
        name => Ok(name.map(str::to_owned)),
    }
}

/// A user-supplied value for an error message, cut to 32 characters.
fn excerpt(value: &str) -> String {
    const MAX: usize = 32;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// HMAC(key, message) with the chosen hash (RFC 2104).
fn hmac(algorithm: Algorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length (RFC 2104 §2: longer keys are hashed).
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        Algorithm::Sha1 => mac::<Hmac<Sha1>>(key, message),
        Algorithm::Sha256 => mac::<Hmac<Sha256>>(key, message),
        Algorithm::Sha512 => mac::<Hmac<Sha512>>(key, message),
    }
}

/// Dynamic truncation (RFC 4226 §5.3): the low 4 bits of the last byte pick an
/// offset, and the 31 bits from there (top bit masked off, so the result is the
/// same whether read as signed or unsigned) form the value. RFC 6238 applies
/// the same rule to the longer SHA-256 and SHA-512 outputs.
fn dynamic_truncation(hmac: &[u8]) -> u32 {
    let offset = usize::from(hmac[hmac.len() - 1] & 0x0f);
    let bytes: [u8; 4] =
        hmac[offset..offset + 4].try_into().expect("offset + 4 <= 19 < any HMAC output length");
    u32::from_be_bytes(bytes) & 0x7fff_ffff
}

/// HOTP(K, C) (RFC 4226 §5.3): HMAC of the counter as 8 big-endian bytes,
/// truncated, and reduced modulo 10<sup>digits</sup>, then zero-padded.
fn hotp(secret: &[u8], algorithm: Algorithm, counter: u64, digits: u32) -> String {
    let mac = Zeroizing::new(hmac(algorithm, secret, &counter.to_be_bytes()));
    let value = dynamic_truncation(&mac) % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}
