//! The setup code: account id and account key in a form a person can keep
//! (docs/spec/crypto-v2.md, "Setup code").

use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AccountId, AccountKey, SetupCodeError};

const PREFIX: &str = "HUSH1-";
/// 16 bytes of id, 16 of key, 2 of checksum.
const RAW_LEN: usize = 34;

/// `"HUSH1-" || groups of 5 of Base32(account_id || AK || SHA-256(account_id || AK)[0..2])`.
pub struct SetupCode;

impl SetupCode {
    /// Formats the setup code. The result holds the account key: keep it zeroizing.
    pub fn encode(account_id: &AccountId, account_key: &AccountKey) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(RAW_LEN));
        raw.extend_from_slice(account_id.as_bytes());
        raw.extend_from_slice(account_key.expose());
        let check = Sha256::digest(&raw[..]);
        raw.extend_from_slice(&check[..2]);
        let b32 = Zeroizing::new(BASE32_NOPAD.encode(&raw));
        let mut out = Zeroizing::new(String::with_capacity(PREFIX.len() + b32.len() * 6 / 5));
        out.push_str(PREFIX);
        for (i, chunk) in b32.as_bytes().chunks(5).enumerate() {
            if i > 0 {
                out.push('-');
            }
            // Base32 output is ASCII.
            out.push_str(std::str::from_utf8(chunk).expect("base32 is ASCII"));
        }
        out
    }

    /// Parses a setup code; accepts lower case, missing dashes and surrounding or
    /// inner white space, and rejects a wrong checksum with its own error.
    pub fn parse(code: &str) -> Result<(AccountId, AccountKey), SetupCodeError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            code.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let body = cleaned.strip_prefix("HUSH1").ok_or(SetupCodeError::BadPrefix)?;
        if body.bytes().any(|b| !matches!(b, b'A'..=b'Z' | b'2'..=b'7')) {
            return Err(SetupCodeError::BadCharacters);
        }
        if BASE32_NOPAD.decode_len(body.len()).ok() != Some(RAW_LEN) {
            return Err(SetupCodeError::BadLength);
        }
        let raw =
            Zeroizing::new(BASE32_NOPAD.decode(body.as_bytes()).map_err(|_| SetupCodeError::BadLength)?);
        if raw.len() != RAW_LEN {
            return Err(SetupCodeError::BadLength);
        }
        let check = Sha256::digest(&raw[..32]);
        if check[..2] != raw[32..] {
            return Err(SetupCodeError::BadChecksum);
        }
        let id = AccountId(raw[..16].try_into().map_err(|_| SetupCodeError::BadLength)?);
        let key = AccountKey::from_slice(&raw[16..32]).ok_or(SetupCodeError::BadLength)?;
        Ok((id, key))
    }
}

/// How many characters a group of the setup code has.
pub const GROUP_LEN: usize = 5;
/// How many groups follow `HUSH1-`: 34 bytes are 55 Base32 characters.
pub const GROUPS: usize = 11;
/// The Base32 alphabet of RFC 4648, which the setup code uses.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// What is wrong with a typed setup code, pinned to one group (numbered from 1) wherever the
/// format allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupCodeProblem {
    /// It does not start with `HUSH1`.
    Prefix,
    /// The group holds characters that no setup code has (only A–Z and 2–7).
    Characters {
        /// The group.
        group: usize,
        /// The characters outside the alphabet, in order.
        bad: Vec<char>,
    },
    /// The group does not have [`GROUP_LEN`] characters (said only when the code was typed with
    /// its dashes, which is what shows where a group ends).
    GroupLength {
        /// The group.
        group: usize,
        /// How many characters it has.
        len: usize,
    },
    /// The last group ends in a character that cannot end a setup code (its unused low bits
    /// are not zero).
    Ending,
    /// The code has too few or too many characters, and no group can be blamed.
    Length {
        /// How many characters follow the prefix.
        chars: usize,
    },
    /// The checksum does not match. `suspect` is the one group in which a single mistyped
    /// character, or two swapped neighbours, would make it match, when exactly one group can;
    /// `None` when none or several can.
    Checksum {
        /// The group to retype, if one stands out.
        suspect: Option<usize>,
    },
}

