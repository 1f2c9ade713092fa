//! hush-generate: password and passphrase generation for hush (`hush gen`, `hush add
//! --generate`, `hush breach`). Passwords are uniform over every valid password of the
//! policy, passphrases over the EFF large wordlist, both from the operating system's CSPRNG,
//! and each comes with its exact entropy; an item can keep its own policy (a site that
//! forbids symbols), which is why the policy type is serialisable.
//!
//! # Password and passphrase generation
//!
//! Both generators draw from the operating system's CSPRNG ([`SysRng`], i.e.
//! `getrandom(2)` on Linux) and map random numbers to characters or words with
//! [`Uniform`], which is rand's implementation of Lemire's widening-multiply
//! method *with rejection*: every index is exactly equally likely, with no
//! modulo bias. (`RngExt::random_range` is deliberately not used: in rand 0.10
//! it uses Canon's method, which without rand's `unbiased` cargo feature keeps
//! a documented residual bias affecting about 1 draw in 2⁶⁴ for 64-bit ranges —
//! harmless, but "exactly uniform" is easier to argue.)
//!
//! # Why "at least one of each class" does not bias the password
//!
//! [`generate_password`] draws whole passwords uniformly from the full alphabet
//! and *rejects* any password that misses a selected class, trying again until
//! one has them all. Conditioning a uniform distribution on an event yields the
//! uniform distribution on that event, so every valid password — every string
//! of the right length over the alphabet that contains each selected class — is
//! exactly equally likely, and every position is distributed identically. The
//! popular alternative ("place one character of each class, fill the rest,
//! shuffle") is not uniform: it favours passwords with many characters of the
//! small classes, such as several digits.
//!
//! The cost is a few retries. The acceptance probability is smallest for the
//! shortest allowed password over the smallest classes: 4 characters, all four
//! classes, ambiguous characters excluded and a one-symbol set accept about
//! 1 in 95 attempts (each attempt is 4 draws); the default policy accepts about
//! 93 % of attempts. Longer passwords accept almost always.
//!
//! # Entropy
//!
//! Because the output is uniform over the valid passwords, its entropy is
//! exactly `log2(number of valid passwords)`, which [`entropy_bits`] computes by
//! inclusion–exclusion. That is slightly *less* than the naive
//! `length · log2(alphabet size)`: the at-least-one-per-class rule removes the
//! passwords that miss a class (≈ 0.1 bits for the default 24-character policy).
//!
//! # Word list
//!
//! Passphrases use the EFF large wordlist (7,776 words, five dice per word) by
//! Joseph Bonneau / the Electronic Frontier Foundation, "EFF large wordlist,
//! CC BY 3.0 US" (<https://www.eff.org/dice>), as embedded by the
//! `diceware_wordlists` crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use rand::distr::{Distribution, Uniform};
use rand::rand_core::UnwrapErr;
use rand::rngs::{SysError, SysRng};
use rand::{CryptoRng, TryRng};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[cfg(test)]
mod tests;

/// The longest password [`generate_password`] produces, in characters.
///
/// A bound on work and memory for policies read from files; no site accepts
/// passwords anywhere near this long.
pub const MAX_PASSWORD_LENGTH: usize = 4096;

/// The most words [`generate_passphrase`] produces (≈ 827 bits).
pub const MAX_PASSPHRASE_WORDS: usize = 64;

/// Characters removed by [`PasswordPolicy::exclude_ambiguous`]: those easily
/// confused with another character when read from a screen or paper, or typed
/// from one.
///
/// - `0 O o`: zero, capital and small oh;
/// - `1 l I |`: one, small ell, capital eye, vertical bar;
/// - `` ` ' ``: backtick and apostrophe, which many fonts draw alike.
pub const AMBIGUOUS_CHARACTERS: &str = "0Oo1lI|`'";

/// The default symbol set: the 32 printable ASCII punctuation characters
/// (everything printable in ASCII that is not a letter, a digit or space).
pub const DEFAULT_SYMBOLS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

