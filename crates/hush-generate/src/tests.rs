//! Tests of the password and passphrase generators.
//!
//! The statistical tests use the real OS RNG with fixed thresholds chosen so
//! that a correct generator fails them with probability below 10⁻⁸ per run,
//! while a modulo-biased or position-biased generator fails them reliably.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

/// The word list as a set, for fast membership tests.
static WORDS: std::sync::LazyLock<HashSet<&'static str>> =
    std::sync::LazyLock::new(|| WORDLIST.iter().copied().collect());

fn policy(length: usize, classes: u8, exclude_ambiguous: bool) -> PasswordPolicy {
    PasswordPolicy {
        length,
        lowercase: classes & 1 != 0,
        uppercase: classes & 2 != 0,
        digits: classes & 4 != 0,
        symbols: classes & 8 != 0,
        exclude_ambiguous,
        symbol_set: None,
    }
}

/// The class index (0 lower, 1 upper, 2 digit, 3 symbol) of `c` under `p`,
/// computed independently of the implementation; `None` if `c` is not allowed.
fn class_of(p: &PasswordPolicy, c: char) -> Option<usize> {
    if p.exclude_ambiguous && "0Oo1lI|`'".contains(c) {
        return None;
    }
    let symbols = p.symbol_set.as_deref().unwrap_or(DEFAULT_SYMBOLS);
    if p.lowercase && c.is_ascii_lowercase() {
        Some(0)
    } else if p.uppercase && c.is_ascii_uppercase() {
        Some(1)
    } else if p.digits && c.is_ascii_digit() {
        Some(2)
    } else if p.symbols && !c.is_alphanumeric() && symbols.contains(c) {
        Some(3)
    } else {
        None
    }
}

fn selected_classes(p: &PasswordPolicy) -> Vec<usize> {
    [p.lowercase, p.uppercase, p.digits, p.symbols]
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .map(|(i, _)| i)
        .collect()
}

/// Asserts everything a generated password must satisfy under `p`.
fn check_password(p: &PasswordPolicy, password: &str) {
    assert_eq!(password.chars().count(), p.length, "{p:?}");
    let mut seen = HashSet::new();
    for c in password.chars() {
        let class = class_of(p, c).unwrap_or_else(|| panic!("{c:?} is not allowed by {p:?}"));
        seen.insert(class);
    }
    for class in selected_classes(p) {
        assert!(seen.contains(&class), "class {class} missing under {p:?}");
    }
}

/// Pearson's chi-squared statistic of `observed` against `expected` counts.
fn chi_squared(observed: &[u64], expected: &[f64]) -> f64 {
    observed.iter().zip(expected).map(|(&o, &e)| (o as f64 - e).powi(2) / e).sum()
}

#[test]
fn defaults_are_as_documented() {
    let p = PasswordPolicy::default();
    assert_eq!(p, policy(24, 0b1111, false));
    let q = PassphrasePolicy::default();
    assert_eq!(q.words, 6);
    assert_eq!(q.separator, "-");
    assert!(!q.capitalize && !q.include_number);
}

#[test]
fn ambiguous_and_default_symbol_sets_are_as_documented() {
    assert_eq!(AMBIGUOUS_CHARACTERS.chars().collect::<String>(), "0Oo1lI|`'");
    // The default symbols are exactly printable ASCII minus letters, digits, space.
    let expected: String = (0x21u8..0x7f).map(char::from).filter(|c| !c.is_ascii_alphanumeric()).collect();
    assert_eq!(DEFAULT_SYMBOLS, expected);
    assert_eq!(DEFAULT_SYMBOLS.len(), 32);
}

