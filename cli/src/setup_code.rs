//! Entering a setup code (`hush login` on a new device, `hush import --from hush`; issue #10,
//! point 5): shown as it is typed, since it is checked rather than secret from the person at the
//! keyboard, and a mistake is pointed at its group so that only that group is typed again
//! (`hush_crypto::TypedSetupCode` says what the format allows to point at).

use std::path::Path;

use anyhow::{Result, bail};
use hush_crypto::{AccountId, AccountKey, GROUP_LEN, GROUPS, SetupCodeProblem, TypedSetupCode};

use crate::prompt;

/// How many times the whole code may be typed again before giving up.
const WHOLE_CODE_TRIES: u32 = 3;
/// How many single groups may be typed again, in all, before giving up.
const GROUP_TRIES: u32 = 10;

/// The setup code from the first line of a file (scripts): a mistake fails at once, saying
/// where it is.
pub(crate) fn from_file(path: &Path) -> Result<(AccountId, AccountKey)> {
    let text = prompt::first_line_of(path)?;
    let typed = TypedSetupCode::new(&text)
        .map_err(|p| anyhow::anyhow!("{}: {}", path.display(), explain(&p, None)))?;
    typed.check().map_err(|p| anyhow::anyhow!("{}: {}", path.display(), explain(&p, Some(&typed))))
}

/// Asks for the setup code on the terminal until it checks out, pointing at the group to retype.
pub(crate) fn ask(what: &str) -> Result<(AccountId, AccountKey)> {
    let (mut whole, mut groups) = (0, 0);
    let mut typed = read_whole(what)?;
    loop {
        let problem = match &typed {
            Ok(code) => match code.check() {
                Ok(found) => return Ok(found),
                Err(problem) => problem,
            },
            Err(problem) => problem.clone(),
        };
        eprintln!("{}", explain(&problem, typed.as_ref().ok()));
        match (problem.group(), typed.as_mut()) {
            (Some(group), Ok(code)) if groups < GROUP_TRIES => {
                groups += 1;
                let hint = if matches!(problem, SetupCodeProblem::Checksum { .. }) {
                    " (or press Enter to type the whole code again)"
                } else {
                    ""
                };
                let again = prompt::line(&format!("Group {group}{hint}: "))?;
                if again.trim().is_empty() {
                    typed = read_whole(what)?;
                } else {
                    code.replace_group(group, &again);
                }
            }
            _ => {
                whole += 1;
                if whole >= WHOLE_CODE_TRIES {
                    bail!(
                        "the setup code was not accepted; `hush kit` on a device that has the vault shows it"
                    );
                }
                typed = read_whole(what)?;
            }
        }
    }
}

fn read_whole(what: &str) -> Result<Result<TypedSetupCode, SetupCodeProblem>> {
    let line = prompt::line(&format!("{what}: "))?;
    Ok(TypedSetupCode::new(&line))
}

/// What is wrong, in words, naming the group and showing it as typed.
pub(crate) fn explain(problem: &SetupCodeProblem, typed: Option<&TypedSetupCode>) -> String {
    let shown = |group: usize| typed.map(|t| format!(" ({})", t.group(group))).unwrap_or_default();
    match problem {
        SetupCodeProblem::Prefix => "a setup code starts with HUSH1-; type all of it".into(),
        SetupCodeProblem::Characters { group, bad } => {
            let list: Vec<String> = bad.iter().map(|c| format!("\"{c}\"{}", look_alike(*c))).collect();
            format!(
                "group {group}{} has {}, which a setup code never contains (only the letters A–Z and the digits 2–7)",
                shown(*group),
                list.join(", ")
            )
        }
        SetupCodeProblem::GroupLength { group, len } => {
            format!("group {group}{} has {len} characters; every group has {GROUP_LEN}", shown(*group))
        }
        SetupCodeProblem::Ending => {
            format!("group {GROUPS}{} ends in a character that cannot end a setup code", shown(GROUPS))
        }
        SetupCodeProblem::Length { chars } => format!(
            "the code has {chars} characters after HUSH1-, and a setup code has {} ({GROUPS} groups of {GROUP_LEN}); \
             a group may be missing or doubled",
            GROUPS * GROUP_LEN
        ),
        SetupCodeProblem::Checksum { suspect: Some(group) } => format!(
            "the code does not check out; group {group}{} is most likely mistyped (one character, or two swapped)",
            shown(*group)
        ),
        SetupCodeProblem::Checksum { suspect: None } => {
            "the code does not check out (its checksum is wrong), and no single group can be blamed".into()
        }
    }
}

/// The letter a digit that setup codes never contain is usually read for.
fn look_alike(c: char) -> &'static str {
    match c {
        '0' => " (did you mean O?)",
        '1' => " (did you mean I or L?)",
        '8' => " (did you mean B?)",
        '9' => " (did you mean G?)",
        _ => "",
    }
}