/// The EFF large wordlist: 7,776 words of 3–9 lowercase letters (four of them
/// contain a hyphen: "drop-down", "felt-tip", "t-shirt", "yo-yo").
///
/// "EFF large wordlist, CC BY 3.0 US", Electronic Frontier Foundation,
/// <https://www.eff.org/dice>; embedded by the `diceware_wordlists` crate.
const WORDLIST: &[&str; 7776] = &diceware_wordlists::EFF_LONG_WORDLIST;

/// How to generate a random password.
///
/// Missing fields take their [`Default`] values when deserialized, so a stored
/// policy may name only what differs from the default (e.g. `symbols = false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// Number of characters (Unicode scalar values) in the password:
    /// from the number of selected classes up to [`MAX_PASSWORD_LENGTH`].
    pub length: usize,
    /// Include lowercase ASCII letters `a`–`z`.
    pub lowercase: bool,
    /// Include uppercase ASCII letters `A`–`Z`.
    pub uppercase: bool,
    /// Include ASCII digits `0`–`9`.
    pub digits: bool,
    /// Include symbols: [`symbol_set`](Self::symbol_set) or else [`DEFAULT_SYMBOLS`].
    pub symbols: bool,
    /// Leave out [`AMBIGUOUS_CHARACTERS`] from every class.
    pub exclude_ambiguous: bool,
    /// The symbols to use instead of [`DEFAULT_SYMBOLS`], e.g. `"!@#$%"` for a
    /// site that accepts only those. It is a set: repeated characters count
    /// once. Letters, digits, whitespace and control characters are rejected.
    /// Ignored when [`symbols`](Self::symbols) is off.
    pub symbol_set: Option<String>,
}

impl Default for PasswordPolicy {
    /// 24 characters from all four classes (≈ 157 bits), ambiguous characters allowed.
    fn default() -> Self {
        Self {
            length: 24,
            lowercase: true,
            uppercase: true,
            digits: true,
            symbols: true,
            exclude_ambiguous: false,
            symbol_set: None,
        }
    }
}

/// How to generate a random passphrase from the EFF large wordlist.
///
/// Missing fields take their [`Default`] values when deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PassphrasePolicy {
    /// Number of words, 1 to [`MAX_PASSPHRASE_WORDS`]. Each word adds
    /// log2(7776) ≈ 12.9 bits; the default of 6 gives ≈ 77.5 bits.
    pub words: usize,
    /// Put between words. An empty separator, or one that can occur inside a
    /// word, makes a few passphrases ambiguous and so costs a little entropy.
    pub separator: String,
    /// Capitalize the first letter of every word. Adds no entropy: it only
    /// satisfies sites that demand an uppercase letter.
    pub capitalize: bool,
    /// Append one random digit to one randomly chosen word; adds
    /// log2(10 · words) bits and satisfies sites that demand a digit.
    pub include_number: bool,
}

impl Default for PassphrasePolicy {
    /// Six lowercase words joined by `-`, no number (≈ 77.5 bits).
    fn default() -> Self {
        Self { words: 6, separator: "-".to_owned(), capitalize: false, include_number: false }
    }
}