impl SetupCodeProblem {
    /// The group a person should retype, if the problem is in one.
    pub fn group(&self) -> Option<usize> {
        match self {
            SetupCodeProblem::Characters { group, .. } | SetupCodeProblem::GroupLength { group, .. } => {
                Some(*group)
            }
            SetupCodeProblem::Ending => Some(GROUPS),
            SetupCodeProblem::Checksum { suspect } => *suspect,
            SetupCodeProblem::Prefix | SetupCodeProblem::Length { .. } => None,
        }
    }
}

/// A setup code as a person typed it, split into its groups, so that a mistake can be pointed
/// at and only its group typed again (issue #10, point 5).
///
/// The format (docs/spec/crypto-v2.md, "Setup code") has one 16-bit checksum over the whole
/// code, not one per group, and this does not change it. What can still be pinned to a group:
/// a character outside the alphabet, a group of the wrong length, an impossible last character,
/// and a checksum failure that a single mistyped character or one swap of neighbours in exactly
/// one group would explain. That last one is a search over about 1,750 variants of the code;
/// a 16-bit checksum lets about one in 37 of those searches find a second, wrong, group as
/// well, and then no group is named. It finds nothing a person holding the code does not know.
pub struct TypedSetupCode {
    groups: Vec<Zeroizing<String>>,
}

impl TypedSetupCode {
    /// Splits what was typed: upper case, white space ignored, the `HUSH1` prefix required. With
    /// dashes, the groups are what lies between them; without, every five characters.
    pub fn new(typed: &str) -> Result<TypedSetupCode, SetupCodeProblem> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            typed.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect(),
        );
        let body = cleaned.strip_prefix("HUSH1").ok_or(SetupCodeProblem::Prefix)?;
        let body = body.strip_prefix('-').unwrap_or(body);
        let groups = if body.contains('-') {
            body.split('-').map(|g| Zeroizing::new(g.to_owned())).collect()
        } else {
            body.as_bytes()
                .chunks(GROUP_LEN)
                .map(|g| Zeroizing::new(String::from_utf8_lossy(g).into_owned()))
                .collect()
        };
        Ok(TypedSetupCode { groups })
    }

    /// Group `n` (from 1) as typed; empty if there is no such group.
    pub fn group(&self, n: usize) -> &str {
        n.checked_sub(1).and_then(|i| self.groups.get(i)).map_or("", |g| g.as_str())
    }

    /// Puts `typed` in place of group `n` (from 1), cleaned as [`new`](Self::new) cleans.
    pub fn replace_group(&mut self, n: usize, typed: &str) {
        let cleaned = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        if let Some(slot) = n.checked_sub(1).and_then(|i| self.groups.get_mut(i)) {
            *slot = cleaned;
        }
    }

    /// The account id and key, or the first problem found, pinned to a group where possible.
    pub fn check(&self) -> Result<(AccountId, AccountKey), SetupCodeProblem> {
        for (i, group) in self.groups.iter().enumerate() {
            let bad: Vec<char> =
                group.chars().filter(|c| !c.is_ascii() || !ALPHABET.contains(&(*c as u8))).collect();
            if !bad.is_empty() {
                return Err(SetupCodeProblem::Characters { group: i + 1, bad });
            }
        }
        let chars: usize = self.groups.iter().map(|g| g.len()).sum();
        if self.groups.len() == GROUPS && chars != GROUPS * GROUP_LEN {
            let (i, g) =
                self.groups.iter().enumerate().find(|(_, g)| g.len() != GROUP_LEN).expect("a short group");
            return Err(SetupCodeProblem::GroupLength { group: i + 1, len: g.len() });
        }
        if chars != GROUPS * GROUP_LEN {
            return Err(SetupCodeProblem::Length { chars });
        }
        let body: Zeroizing<String> = Zeroizing::new(self.groups.iter().map(|g| g.as_str()).collect());
        match decode_checked(body.as_bytes()) {
            Decoded::Valid(raw) => {
                let id = AccountId(raw[..16].try_into().map_err(|_| SetupCodeProblem::Length { chars })?);
                let key = AccountKey::from_slice(&raw[16..32]).ok_or(SetupCodeProblem::Length { chars })?;
                Ok((id, key))
            }
            Decoded::BadEnding => Err(SetupCodeProblem::Ending),
            Decoded::BadChecksum => {
                Err(SetupCodeProblem::Checksum { suspect: suspect_group(body.as_bytes()) })
            }
        }
    }
}