#[test]
fn every_policy_combination_yields_valid_passwords() {
    for classes in 1u8..16 {
        for exclude_ambiguous in [false, true] {
            for symbol_set in [None, Some("!@#$%^&*|"), Some("€§!!")] {
                let n = classes.count_ones() as usize;
                for length in [n, n + 1, 24, 100] {
                    let mut p = policy(length, classes, exclude_ambiguous);
                    p.symbol_set = symbol_set.map(str::to_owned);
                    for _ in 0..20 {
                        let password = generate_password(&p).expect("valid policy");
                        check_password(&p, &password);
                    }
                }
            }
        }
    }
}

#[test]
fn exclude_ambiguous_removes_every_lookalike() {
    let p =
        PasswordPolicy { length: MAX_PASSWORD_LENGTH, exclude_ambiguous: true, ..PasswordPolicy::default() };
    for _ in 0..10 {
        let password = generate_password(&p).unwrap();
        assert!(!password.chars().any(|c| AMBIGUOUS_CHARACTERS.contains(c)));
    }
    // The alphabet is exactly what is left: 24 + 24 + 8 + 29 characters.
    assert_eq!(Alphabet::new(&p).unwrap().sizes, [24, 24, 8, 29]);
}

#[test]
fn custom_symbol_set_is_a_set() {
    let p = PasswordPolicy {
        length: 10,
        lowercase: false,
        uppercase: false,
        digits: false,
        symbol_set: Some("!!!!!!?".to_owned()),
        ..PasswordPolicy::default()
    };
    let alphabet = Alphabet::new(&p).unwrap();
    assert_eq!(alphabet.chars, ['!', '?']);
    // Two equally likely symbols: exactly one bit per character.
    assert_eq!(entropy_bits(&p), 10.0);
}

#[test]
fn symbol_set_is_ignored_when_symbols_are_off() {
    let p =
        PasswordPolicy { symbols: false, symbol_set: Some("abc".to_owned()), ..PasswordPolicy::default() };
    check_password(&p, &generate_password(&p).unwrap());
}

#[test]
fn policy_errors_say_what_to_change() {
    let none = policy(24, 0, false);
    assert_eq!(generate_password(&none), Err(GeneratorError::NoCharacterClass));

    let short = policy(3, 0b1111, false);
    assert_eq!(generate_password(&short), Err(GeneratorError::TooShort { length: 3, classes: 4 }));
    assert_eq!(
        generate_password(&policy(0, 0b0001, false)),
        Err(GeneratorError::TooShort { length: 0, classes: 1 })
    );

    let long = policy(MAX_PASSWORD_LENGTH + 1, 0b1111, false);
    assert_eq!(generate_password(&long), Err(GeneratorError::TooLong { length: 4097, max: 4096 }));
    check_password(
        &policy(MAX_PASSWORD_LENGTH, 0b1111, false),
        &generate_password(&policy(MAX_PASSWORD_LENGTH, 0b1111, false)).unwrap(),
    );

    for bad in ['a', 'Z', '5', ' ', '\n', '\u{0}', 'é', '٣'] {
        let p = PasswordPolicy { symbol_set: Some(format!("!@{bad}")), ..PasswordPolicy::default() };
        assert_eq!(generate_password(&p), Err(GeneratorError::InvalidSymbol { symbol: bad }), "{bad:?}");
    }

    let empty = PasswordPolicy { symbol_set: Some(String::new()), ..PasswordPolicy::default() };
    assert_eq!(generate_password(&empty), Err(GeneratorError::EmptySymbolSet));
    let only_ambiguous = PasswordPolicy {
        symbol_set: Some("|`'".to_owned()),
        exclude_ambiguous: true,
        ..PasswordPolicy::default()
    };
    assert_eq!(generate_password(&only_ambiguous), Err(GeneratorError::EmptySymbolSet));

    for (err, hint) in [
        (GeneratorError::NoCharacterClass, "enable at least one"),
        (GeneratorError::TooShort { length: 3, classes: 4 }, "at least 4"),
        (GeneratorError::TooLong { length: 5000, max: 4096 }, "shorter"),
        (GeneratorError::InvalidSymbol { symbol: 'a' }, "remove it"),
        (GeneratorError::EmptySymbolSet, "disable symbols"),
        (GeneratorError::NoWords, "1 or more"),
        (GeneratorError::TooManyWords { words: 65, max: 64 }, "fewer words"),
    ] {
        assert!(err.to_string().contains(hint), "{err}");
    }
    // Invalid policies have no entropy.
    assert_eq!(entropy_bits(&none), 0.0);
    assert_eq!(entropy_bits(&short), 0.0);
}