/// Why a password or passphrase could not be generated.
///
/// Every message says what to change in the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GeneratorError {
    /// None of lowercase, uppercase, digits or symbols is selected.
    #[error("no character class is selected: enable at least one of lowercase, uppercase, digits or symbols")]
    NoCharacterClass,

    /// The length is smaller than the number of selected classes, so the
    /// password cannot contain one character of each.
    #[error(
        "a password of {length} characters cannot contain one character of each of the \
         {classes} selected classes: use a length of at least {classes} or select fewer classes"
    )]
    TooShort {
        /// The requested length.
        length: usize,
        /// The number of selected character classes.
        classes: usize,
    },

    /// The length exceeds [`MAX_PASSWORD_LENGTH`].
    #[error("a password of {length} characters is longer than the maximum of {max}: choose a shorter length")]
    TooLong {
        /// The requested length.
        length: usize,
        /// [`MAX_PASSWORD_LENGTH`].
        max: usize,
    },

    /// The custom symbol set contains a character that is not a symbol.
    #[error(
        "the symbol set contains {symbol:?}, which is a letter, digit, whitespace or control \
         character: remove it (symbols are the other printable characters, e.g. !@#$%)"
    )]
    InvalidSymbol {
        /// The offending character.
        symbol: char,
    },

    /// Symbols are selected but the set is empty, possibly only after removing
    /// [`AMBIGUOUS_CHARACTERS`].
    #[error(
        "symbols are enabled but the symbol set is empty (after removing ambiguous characters, \
         if excluded): add symbols to the set or disable symbols"
    )]
    EmptySymbolSet,

    /// The passphrase policy asks for no words.
    #[error("a passphrase needs at least one word: set the number of words to 1 or more (6 is recommended)")]
    NoWords,

    /// The passphrase policy asks for more than [`MAX_PASSPHRASE_WORDS`] words.
    #[error("a passphrase of {words} words is longer than the maximum of {max}: choose fewer words")]
    TooManyWords {
        /// The requested number of words.
        words: usize,
        /// [`MAX_PASSPHRASE_WORDS`].
        max: usize,
    },

    /// The operating system's random number generator failed. Nothing can be
    /// generated safely until it works again.
    #[error("the operating system's random number generator failed")]
    Rng(#[source] SysError),
}

/// Generates a password uniformly at random among all strings of
/// `policy.length` characters over the selected alphabet that contain at least
/// one character of each selected class (see the [module docs](self) for why
/// this is unbiased).
///
/// # Errors
///
/// A [`GeneratorError`] naming what to change if the policy is unsatisfiable,
/// or [`GeneratorError::Rng`] if the OS random number generator is unavailable.
///
/// # Panics
///
/// Only if the OS random number generator fails *after* answering the initial
/// probe, which `getrandom` does not do on supported platforms (its failures
/// are at initialisation: missing syscall, unseeded pool, sandbox denial).
pub fn generate_password(policy: &PasswordPolicy) -> Result<Zeroizing<String>, GeneratorError> {
    // Validate before touching the RNG so policy errors win over RNG errors.
    let alphabet = Alphabet::new(policy)?;
    let mut rng = os_rng()?;
    Ok(alphabet.sample(policy.length, &mut rng))
}

/// Generates a passphrase of `policy.words` words drawn independently and
/// uniformly from the EFF large wordlist (CC BY 3.0 US).
///
/// # Errors
///
/// [`GeneratorError::NoWords`] or [`GeneratorError::TooManyWords`] for an
/// out-of-range word count; [`GeneratorError::Rng`] if the OS random number
/// generator is unavailable.
///
/// # Panics
///
/// As [`generate_password`]: only if the OS random number generator fails
/// after answering the initial probe.
pub fn generate_passphrase(policy: &PassphrasePolicy) -> Result<Zeroizing<String>, GeneratorError> {
    validate_passphrase(policy)?;
    let mut rng = os_rng()?;
    Ok(passphrase_with_rng(policy, &mut rng))
}

/// The entropy of [`generate_password`]'s output in bits, or `0.0` if the
/// policy is invalid.
///
/// The output is uniform over the valid passwords, so this is exactly
/// log2(number of valid passwords). It is slightly below the naive
/// `length · log2(alphabet size)` because passwords missing a selected class
/// are excluded: by ≈ 0.1 bits for the default policy, by at most
/// log2(1/acceptance) ≈ 6.6 bits for the tightest 4-character policies.
#[must_use]
pub fn entropy_bits(policy: &PasswordPolicy) -> f64 {
    let Ok(alphabet) = Alphabet::new(policy) else {
        return 0.0;
    };
    let n = alphabet.chars.len() as f64;
    let naive = policy.length as f64 * n.log2();
    naive + alphabet.acceptance_probability(policy.length).log2()
}

