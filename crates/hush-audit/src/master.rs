//! How hard a master password is to guess for someone who stole a device's `vault.hush` *and*
//! `account.key` (docs/threat-model.md, "A thief with a device's disk": the server's data alone
//! does not let anyone test a guess), and whether that is hard enough for `hush init` and `hush
//! passwd` to accept it (issue #10, point 1).
//!
//! Two estimates are multiplied:
//!
//! - **Guesses**: zxcvbn's estimate of how many guesses a smart attacker needs (dictionaries,
//!   common passwords, names, keyboard patterns, l33t, dates...). zxcvbn caps its estimate near
//!   10^19.3 (a `u64`); a password at the cap is "at least" that strong.
//! - **Cost of one guess** under the vault's Argon2id parameters, for the attacker of
//!   [`Attacker::REFERENCE`]: Argon2id is bound by memory traffic, not arithmetic (RFC 9106,
//!   section 3: every block of every pass reads two 1 KiB blocks and writes one, and from the
//!   second pass on also reads the block it overwrites), so one guess moves about
//!   `4 KiB × m_kib × t` bytes, and a GPU computes about `bandwidth ÷ that` guesses per
//!   second. The lanes (`p`) do not change the total work.
//!
//! On average an attacker finds the password after half the guesses. A password is accepted
//! when zxcvbn gives it its top score (4: "strong protection from an offline slow-hash
//! attack", at least 10^10 guesses) *and* the average work is at least
//! [`MIN_GPU_YEARS`] of the reference GPU. These are estimates within a small factor, said as
//! such wherever they are shown; their assumptions are constants here and in
//! docs/threat-model.md.

use hush_crypto::KdfParams;
use zeroize::Zeroizing;

use crate::MAX_EVALUATED_CHARS;

/// The least average work, in years of one reference GPU, a master password must cost.
/// 100 GPU-years is about $1.75 million of rented GPU time at [`Attacker::REFERENCE`]'s price.
pub const MIN_GPU_YEARS: f64 = 100.0;

/// zxcvbn's top score, required as well: below it zxcvbn itself calls a password guessable by
/// an offline attack on a slow hash, whatever the KDF.
pub const MIN_SCORE: u8 = 4;

const SECONDS_PER_YEAR: f64 = 365.25 * 24.0 * 3600.0;

/// Bytes of memory traffic per 1 KiB block and pass of Argon2 (see the module documentation).
const TRAFFIC_PER_BLOCK: f64 = 4.0 * 1024.0;

/// Who the estimate imagines on the other side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attacker {
    /// How many GPUs work in parallel.
    pub gpus: u32,
    /// Memory bandwidth of one GPU, bytes per second.
    pub bandwidth: f64,
    /// What one GPU-hour costs to rent, in US dollars.
    pub usd_per_gpu_hour: f64,
}

impl Attacker {
    /// A well-funded attacker: 1,000 high-end GPUs, each with about 1 TB/s of memory
    /// bandwidth (a 2024 data-centre or top consumer card), rented at $2 per GPU-hour.
    pub const REFERENCE: Attacker = Attacker { gpus: 1_000, bandwidth: 1.0e12, usd_per_gpu_hour: 2.0 };

    /// Guesses per second one of this attacker's GPUs makes under `params`.
    pub fn guesses_per_gpu_second(&self, params: &KdfParams) -> f64 {
        let traffic = TRAFFIC_PER_BLOCK * f64::from(params.m_kib.max(1)) * f64::from(params.t.max(1));
        self.bandwidth / traffic
    }
}

/// The estimate for one master password under one set of KDF parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterStrength {
    /// log10 of zxcvbn's guess estimate.
    pub guesses_log10: f64,
    /// Whether the estimate sits at zxcvbn's cap (the password is at least this strong).
    pub at_cap: bool,
    /// zxcvbn's score, 0 to 4.
    pub score: u8,
    /// zxcvbn's warning, e.g. "This is a very common password."
    pub warning: Option<String>,
    /// zxcvbn's suggestions, e.g. "Add another word or two."
    pub suggestions: Vec<String>,
    /// Average work to find it, in seconds of one reference GPU.
    pub gpu_seconds: f64,
    /// The attacker the estimate assumes.
    pub attacker: Attacker,
}

impl MasterStrength {
    /// Estimates `password` under `params` for [`Attacker::REFERENCE`]. `user_inputs` are words
    /// that make a password weaker when it contains them (the user's name, "hush").
    pub fn estimate(password: &str, params: &KdfParams, user_inputs: &[&str]) -> MasterStrength {
        Self::estimate_for(password, params, user_inputs, Attacker::REFERENCE)
    }