/// 100,000 characters of the default alphabet (94 symbols) must look uniform.
/// A mapping with modulo bias (e.g. a byte `% 94`, which favours 68 of the
/// characters 3:2) gives a statistic in the thousands.
#[test]
fn characters_are_uniformly_distributed() {
    let p = policy(100, 0b1111, false);
    let alphabet = Alphabet::new(&p).unwrap();
    let position: HashMap<char, usize> = alphabet.chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let mut counts = vec![0u64; alphabet.chars.len()];
    for _ in 0..1000 {
        for c in generate_password(&p).unwrap().chars() {
            counts[position[&c]] += 1;
        }
    }
    let expected = vec![100_000.0 / 94.0; 94];
    let chi2 = chi_squared(&counts, &expected);
    // 93 degrees of freedom: mean 93, sd 13.6; P(chi2 > 250) < 1e-14.
    assert!(chi2 < 250.0, "chi-squared {chi2} over 93 degrees of freedom");
}

/// The class found at each position of 4-character passwords that must hold
/// all 4 classes matches the exact distribution of a uniformly chosen valid
/// password (here 1/4 each). A generator that places the required characters
/// at fixed positions (say, a lowercase letter first) fails this.
#[test]
fn class_at_each_position_matches_uniform_valid_passwords() {
    const SAMPLES: u64 = 10_000;
    let p = policy(4, 0b1111, false);
    let sizes = [26.0, 26.0, 10.0, 32.0];
    let n: f64 = sizes.iter().sum();
    // P(the other 3 draws cover every class but `c`), by inclusion–exclusion.
    let cover_others = |c: usize| -> f64 {
        let others: Vec<usize> = (0..4).filter(|&o| o != c).collect();
        (0u32..1 << others.len())
            .map(|missing| {
                let m: f64 =
                    (0..others.len()).filter(|&i| missing & (1 << i) != 0).map(|i| sizes[others[i]]).sum();
                let sign = if missing.count_ones() % 2 == 0 { 1.0 } else { -1.0 };
                sign * (1.0 - m / n).powi(3)
            })
            .sum()
    };
    let joint: Vec<f64> = (0..4).map(|c| sizes[c] / n * cover_others(c)).collect();
    let valid: f64 = joint.iter().sum();
    let expected: Vec<f64> = joint.iter().map(|j| j / valid * SAMPLES as f64).collect();

    let mut counts = [[0u64; 4]; 4];
    for _ in 0..SAMPLES {
        let password = generate_password(&p).unwrap();
        for (position, c) in password.chars().enumerate() {
            counts[position][class_of(&p, c).unwrap()] += 1;
        }
    }
    for (position, observed) in counts.iter().enumerate() {
        let chi2 = chi_squared(observed, &expected);
        // 3 degrees of freedom: P(chi2 > 45) < 1e-9.
        assert!(chi2 < 45.0, "position {position}: {observed:?} vs {expected:?}");
    }
}