/// The entropy of [`generate_passphrase`]'s output in bits, or `0.0` if the
/// policy is invalid: `words · log2(7776)`, plus `log2(10 · words)` with
/// [`include_number`](PassphrasePolicy::include_number) (which digit, after
/// which word).
///
/// Capitalization adds nothing. This counts choices, so it assumes distinct
/// choices give distinct strings; an empty separator, or one that occurs inside
/// words (the four hyphenated EFF words with `-`), makes a negligible number of
/// passphrases coincide.
#[must_use]
pub fn passphrase_entropy_bits(policy: &PassphrasePolicy) -> f64 {
    if validate_passphrase(policy).is_err() {
        return 0.0;
    }
    let words = policy.words as f64;
    let number = if policy.include_number { (10.0 * words).log2() } else { 0.0 };
    words * (WORDLIST.len() as f64).log2() + number
}

/// The OS CSPRNG as an infallible [`CryptoRng`], after a probe so that the
/// realistic failure (getrandom unavailable or denied) is an error, not a panic.
fn os_rng() -> Result<UnwrapErr<SysRng>, GeneratorError> {
    let mut probe = [0u8; 1];
    SysRng.try_fill_bytes(&mut probe).map_err(GeneratorError::Rng)?;
    Ok(UnwrapErr(SysRng))
}

/// The characters a policy allows, with the class of each.
struct Alphabet {
    /// Every allowed character, once.
    chars: Vec<char>,
    /// `class[i]` is the index (`0..sizes.len()`) of the class of `chars[i]`.
    class: Vec<u8>,
    /// Number of characters in each selected class, in class order.
    sizes: Vec<usize>,
}

impl Alphabet {
    /// Validates `policy` and builds its alphabet.
    fn new(policy: &PasswordPolicy) -> Result<Self, GeneratorError> {
        let custom_symbols = policy.symbol_set.as_deref();
        let symbols = custom_symbols.unwrap_or(DEFAULT_SYMBOLS);
        let classes: Vec<&str> = [
            (policy.lowercase, LOWERCASE),
            (policy.uppercase, UPPERCASE),
            (policy.digits, DIGITS),
            (policy.symbols, symbols),
        ]
        .into_iter()
        .filter_map(|(selected, set)| selected.then_some(set))
        .collect();

        if classes.is_empty() {
            return Err(GeneratorError::NoCharacterClass);
        }
        if policy.length > MAX_PASSWORD_LENGTH {
            return Err(GeneratorError::TooLong { length: policy.length, max: MAX_PASSWORD_LENGTH });
        }
        if policy.length < classes.len() {
            return Err(GeneratorError::TooShort { length: policy.length, classes: classes.len() });
        }
        if policy.symbols
            && let Some(custom) = custom_symbols
            && let Some(symbol) =
                custom.chars().find(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control())
        {
            return Err(GeneratorError::InvalidSymbol { symbol });
        }

        let mut alphabet =
            Alphabet { chars: Vec::new(), class: Vec::new(), sizes: Vec::with_capacity(classes.len()) };
        for (index, set) in (0u8..).zip(classes) {
            let before = alphabet.chars.len();
            for c in set.chars() {
                // A repeated character would be drawn twice as often: the
                // custom symbol set is a set, so keep the first occurrence.
                // (The classes are disjoint: symbols cannot be alphanumeric.)
                let excluded = policy.exclude_ambiguous && AMBIGUOUS_CHARACTERS.contains(c);
                if !excluded && !alphabet.chars[before..].contains(&c) {
                    alphabet.chars.push(c);
                    alphabet.class.push(index);
                }
            }
            let size = alphabet.chars.len() - before;
            if size == 0 {
                // Only the symbol class can end up empty: every other class
                // keeps at least 8 characters after exclusion.
                return Err(GeneratorError::EmptySymbolSet);
            }
            alphabet.sizes.push(size);
        }
        Ok(alphabet)
    }