enum Decoded {
    Valid(Zeroizing<Vec<u8>>),
    BadEnding,
    BadChecksum,
}

/// Decodes 55 characters of the alphabet and checks the checksum.
fn decode_checked(body: &[u8]) -> Decoded {
    let Ok(raw) = BASE32_NOPAD.decode(body).map(Zeroizing::new) else { return Decoded::BadEnding };
    if raw.len() != RAW_LEN {
        return Decoded::BadEnding;
    }
    let check = Sha256::digest(&raw[..32]);
    if check[..2] == raw[32..] { Decoded::Valid(raw) } else { Decoded::BadChecksum }
}

/// The one group in which one changed character, or one swap of neighbours, makes the
/// checksum match; `None` if no group or several groups can.
fn suspect_group(body: &[u8]) -> Option<usize> {
    let mut candidate = Zeroizing::new(body.to_vec());
    let mut found = None;
    for group in 0..GROUPS {
        let span = group * GROUP_LEN..(group + 1) * GROUP_LEN;
        if group_can_explain(&mut candidate, span) {
            if found.is_some() {
                return None;
            }
            found = Some(group + 1);
        }
    }
    found
}

/// Whether some one-character change or neighbour swap within `span` of `code` makes its
/// checksum match. `code` is restored before returning.
fn group_can_explain(code: &mut [u8], span: std::ops::Range<usize>) -> bool {
    for i in span.clone() {
        let original = code[i];
        for &c in ALPHABET.iter().filter(|&&c| c != original) {
            code[i] = c;
            if matches!(decode_checked(code), Decoded::Valid(_)) {
                code[i] = original;
                return true;
            }
        }
        code[i] = original;
    }
    for i in span.start..span.end - 1 {
        if code[i] == code[i + 1] {
            continue;
        }
        code.swap(i, i + 1);
        let valid = matches!(decode_checked(code), Decoded::Valid(_));
        code.swap(i, i + 1);
        if valid {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> (AccountId, AccountKey, String) {
        let id = AccountId([0x11; 16]);
        let key = AccountKey::from_slice(&[0x5a; 16]).unwrap();
        let code = SetupCode::encode(&id, &key).to_string();
        (id, key, code)
    }

    /// `code` with group `n` (from 1) replaced by `with`.
    fn with_group(code: &str, n: usize, with: &str) -> String {
        let mut parts: Vec<String> = code.split('-').map(str::to_owned).collect();
        parts[n] = with.to_owned();
        parts.join("-")
    }

    #[test]
    fn a_right_code_reads_however_it_is_typed() {
        let (id, key, code) = code();
        for typed in [
            code.clone(),
            code.to_lowercase(),
            code.replace('-', ""),
            format!("  {}  ", code.replace('-', " - ")),
        ] {
            let (got_id, got_key) = TypedSetupCode::new(&typed).unwrap().check().unwrap();
            assert_eq!(got_id, id, "{typed}");
            assert_eq!(got_key.expose(), key.expose(), "{typed}");
        }
        assert_eq!(TypedSetupCode::new(&code).unwrap().group(1), &code[6..11]);
    }

    #[test]
    fn a_character_outside_the_alphabet_names_its_group_and_retyping_it_fixes_the_code() {
        let (id, _, code) = code();
        let right = code.split('-').nth(4).unwrap().to_owned();
        let wrong = format!("{}0{}", &right[..2], &right[3..]);
        let mut typed = TypedSetupCode::new(&with_group(&code, 4, &wrong)).unwrap();
        assert_eq!(typed.check().err(), Some(SetupCodeProblem::Characters { group: 4, bad: vec!['0'] }));
        typed.replace_group(4, &right.to_lowercase());
        assert_eq!(typed.check().unwrap().0, id);
    }

    #[test]
    fn one_mistyped_character_or_swap_is_pinned_to_its_group() {
        let (id, _, code) = code();
        let right = code.split('-').nth(7).unwrap().to_owned();
        let first = right.as_bytes()[1];
        let other = if first == b'Q' { 'R' } else { 'Q' };
        let wrong = format!("{}{other}{}", &right[..1], &right[2..]);
        let mut typed = TypedSetupCode::new(&with_group(&code, 7, &wrong)).unwrap();
        assert_eq!(typed.check().err(), Some(SetupCodeProblem::Checksum { suspect: Some(7) }));
        typed.replace_group(7, &right);
        assert_eq!(typed.check().unwrap().0, id);

        let right = code.split('-').nth(2).unwrap().to_owned();
        let b = right.as_bytes();
        let i = (0..4).find(|&i| b[i] != b[i + 1]).expect("two different neighbours");
        let mut swapped = b.to_vec();
        swapped.swap(i, i + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        let typed = TypedSetupCode::new(&with_group(&code, 2, &swapped)).unwrap();
        assert_eq!(typed.check().err(), Some(SetupCodeProblem::Checksum { suspect: Some(2) }));
    }

    #[test]
    fn two_mistyped_groups_name_no_group_rather_than_a_wrong_one() {
        let (_, _, code) = code();
        let mut typed = code.clone();
        for n in [3, 9] {
            let right = code.split('-').nth(n).unwrap().to_owned();
            let other = if right.starts_with('A') { "B" } else { "A" };
            typed = with_group(&typed, n, &format!("{other}{}", &right[1..]));
        }
        let problem = TypedSetupCode::new(&typed).unwrap().check().err().unwrap();
        assert!(
            matches!(problem, SetupCodeProblem::Checksum { suspect: None | Some(3) | Some(9) }),
            "{problem:?}"
        );
    }

    #[test]
    fn lengths_prefixes_and_endings_are_said_as_precisely_as_the_code_allows() {
        let (_, _, code) = code();
        let short = with_group(&code, 3, &code.split('-').nth(3).unwrap()[..4]);
        assert_eq!(
            TypedSetupCode::new(&short).unwrap().check().err(),
            Some(SetupCodeProblem::GroupLength { group: 3, len: 4 })
        );
        let missing: String = code.split('-').take(11).collect::<Vec<_>>().join("-");
        assert_eq!(
            TypedSetupCode::new(&missing).unwrap().check().err(),
            Some(SetupCodeProblem::Length { chars: 50 })
        );
        assert_eq!(TypedSetupCode::new("HUSH2-ABCDE").err(), Some(SetupCodeProblem::Prefix));
        // The last character carries 2 bits of the checksum and 3 zero bits: "7" sets them.
        let last = code.split('-').nth(11).unwrap();
        let bad_end = with_group(&code, 11, &format!("{}7", &last[..4]));
        if !last.ends_with('7') {
            let problem = TypedSetupCode::new(&bad_end).unwrap().check().err().unwrap();
            assert_eq!(problem, SetupCodeProblem::Ending);
            assert_eq!(problem.group(), Some(GROUPS));
        }
    }
}