/// How many symbols a 6-character digits-and-"!" password holds matches a
/// uniformly chosen valid password: exactly one "!" with probability ≈ 0.778.
/// "One of each class, then fill and shuffle" fails this (≈ 0.683): it favours
/// passwords with several characters of the small classes.
#[test]
fn class_composition_matches_uniform_valid_passwords() {
    const SAMPLES: u64 = 10_000;
    let p = PasswordPolicy {
        length: 6,
        lowercase: false,
        uppercase: false,
        symbol_set: Some("!".to_owned()),
        ..PasswordPolicy::default()
    };
    // Valid passwords with k symbols: C(6, k) · 1^k · 10^(6-k), for k in 1..=5.
    let weight = |k: u32| -> f64 {
        let binomial = (0..k).fold(1.0, |acc, i| acc * f64::from(6 - i) / f64::from(i + 1));
        binomial * 10f64.powi(6 - k as i32)
    };
    let total: f64 = (1..=5).map(weight).sum();
    // Bins: exactly 1, exactly 2, 3 or more symbols (expected counts ≥ 5).
    let expected = [
        weight(1) / total * SAMPLES as f64,
        weight(2) / total * SAMPLES as f64,
        (3..=5).map(weight).sum::<f64>() / total * SAMPLES as f64,
    ];
    let mut counts = [0u64; 3];
    for _ in 0..SAMPLES {
        let symbols = generate_password(&p).unwrap().matches('!').count();
        counts[symbols.clamp(1, 3) - 1] += 1;
    }
    let chi2 = chi_squared(&counts, &expected);
    // 2 degrees of freedom: P(chi2 > 40) = e^-20 ≈ 2e-9.
    assert!(chi2 < 40.0, "{counts:?} vs {expected:?}: chi-squared {chi2}");
}

/// `entropy_bits` equals log2 of the number of valid passwords, counted by
/// brute force over small alphabets.
#[test]
fn entropy_matches_brute_force_count() {
    let cases = [
        // digits + a 2-symbol set, 4 characters: 12^4 strings.
        PasswordPolicy {
            length: 4,
            lowercase: false,
            uppercase: false,
            symbol_set: Some("!@".to_owned()),
            ..PasswordPolicy::default()
        },
        // lowercase + digits, 3 characters: 36^3 strings.
        policy(3, 0b0101, false),
        // digits without 0 and 1, plus "!?#", 5 characters: 11^5 strings.
        PasswordPolicy {
            length: 5,
            lowercase: false,
            uppercase: false,
            exclude_ambiguous: true,
            symbol_set: Some("!?#|".to_owned()),
            ..PasswordPolicy::default()
        },
    ];
    for p in cases {
        let alphabet = Alphabet::new(&p).unwrap();
        let n = alphabet.chars.len();
        let total = n.pow(p.length as u32);
        let all = (1usize << alphabet.sizes.len()) - 1;
        let valid = (0..total)
            .filter(|&mut_index| {
                let mut index = mut_index;
                let mut seen = 0usize;
                for _ in 0..p.length {
                    seen |= 1 << alphabet.class[index % n];
                    index /= n;
                }
                seen == all
            })
            .count();
        let bits = entropy_bits(&p);
        assert!((bits - (valid as f64).log2()).abs() < 1e-9, "{p:?}: {bits} vs log2({valid})");
    }
}

#[test]
fn entropy_is_slightly_below_the_naive_figure() {
    let p = PasswordPolicy::default();
    let naive = 24.0 * 94f64.log2();
    let bits = entropy_bits(&p);
    assert!(bits < naive && bits > naive - 0.2, "{bits} vs {naive}");
    // One class: no constraint, so exactly the naive figure.
    let digits = policy(10, 0b0100, false);
    assert!((entropy_bits(&digits) - 10.0 * 10f64.log2()).abs() < 1e-9);
}

