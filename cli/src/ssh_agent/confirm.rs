//! Asking the user before a signature (`[ssh_agent] confirm = true`; docs/ssh-agent.md,
//! "Confirmation").
//!
//! The agent runs in the background (a systemd unit, a login script) with no terminal to ask
//! on, so it asks the way OpenSSH's `ssh-agent -c` / `ssh-add -c` does: it runs the askpass
//! program (`[ssh_agent] askpass`, else `$SSH_ASKPASS`) with `SSH_ASKPASS_PROMPT=confirm` and
//! the question as its only argument. Exit status 0 with an empty answer or "yes" allows, as
//! in OpenSSH's `ask_permission` (readpass.c). Everything else refuses: a failing or missing
//! program, another answer, no answer within the time limit. When nobody can be asked, nothing
//! is signed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::SshAgentConfig;

/// How long the question waits for an answer by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `Ok` when the user allowed it; otherwise why not.
pub(super) fn ask(config: &SshAgentConfig, question: &str) -> Result<(), String> {
    let program = config
        .askpass
        .clone()
        .or_else(|| std::env::var_os("SSH_ASKPASS").filter(|p| !p.is_empty()).map(Into::into))
        .ok_or("confirmation is on, but there is no askpass program to ask with ([ssh_agent] askpass in config.toml, or SSH_ASKPASS)")?;
    let mut child = Command::new(&program)
        .arg(question)
        .env("SSH_ASKPASS_PROMPT", "confirm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the askpass program {}: {e}", program.display()))?;
    let limit = config.confirm_timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {} s", limit.as_secs()));
            }
            Err(e) => return Err(format!("cannot wait for the askpass program: {e}")),
        }
    };
    let mut answer = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = out.take(4096).read_to_string(&mut answer);
    }
    let answer = answer.trim();
    if status.success() && (answer.is_empty() || answer.eq_ignore_ascii_case("yes")) {
        Ok(())
    } else if status.success() {
        Err(format!("the answer was {answer:?}"))
    } else {
        Err("the user declined (the askpass program exited with an error)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(askpass: &str) -> SshAgentConfig {
        SshAgentConfig { confirm: true, askpass: Some(askpass.into()), confirm_timeout: Some(5) }
    }

    #[test]
    fn only_a_successful_empty_or_yes_answer_allows() {
        assert!(ask(&with("/bin/true"), "Allow?").is_ok());
        assert!(ask(&with("/bin/false"), "Allow?").unwrap_err().contains("declined"));
        // `echo` prints its argument, the question: neither empty nor "yes".
        assert!(ask(&with("/bin/echo"), "Allow?").unwrap_err().contains("\"Allow?\""));
        assert!(ask(&with("/bin/echo"), "yes").is_ok());
        assert!(ask(&with("/nonexistent/askpass"), "Allow?").unwrap_err().contains("cannot run"));
    }
}
