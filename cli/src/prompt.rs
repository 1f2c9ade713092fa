//! Where passwords come from: a no-echo prompt on the terminal, or the first line of
//! a file named on the command line. Never argv, never an environment variable's
//! value (docs/agent-and-clipboard.md, "The agent").

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use zeroize::Zeroizing;

/// Whether a person is at the keyboard: stdin and stderr are both terminals.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The first line of `path`, without its line ending. Every file read this way holds a secret
/// (a master password, a setup code, an invite), so one that other users can read is warned
/// about (issue #10, point 16).
pub(crate) fn first_line_of(path: &Path) -> Result<Zeroizing<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Some(warning) = file.metadata().ok().and_then(|m| readable_by_others(path, &m)) {
        eprintln!("{warning}");
    }
    let mut line = Zeroizing::new(String::new());
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .with_context(|| format!("cannot read {}", path.display()))?;
    strip_newline(&mut line);
    Ok(line)
}

/// The warning for a secret's file that its group or everyone may read; `None` for a private
/// file, and for pipes and terminals (`--password-file <(pass show hush)` is a pipe whose mode
/// says nothing about who can read the secret).
pub(crate) fn readable_by_others(path: &Path, metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (metadata.is_file() && mode & 0o044 != 0).then(|| {
        format!(
            "warning: {} can be read by other users (mode {mode:03o}), and it holds a secret; make it \
             private with `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// The first line of standard input.
pub(crate) fn stdin_line() -> Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).context("cannot read standard input")?;
    strip_newline(&mut line);
    Ok(line)
}

fn strip_newline(line: &mut String) {
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
}

/// The warning for a secret given as `option`'s value on the command line: every local
/// user can read a process's arguments (`ps`, /proc/PID/cmdline) while it runs, and
/// shells keep them in their history. `alternative` is the way to keep it off.
pub(crate) fn on_command_line(option: &str, alternative: &str) -> String {
    format!(
        "warning: the value of {option} is on the command line, where other local users can see it (ps); \
         use {alternative} instead"
    )
}

/// Asks for a secret on the terminal without echo.
pub(crate) fn secret(prompt: &str) -> Result<Zeroizing<String>> {
    if !interactive() {
        bail!(
            "no terminal to ask for the {}; pass --password-file PATH, or run `hush unlock` first",
            prompt.trim_end_matches(": ").to_lowercase()
        );
    }
    Ok(Zeroizing::new(read_hidden(prompt).context("cannot read from the terminal")?))
}

/// Asks for a secret on the terminal without echo even though standard input is not a terminal
/// (it carries a protocol, as for a git credential helper): `rpassword` opens `/dev/tty`
/// itself. git's own convention is honoured: `GIT_TERMINAL_PROMPT=0` means nobody may be asked.
pub(crate) fn secret_on_tty(prompt: &str) -> Result<Zeroizing<String>> {
    let unlock = "run `hush unlock` first, or give --password-file PATH";
    if std::env::var("GIT_TERMINAL_PROMPT").is_ok_and(|v| matches!(v.as_str(), "0" | "false" | "no")) {
        bail!(
            "the vault is locked and GIT_TERMINAL_PROMPT=0 forbids asking for the master password; {unlock}"
        );
    }
    match read_hidden(prompt) {
        Ok(pw) => Ok(Zeroizing::new(pw)),
        Err(_) => {
            bail!("the vault is locked and there is no terminal to ask for the master password; {unlock}")
        }
    }
}

/// Writes `prompt` on the terminal and reads a line from it without echo.
///
/// `rpassword` writes the prompt first and only then turns echo off, so whatever is typed or
/// pasted in between is echoed in the clear (a test that answered as soon as the prompt showed
/// saw its typed password on the screen: first_hour_items.rs,
/// `a_login_without_a_password_asks_on_a_terminal_and_an_empty_answer_generates_one`). OpenSSH's
/// `readpassphrase` and glibc's `getpass` turn echo off before the prompt; so does this, for the
/// whole call, and puts the terminal back as it was afterwards. `rpassword` saves and restores
/// the state it finds, which is then already without echo.
fn read_hidden(prompt: &str) -> std::io::Result<String> {
    let _quiet = EchoOff::on_tty();
    rpassword::prompt_password(prompt)
}

/// The controlling terminal with echo turned off, until dropped.
struct EchoOff {
    tty: std::fs::File,
    saved: rustix::termios::Termios,
}

impl EchoOff {
    /// `None` without a controlling terminal, or one whose modes cannot be read or set;
    /// `rpassword` then reports the problem itself, or turns echo off on its own.
    fn on_tty() -> Option<EchoOff> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()?;
        let saved = tcgetattr(&tty).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // `Now`, not `Flush`: what was typed ahead stays to be read, unechoed.
        tcsetattr(&tty, OptionalActions::Now, &quiet).ok()?;
        Some(EchoOff { tty, saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(&self.tty, rustix::termios::OptionalActions::Now, &self.saved);
    }
}

/// Asks a visible question on the terminal and returns the line typed (for what is checked, not
/// secret from the person typing it, such as a setup code: issue #10, point 5).
pub(crate) fn line(prompt: &str) -> Result<Zeroizing<String>> {
    if !interactive() {
        bail!("no terminal to ask for the {}", prompt.trim_end_matches(": ").to_lowercase());
    }
    eprint!("{prompt}");
    let mut line = Zeroizing::new(String::new());
    let n = std::io::stdin().lock().read_line(&mut line).context("cannot read from the terminal")?;
    if n == 0 {
        bail!("the terminal closed before an answer");
    }
    strip_newline(&mut line);
    Ok(line)
}

/// Asks twice for a new secret and checks both match and are not empty.
pub(crate) fn new_secret(what: &str) -> Result<Zeroizing<String>> {
    new_secret_checked(what, |_| None)
}

/// [`new_secret`] with a check of the first entry before it is asked again: `check` returns why
/// it is refused (printed, and the question starts over), or `None` to accept it.
pub(crate) fn new_secret_checked(
    what: &str,
    check: impl Fn(&str) -> Option<String>,
) -> Result<Zeroizing<String>> {
    loop {
        let first = secret(&format!("New {what}: "))?;
        if first.is_empty() {
            eprintln!("The {what} cannot be empty.");
            continue;
        }
        if let Some(why) = check(&first) {
            eprintln!("{why}");
            continue;
        }
        let second = secret(&format!("Repeat the {what}: "))?;
        if *first == *second {
            return Ok(first);
        }
        eprintln!("The two entries differ; try again.");
    }
}

/// Asks a yes/no question on the terminal; `false` when nobody can answer.
pub(crate) fn confirm(question: &str) -> Result<bool> {
    if !interactive() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