    /// Draws a password of `length` characters containing every class, by
    /// rejection sampling of whole passwords (see the module docs).
    fn sample<R: CryptoRng + ?Sized>(&self, length: usize, rng: &mut R) -> Zeroizing<String> {
        let all_classes: u8 = (1u8 << self.sizes.len()) - 1;
        let len = u32::try_from(self.chars.len()).expect("at most 0x110000 distinct chars");
        let index = Uniform::new(0, len).expect("validated: the alphabet is not empty");
        let max_char_len = self.chars.iter().map(|c| c.len_utf8()).max().unwrap_or(1);
        // Reserve the worst case up front: the string never reallocates, so no
        // unzeroized copy of a candidate is left behind on the heap. Rejected
        // candidates are overwritten by later ones and wiped with the buffer.
        let mut out = Zeroizing::new(String::with_capacity(length * max_char_len));
        loop {
            out.clear();
            let mut seen = 0u8;
            for _ in 0..length {
                let i = index.sample(rng) as usize;
                out.push(self.chars[i]);
                seen |= 1 << self.class[i];
            }
            if seen == all_classes {
                return out;
            }
        }
    }

    /// Probability that `length` uniform draws from the alphabet contain every
    /// class — the acceptance probability of [`Alphabet::sample`] — by
    /// inclusion–exclusion over the sets of missing classes:
    /// Σ over subsets S of classes of (−1)^|S| · (1 − |S's characters| / N)^length.
    fn acceptance_probability(&self, length: usize) -> f64 {
        let n = self.chars.len() as f64;
        let length = i32::try_from(length).expect("validated: length <= MAX_PASSWORD_LENGTH");
        let classes = self.sizes.len();
        (0u32..1 << classes)
            .map(|missing| {
                let excluded: usize =
                    (0..classes).filter(|&c| missing & (1 << c) != 0).map(|c| self.sizes[c]).sum();
                let sign = if missing.count_ones() % 2 == 0 { 1.0 } else { -1.0 };
                // The terms are at most 1 and the sum is at least ≈ 0.01 for any
                // valid policy, so f64 cancellation costs no meaningful precision.
                sign * (1.0 - excluded as f64 / n).powi(length)
            })
            .sum()
    }
}

fn validate_passphrase(policy: &PassphrasePolicy) -> Result<(), GeneratorError> {
    if policy.words == 0 {
        return Err(GeneratorError::NoWords);
    }
    if policy.words > MAX_PASSPHRASE_WORDS {
        return Err(GeneratorError::TooManyWords { words: policy.words, max: MAX_PASSPHRASE_WORDS });
    }
    Ok(())
}

/// [`generate_passphrase`] with a caller-chosen RNG; `policy` must be valid.
fn passphrase_with_rng<R: CryptoRng + ?Sized>(policy: &PassphrasePolicy, rng: &mut R) -> Zeroizing<String> {
    const LONGEST_WORD: usize = 9;
    let word = Uniform::new(0, WORDLIST.len()).expect("the word list is not empty");
    let number = policy.include_number.then(|| {
        let after_word = Uniform::new(0, policy.words).expect("validated: words >= 1");
        let digit = Uniform::new(0, 10u32).expect("0..10 is not empty");
        let digit = char::from_digit(digit.sample(rng), 10).expect("a digit below 10");
        (after_word.sample(rng), digit)
    });

    // Worst case reserved so the buffer never reallocates (see `Alphabet::sample`).
    let capacity = policy.words * (LONGEST_WORD + 1) + (policy.words - 1) * policy.separator.len();
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    for i in 0..policy.words {
        if i > 0 {
            out.push_str(&policy.separator);
        }
        let w = WORDLIST[word.sample(rng)];
        if policy.capitalize {
            // The words are ASCII lowercase, so the first byte is a whole char.
            let (first, rest) = w.split_at(1);
            out.extend(first.chars().map(|c| c.to_ascii_uppercase()));
            out.push_str(rest);
        } else {
            out.push_str(w);
        }
        if let Some((after_word, digit)) = number
            && after_word == i
        {
            out.push(digit);
        }
    }
    out
}