#[test]
fn wordlist_is_the_eff_large_list() {
    assert_eq!(WORDLIST.len(), 7776);
    assert_eq!(WORDLIST[0], "abacus");
    assert_eq!(WORDLIST[7775], "zoom");
    let unique: HashSet<&str> = WORDLIST.iter().copied().collect();
    assert_eq!(unique.len(), 7776);
    for word in WORDLIST {
        assert!((3..=9).contains(&word.len()), "{word:?}");
        assert!(word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{word:?}");
    }
}

/// Whether `s` is `words` list words (capitalized and with at most one digit
/// appended to one of them, as `p` says) joined by `p.separator`. Backtracks,
/// because the EFF list has hyphenated words and the separator may be empty.
fn is_passphrase(s: &str, words: usize, p: &PassphrasePolicy, digit_used: bool) -> bool {
    if words == 0 {
        return s.is_empty() && (digit_used || !p.include_number);
    }
    for len in 3..=9 {
        let Some(candidate) = s.get(..len) else {
            continue;
        };
        let lower = candidate.to_ascii_lowercase();
        if !WORDS.contains(lower.as_str()) {
            continue;
        }
        if p.capitalize != candidate.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        let mut rests = vec![(&s[len..], digit_used)];
        if p.include_number && !digit_used && s[len..].starts_with(|c: char| c.is_ascii_digit()) {
            rests.push((&s[len + 1..], true));
        }
        for (rest, digit_used) in rests {
            let rest = if words > 1 {
                match rest.strip_prefix(p.separator.as_str()) {
                    Some(rest) => rest,
                    None => continue,
                }
            } else {
                rest
            };
            if is_passphrase(rest, words - 1, p, digit_used) {
                return true;
            }
        }
    }
    false
}

#[test]
fn passphrases_are_words_from_the_list() {
    for separator in ["-", " ", "", "_", "--", "·"] {
        for capitalize in [false, true] {
            for include_number in [false, true] {
                for words in [1, 2, 6, 12] {
                    let p = PassphrasePolicy {
                        words,
                        separator: separator.to_owned(),
                        capitalize,
                        include_number,
                    };
                    for _ in 0..10 {
                        let phrase = generate_passphrase(&p).unwrap();
                        assert!(is_passphrase(&phrase, words, &p, false), "{phrase:?} {p:?}");
                        let digits = phrase.chars().filter(char::is_ascii_digit).count();
                        assert_eq!(digits, usize::from(include_number), "{phrase:?}");
                        if !separator.is_empty() && !separator.contains('-') {
                            assert_eq!(phrase.split(separator).count(), words, "{phrase:?}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn passphrase_errors_and_entropy() {
    let zero = PassphrasePolicy { words: 0, ..PassphrasePolicy::default() };
    assert_eq!(generate_passphrase(&zero), Err(GeneratorError::NoWords));
    assert_eq!(passphrase_entropy_bits(&zero), 0.0);
    let many = PassphrasePolicy { words: MAX_PASSPHRASE_WORDS + 1, ..PassphrasePolicy::default() };
    assert_eq!(generate_passphrase(&many), Err(GeneratorError::TooManyWords { words: 65, max: 64 }));
    let max = PassphrasePolicy { words: MAX_PASSPHRASE_WORDS, ..PassphrasePolicy::default() };
    assert!(is_passphrase(&generate_passphrase(&max).unwrap(), 64, &max, false));

    let default = passphrase_entropy_bits(&PassphrasePolicy::default());
    assert!((default - 6.0 * 7776f64.log2()).abs() < 1e-9);
    assert!((default - 77.548_875).abs() < 1e-5);
    let with_number =
        PassphrasePolicy { include_number: true, capitalize: true, ..PassphrasePolicy::default() };
    assert!((passphrase_entropy_bits(&with_number) - default - 60f64.log2()).abs() < 1e-9);
}

/// 100,000 words must be spread evenly over the 7,776 entries of the list.
#[test]
fn words_are_uniformly_distributed() {
    let index: HashMap<&str, usize> = WORDLIST.iter().enumerate().map(|(i, &w)| (w, i)).collect();
    let p = PassphrasePolicy { words: 50, separator: " ".to_owned(), ..PassphrasePolicy::default() };
    let mut counts = vec![0u64; WORDLIST.len()];
    for _ in 0..2000 {
        for word in generate_passphrase(&p).unwrap().split(' ') {
            counts[index[word]] += 1;
        }
    }
    let expected = vec![100_000.0 / 7776.0; 7776];
    let chi2 = chi_squared(&counts, &expected);
    // 7775 degrees of freedom: mean 7775, sd ≈ 125; 10 sd above is never reached.
    assert!(chi2 < 7775.0 + 10.0 * 125.0, "chi-squared {chi2}");
}

#[test]
fn policies_serialize_and_fill_in_defaults() {
    let p = PasswordPolicy {
        length: 16,
        symbol_set: Some("!#".to_owned()),
        exclude_ambiguous: true,
        ..PasswordPolicy::default()
    };
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<PasswordPolicy>(&json).unwrap(), p);
    let bytes = bincode::serialize(&p).unwrap();
    assert_eq!(bincode::deserialize::<PasswordPolicy>(&bytes).unwrap(), p);

    let partial: PasswordPolicy = serde_json::from_str(r#"{"symbols": false}"#).unwrap();
    assert_eq!(partial, PasswordPolicy { symbols: false, ..PasswordPolicy::default() });
    let phrase: PassphrasePolicy = serde_json::from_str(r#"{"words": 8}"#).unwrap();
    assert_eq!(phrase, PassphrasePolicy { words: 8, ..PassphrasePolicy::default() });
}

fn any_password_policy() -> impl Strategy<Value = PasswordPolicy> {
    (0usize..64, any::<[bool; 5]>(), proptest::option::of("[!-~€§¶ a1]{0,8}")).prop_map(
        |(length, b, symbol_set)| PasswordPolicy {
            length,
            lowercase: b[0],
            uppercase: b[1],
            digits: b[2],
            symbols: b[3],
            exclude_ambiguous: b[4],
            symbol_set,
        },
    )
}

proptest! {
    /// Any policy either generates a valid password or fails with the error
    /// its first violated rule calls for.
    #[test]
    fn any_policy_generates_or_explains(p in any_password_policy()) {
        let classes = selected_classes(&p).len();
        let custom = p.symbol_set.as_deref().filter(|_| p.symbols);
        let invalid = custom.and_then(|s| {
            s.chars().find(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control())
        });
        let usable_symbols = custom.unwrap_or(DEFAULT_SYMBOLS).chars().any(|c| {
            !(p.exclude_ambiguous && AMBIGUOUS_CHARACTERS.contains(c))
        });
        let expected = if classes == 0 {
            Err(GeneratorError::NoCharacterClass)
        } else if p.length < classes {
            Err(GeneratorError::TooShort { length: p.length, classes })
        } else if let Some(symbol) = invalid {
            Err(GeneratorError::InvalidSymbol { symbol })
        } else if p.symbols && !usable_symbols {
            Err(GeneratorError::EmptySymbolSet)
        } else {
            Ok(())
        };
        match (generate_password(&p), expected) {
            (Ok(password), Ok(())) => {
                check_password(&p, &password);
                // A one-character alphabet is valid and has no entropy at all.
                let n = Alphabet::new(&p).unwrap().chars.len() as f64;
                let bits = entropy_bits(&p);
                prop_assert!(bits >= 0.0 && bits <= p.length as f64 * n.log2() + 1e-9);
            }
            (Err(got), Err(want)) => prop_assert_eq!(got, want),
            (got, want) => prop_assert!(false, "{:?}: got {:?}, want {:?}", p, got, want),
        }
    }

    /// Any valid passphrase policy yields that many list words.
    #[test]
    fn any_passphrase_policy_generates_list_words(
        words in 1usize..=16,
        separator in "[ ._+~-]{0,3}",
        capitalize in any::<bool>(),
        include_number in any::<bool>(),
    ) {
        let p = PassphrasePolicy { words, separator, capitalize, include_number };
        let phrase = generate_passphrase(&p).unwrap();
        prop_assert!(is_passphrase(&phrase, words, &p, false), "{:?}", phrase);
    }
}