    /// [`estimate`](Self::estimate) for another attacker.
    pub fn estimate_for(
        password: &str,
        params: &KdfParams,
        user_inputs: &[&str],
        attacker: Attacker,
    ) -> MasterStrength {
        // zxcvbn's matching is superlinear in the length; the audit's cap applies here too.
        let evaluated: Zeroizing<String> =
            Zeroizing::new(password.chars().take(MAX_EVALUATED_CHARS).collect());
        let entropy = zxcvbn::zxcvbn(&evaluated, user_inputs);
        let feedback = entropy.feedback();
        let guesses_log10 = entropy.guesses_log10();
        // Half the guesses on average; computed in log space, since 10^19 guesses do not fit
        // an f64's integer range exactly (which does not matter for an estimate).
        let avg_guesses = 10f64.powf(guesses_log10) / 2.0;
        MasterStrength {
            guesses_log10,
            at_cap: entropy.guesses() == u64::MAX,
            score: u8::from(entropy.score()),
            warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
            suggestions: feedback
                .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            gpu_seconds: avg_guesses / attacker.guesses_per_gpu_second(params),
            attacker,
        }
    }

    /// Whether `hush init` and `hush passwd` accept it (see the module documentation).
    pub fn is_strong_enough(&self) -> bool {
        self.score >= MIN_SCORE && self.gpu_seconds >= MIN_GPU_YEARS * SECONDS_PER_YEAR
    }

    /// Average time for the whole attacker (all its GPUs) to find it, in seconds.
    pub fn attacker_seconds(&self) -> f64 {
        self.gpu_seconds / f64::from(self.attacker.gpus.max(1))
    }

    /// Average rented-GPU cost to find it, in US dollars.
    pub fn attacker_usd(&self) -> f64 {
        self.gpu_seconds / 3600.0 * self.attacker.usd_per_gpu_hour
    }

    /// zxcvbn's warning and suggestions in one line; empty when it has none (a password that
    /// zxcvbn likes can still be too cheap to guess under weak KDF parameters).
    pub fn feedback(&self) -> String {
        let mut parts: Vec<&str> = self.warning.iter().map(String::as_str).collect();
        parts.extend(self.suggestions.iter().map(String::as_str));
        parts.join(" ")
    }

    /// One sentence on the cost of guessing it, with the attacker it assumes, e.g. "With
    /// 1,000 GPUs an attacker would need about 3 hours on average (about $6,000 of rented GPU
    /// time)".
    pub fn cost_sentence(&self) -> String {
        let at_least = if self.at_cap { "at least " } else { "" };
        format!(
            "with {} GPUs an attacker would need {at_least}{} on average ({at_least}{} of rented GPU time)",
            group_thousands(u64::from(self.attacker.gpus)),
            human_duration(self.attacker_seconds()),
            human_usd(self.attacker_usd())
        )
    }

    /// The assumptions behind [`cost_sentence`](Self::cost_sentence), for a second line.
    pub fn assumptions(&self, params: &KdfParams) -> String {
        format!(
            "Estimate: zxcvbn's {} guesses, half of them on average, each one Argon2id with {} MiB × {} passes \
             (about {} guesses per second per GPU at {} TB/s of memory bandwidth, ${} per GPU-hour)",
            guesses_phrase(self.guesses_log10, self.at_cap),
            params.m_kib / 1024,
            params.t,
            significant(self.attacker.guesses_per_gpu_second(params)),
            self.attacker.bandwidth / 1.0e12,
            self.attacker.usd_per_gpu_hour
        )
    }
}

/// "10^3.9" style, or "at least 10^19" at zxcvbn's cap.
fn guesses_phrase(log10: f64, at_cap: bool) -> String {
    if at_cap { format!("at least 10^{}", log10.floor()) } else { format!("about 10^{log10:.1}") }
}

/// A rate with two significant digits, grouped: 310, 1,200, 30,000.
fn significant(x: f64) -> String {
    if x < 10.0 {
        return format!("{x:.1}");
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32 - 1);
    group_thousands(((x / magnitude).round() * magnitude) as u64)
}

/// 1234567 → "1,234,567".
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration as a person says it: "less than a second", "about 3 hours", "about 2,000 years",
/// "more than a billion years".
pub fn human_duration(seconds: f64) -> String {
    const UNITS: [(&str, f64); 6] = [
        ("second", 1.0),
        ("minute", 60.0),
        ("hour", 3600.0),
        ("day", 86_400.0),
        ("month", SECONDS_PER_YEAR / 12.0),
        ("year", SECONDS_PER_YEAR),
    ];
    if seconds < 1.0 {
        return "less than a second".into();
    }
    if seconds >= 1.0e9 * SECONDS_PER_YEAR {
        return "more than a billion years".into();
    }
    let (unit, size) = UNITS.iter().rev().find(|(_, size)| seconds >= *size).copied().unwrap_or(UNITS[0]);
    let n = seconds / size;
    let rounded =
        if n < 10.0 { n.round() as u64 } else { significant(n).replace(',', "").parse().unwrap_or(0) };
    let plural = if rounded == 1 { "" } else { "s" };
    format!("about {} {unit}{plural}", group_thousands(rounded))
}

/// Dollars as a person says them: "less than $1", "about $6,000", "about $2 million",
/// "more than $1 trillion".
pub fn human_usd(usd: f64) -> String {
    if usd < 1.0 {
        return "less than $1".into();
    }
    if usd >= 1.0e12 {
        return "more than $1 trillion".into();
    }
    if usd >= 1.0e9 {
        return format!("about ${} billion", significant(usd / 1.0e9));
    }
    if usd >= 1.0e6 {
        return format!("about ${} million", significant(usd / 1.0e6));
    }
    format!("about ${}", significant(usd))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: KdfParams = KdfParams::DEFAULT;

    #[test]
    fn common_and_short_passwords_are_refused_with_zxcvbns_reason() {
        for weak in ["a", "hunter2", "password1", "Summer2024!"] {
            let s = MasterStrength::estimate(weak, &DEFAULT, &[]);
            assert!(!s.is_strong_enough(), "{weak} was accepted");
            assert!(s.score < MIN_SCORE, "{weak}");
        }
        let s = MasterStrength::estimate("hunter2", &DEFAULT, &[]);
        assert!(s.feedback().contains("very common password"), "{}", s.feedback());
    }

    #[test]
    fn zxcvbns_top_score_is_not_enough_when_guessing_stays_cheap() {
        // xkcd 936's "Tr0ub4dor&3": score 4, about 10^11 guesses; with 1,000 GPUs a matter of
        // days under the default parameters.
        let s = MasterStrength::estimate("Tr0ub4dor&3", &DEFAULT, &[]);
        assert_eq!(s.score, 4);
        assert!(!s.is_strong_enough());
        assert!(s.attacker_seconds() < 30.0 * 86_400.0, "{}", s.cost_sentence());
    }

    #[test]
    fn generated_passphrases_and_long_random_passwords_are_accepted() {
        for strong in [
            "plus mantis reborn wobbly dowry sculpture",
            "unfold-crisply-gallon-shelter-jelly",
            "correct horse battery staple",
            "q7#Vd2!mZp9@Lx4&",
        ] {
            let s = MasterStrength::estimate(strong, &DEFAULT, &[]);
            assert!(s.is_strong_enough(), "{strong}: {}", s.cost_sentence());
        }
    }

    #[test]
    fn user_inputs_make_a_password_weaker() {
        let alone = MasterStrength::estimate("octocathush2024", &DEFAULT, &[]);
        let known = MasterStrength::estimate("octocathush2024", &DEFAULT, &["octocat", "hush"]);
        assert!(known.guesses_log10 < alone.guesses_log10);
    }

    #[test]
    fn the_guess_rate_follows_memory_and_passes_but_not_lanes() {
        let a = Attacker::REFERENCE;
        let default = a.guesses_per_gpu_second(&DEFAULT);
        // 4 KiB × 256 Mi blocks... 1 TB/s ÷ (4 KiB × 262,144 × 3) ≈ 310 guesses per second.
        assert!((300.0..320.0).contains(&default), "{default}");
        let half = KdfParams { m_kib: DEFAULT.m_kib / 2, ..DEFAULT };
        assert!((a.guesses_per_gpu_second(&half) / default - 2.0).abs() < 1e-9);
        let lanes = KdfParams { p: 1, ..DEFAULT };
        assert_eq!(a.guesses_per_gpu_second(&lanes), default);
    }

    #[test]
    fn cheaper_kdf_parameters_demand_a_stronger_password() {
        // About 10^13.8 guesses: enough under the default parameters, not under the test
        // parameters of 8 MiB and one pass, 96 times cheaper per guess.
        let pw = "the new master password";
        assert!(MasterStrength::estimate(pw, &DEFAULT, &[]).is_strong_enough());
        let cheap = KdfParams { m_kib: 8 * 1024, t: 1, p: 1 };
        assert!(!MasterStrength::estimate(pw, &cheap, &[]).is_strong_enough());
    }

    #[test]
    fn the_cost_sentence_names_the_attacker_and_says_at_least_at_zxcvbns_cap() {
        let weak = MasterStrength::estimate("hunter2", &DEFAULT, &[]);
        assert_eq!(
            weak.cost_sentence(),
            "with 1,000 GPUs an attacker would need less than a second on average (less than $1 of rented GPU time)"
        );
        let capped = MasterStrength::estimate("plus mantis reborn wobbly dowry sculpture", &DEFAULT, &[]);
        assert!(capped.at_cap);
        assert!(capped.cost_sentence().contains("at least"), "{}", capped.cost_sentence());
        let why = weak.assumptions(&DEFAULT);
        assert!(why.contains("256 MiB × 3 passes") && why.contains("310 guesses per second"), "{why}");
    }

    #[test]
    fn durations_and_dollars_read_as_people_say_them() {
        assert_eq!(human_duration(0.2), "less than a second");
        assert_eq!(human_duration(1.0), "about 1 second");
        assert_eq!(human_duration(3.0 * 3600.0 + 100.0), "about 3 hours");
        assert_eq!(human_duration(2.0 * SECONDS_PER_YEAR), "about 2 years");
        assert_eq!(human_duration(1234.0 * SECONDS_PER_YEAR), "about 1,200 years");
        assert_eq!(human_duration(2.0e9 * SECONDS_PER_YEAR), "more than a billion years");
        assert_eq!(human_usd(0.01), "less than $1");
        assert_eq!(human_usd(6123.0), "about $6,100");
        assert_eq!(human_usd(1.75e6), "about $1.8 million");
        assert_eq!(human_usd(5.0e13), "more than $1 trillion");
    }
}
