//! Putting a secret on the clipboard and taking it off again (docs/agent-and-clipboard.md,
//! "The clipboard"; issue #4).
//!
//! On X11 the clipboard holds no data: the program that copied must stay alive and
//! answer every paste. So [`copy_with`] starts a detached helper (`hush __clipboard`, the
//! same binary) that receives the secret on a pipe — never in argv or the
//! environment, which other processes can read — sets the clipboard with the
//! password-manager hint (`x-kde-passwordManagerHint: secret`) that clipboard
//! managers honour, serves it, and after the timeout clears it if it still holds
//! what hush put there, so a later copy by the user is never wiped. On Wayland
//! (wlr data-control) the same helper runs; arboard serves through wl-clipboard-rs.
//!
//! Over SSH without a display, the secret goes to the local terminal as an OSC 52
//! escape sequence. No terminal lets a program read its clipboard back, so hush
//! cannot know whether it still holds the secret, and does not clear it.

use std::fs::OpenOptions;
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The message when there is nowhere to copy to (issue #4).
pub(crate) const NO_CLIPBOARD: &str = "no clipboard: no DISPLAY or WAYLAND_DISPLAY; use --osc52 over SSH, \
     or `hush get QUERY --field password`";

/// The longest clear-after accepted: a day. Longer would leave a secret around for
/// no good reason (and keeps deadline arithmetic far from overflow).
pub(crate) const MAX_CLEAR_AFTER: u64 = 24 * 3600;

/// The largest secret the helper accepts on its pipe.
const MAX_SECRET: u64 = 1 << 20;

/// How often the helper checks that the clipboard still holds the secret.
const POLL: Duration = Duration::from_secs(1);

/// How long [`copy_with`] waits for the helper to report that the clipboard is set.
const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// How the secret reached the clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Copied {
    /// The X11 or Wayland clipboard; it is cleared after the timeout.
    Display,
    /// The terminal's clipboard through OSC 52; it cannot be cleared.
    Osc52,
}

impl Copied {
    /// What to tell the user once `what` (e.g. "the password of github") is copied.
    /// A copy over OSC 52 cannot be cleared, and the user must hear that rather than
    /// be promised a timeout.
    pub(crate) fn message(self, what: &str, clear_after_secs: u64) -> String {
        match self {
            Copied::Display => format!(
                "Copied {what}; the clipboard is cleared in {}.",
                crate::output::duration(clear_after_secs)
            ),
            Copied::Osc52 => format!(
                "Copied {what} through the terminal (OSC 52). hush cannot read the terminal's \
                 clipboard back, so it cannot clear it safely: clear it yourself after use."
            ),
        }
    }
}

/// Copies `value`: to the X11 or Wayland clipboard, cleared after
/// `clear_after_secs` by a helper, or through the terminal (OSC 52), which cannot be
/// cleared. Says which way it went.
pub(crate) fn copy_with(value: &str, clear_after_secs: u64, force_osc52: bool) -> Result<Copied> {
    if !(1..=MAX_CLEAR_AFTER).contains(&clear_after_secs) {
        bail!("the clipboard timeout must be between 1 and {MAX_CLEAR_AFTER} seconds");
    }
    match choose(force_osc52, &|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))? {
        Copied::Osc52 => {
            osc52(value)?;
            Ok(Copied::Osc52)
        }
        Copied::Display => {
            spawn_helper(value, clear_after_secs)?;
            Ok(Copied::Display)
        }
    }
}

/// Picks the way to the clipboard from the environment.
fn choose(force_osc52: bool, set: &dyn Fn(&str) -> bool) -> Result<Copied> {
    if force_osc52 {
        return Ok(Copied::Osc52);
    }
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return Ok(Copied::Display);
    }
    if set("SSH_TTY") || set("SSH_CONNECTION") {
        return Ok(Copied::Osc52);
    }
    bail!("{NO_CLIPBOARD}")
}

/// Starts the helper, writes the secret to its stdin, and waits for its report
/// that the clipboard holds it, so that a paste right after `hush copy` works.
fn spawn_helper(value: &str, clear_after_secs: u64) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the hush executable")?;
    let mut child = Command::new(exe)
        .arg("__clipboard")
        .arg("--clear-after")
        .arg(clear_after_secs.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Not inherited: a caller reading our stderr to its end (a test, `$(...)`)
        // must not wait for the helper's whole lifetime.
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the clipboard helper")?;
    {
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no pipe to the clipboard helper"))?;
        stdin.write_all(value.as_bytes()).context("cannot pass the secret to the clipboard helper")?;
        // Dropping closes the pipe: the helper reads to end of file.
    }
    let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("no pipe from the clipboard helper"))?;
    // Read the report on a thread so that a helper stuck on an unresponsive display
    // cannot hang the shell.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // One line, not to the end: the helper keeps its stdout open while it serves.
        let mut report = String::new();
        let _ = std::io::BufReader::new(stdout.by_ref().take(4096)).read_line(&mut report);
        let _ = tx.send(report);
    });
    let report = match rx.recv_timeout(HELPER_TIMEOUT) {
        Ok(r) => r,
        Err(_) => {
            let _ = child.kill();
            bail!("the clipboard did not answer within {} s", HELPER_TIMEOUT.as_secs());
        }
    };
    match report.trim_end() {
        "ok" => Ok(()),
        r => match r.strip_prefix("error: ") {
            Some(msg) => bail!("cannot use the clipboard: {msg}"),
            None => bail!("the clipboard helper failed"),
        },
    }
}

/// The helper (`hush __clipboard --clear-after N`): reads the secret from stdin,
/// sets the clipboard, reports "ok" or "error: …" on stdout, serves the clipboard
/// until the timeout, then clears it if it still holds the secret.
pub(crate) fn serve(clear_after_secs: u64) -> Result<()> {
    super::agent::detach();
    // It holds a secret for a while, like the agent: no core dumps, no ptrace.
    let _ = super::agent::harden_process();
    let clear_after = Duration::from_secs(clear_after_secs.clamp(1, MAX_CLEAR_AFTER));
    // Room for any real secret up front: growing the buffer would leave copies behind.
    let mut secret = Zeroizing::new(Vec::with_capacity(8192));
    std::io::stdin().lock().take(MAX_SECRET).read_to_end(&mut secret).context("cannot read the secret")?;
    let secret = Zeroizing::new(String::from_utf8(std::mem::take(&mut *secret)).map_err(|e| {
        // Zeroize the bytes inside the error before they are dropped.
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        anyhow!("the secret is not UTF-8")
    })?);
    let mut out = std::io::stdout().lock();
    let mut clipboard = match set_clipboard(&secret) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "error: {e:#}");
            return Ok(());
        }
    };
    // `hush copy` returns as soon as it reads this; the pipe is not written again.
    let _ = writeln!(out, "ok");
    let _ = out.flush();
    drop(out);
    let digest = Sha256::digest(secret.as_bytes()).to_vec();
    drop(secret);
    // Meanwhile arboard's thread answers every paste (X11), or wl-clipboard-rs's
    // forked server does (Wayland). Once a second, look whether the clipboard still
    // holds the secret: when the user has copied something else, or the display has
    // gone, there is nothing left to clear, and the helper exits at once rather than
    // keep the secret in memory until the deadline.
    let deadline = Instant::now() + clear_after;
    while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
        std::thread::sleep(left.min(POLL));
        if !holds(&mut clipboard, &digest) {
            return Ok(());
        }
    }
    // Clear only what is still ours.
    if holds(&mut clipboard, &digest) {
        let _ = clipboard.clear();
    }
    // Dropping the clipboard hands nothing to a clipboard manager: arboard skips the
    // hand-over for data marked with the password-manager hint.
    drop(clipboard);
    Ok(())
}

/// Whether the clipboard holds the text with this SHA-256. Comparing digests rather
/// than the texts keeps the check free of timing differences that depend on the
/// secret.
fn holds(clipboard: &mut arboard::Clipboard, digest: &[u8]) -> bool {
    match clipboard.get_text() {
        Ok(current) => {
            let current = Zeroizing::new(current);
            Sha256::digest(current.as_bytes()).as_slice() == digest
        }
        Err(_) => false,
    }
}

/// Sets the clipboard with the password-manager hint and checks it took.
fn set_clipboard(secret: &str) -> Result<arboard::Clipboard> {
    use arboard::SetExtLinux as _;
    let mut clipboard = arboard::Clipboard::new().context("cannot open the clipboard")?;
    clipboard.set().exclude_from_history().text(secret).context("cannot set the clipboard")?;
    // Reading back is a round trip to the display server: once it answers with the secret, our
    // ownership is in place and a paste from another program sees it. On Wayland the compositor
    // may still be announcing the previous selection for a moment (seen under load in
    // `wayland_copy_other_fields_and_keep_the_secret_out_of_argv_and_env`, when the previous
    // copy's helper still owned it), so the read is retried briefly before giving up.
    let deadline = Instant::now() + READ_BACK_PATIENCE;
    loop {
        let back = clipboard.get_text().map(Zeroizing::new);
        let ours =
            back.as_ref().is_ok_and(|b| Sha256::digest(b.as_bytes()) == Sha256::digest(secret.as_bytes()));
        if ours {
            return Ok(clipboard);
        }
        if Instant::now() >= deadline {
            return match back {
                Err(err) => Err(err).context("cannot read the clipboard back"),
                Ok(_) => bail!("another program took the clipboard at once"),
            };
        }
        std::thread::sleep(READ_BACK_POLL);
    }
}

/// How long [`set_clipboard`] waits for the clipboard to read back as the secret.
const READ_BACK_PATIENCE: Duration = Duration::from_secs(2);
/// How often it reads meanwhile.
const READ_BACK_POLL: Duration = Duration::from_millis(25);

/// The OSC 52 sequence that sets the terminal's clipboard, wrapped for tmux or GNU
/// screen, which otherwise swallow it.
fn osc52_sequence(value: &str, tmux: bool, screen: bool) -> Zeroizing<String> {
    let b64 = Zeroizing::new(BASE64.encode(value.as_bytes()));
    let mut seq = Zeroizing::new(String::with_capacity(b64.len() + 32));
    if tmux {
        // DCS passthrough: ESC P tmux; <sequence with ESC doubled> ESC \
        seq.push_str("\x1bPtmux;\x1b\x1b]52;c;");
        seq.push_str(&b64);
        seq.push_str("\x07\x1b\\");
    } else if screen {
        seq.push_str("\x1bP\x1b]52;c;");
        seq.push_str(&b64);
        seq.push_str("\x07\x1b\\");
    } else {
        seq.push_str("\x1b]52;c;");
        seq.push_str(&b64);
        seq.push('\x07');
    }
    seq
}

/// Writes the OSC 52 sequence to the controlling terminal (not stdout, which may be
/// a pipe or a file).
fn osc52(value: &str) -> Result<()> {
    let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let screen = !tmux && std::env::var("TERM").is_ok_and(|t| t.starts_with("screen"));
    let seq = osc52_sequence(value, tmux, screen);
    let mut tty = OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .context("OSC 52 needs a terminal, and /dev/tty cannot be opened")?;
    tty.write_all(seq.as_bytes()).context("cannot write to the terminal")?;
    tty.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_sequences() {
        assert_eq!(&*osc52_sequence("hi", false, false), "\x1b]52;c;aGk=\x07");
        assert_eq!(&*osc52_sequence("hi", true, false), "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
        assert_eq!(&*osc52_sequence("hi", false, true), "\x1bP\x1b]52;c;aGk=\x07\x1b\\");
    }

    #[test]
    fn only_a_display_copy_promises_to_be_cleared() {
        // `hush breach` over SSH said "cleared after 20 s" for an OSC 52 copy.
        let display = Copied::Display.message("the new password", 20);
        assert!(display.contains("cleared in 20 s"), "{display}");
        let osc52 = Copied::Osc52.message("the new password", 20);
        assert!(osc52.contains("cannot clear it") && !osc52.contains("cleared in"), "{osc52}");
    }

    #[test]
    fn choice_follows_the_environment() {
        let env = |vars: &'static [&'static str]| move |name: &str| vars.contains(&name);
        assert_eq!(choose(false, &env(&["DISPLAY"])).unwrap(), Copied::Display);
        assert_eq!(choose(false, &env(&["WAYLAND_DISPLAY", "SSH_TTY"])).unwrap(), Copied::Display);
        assert_eq!(choose(false, &env(&["SSH_CONNECTION"])).unwrap(), Copied::Osc52);
        assert_eq!(choose(true, &env(&["DISPLAY"])).unwrap(), Copied::Osc52);
        let err = choose(false, &env(&[])).unwrap_err().to_string();
        assert!(err.starts_with("no clipboard: no DISPLAY or WAYLAND_DISPLAY"), "{err}");
    }

    #[test]
    fn timeouts_are_bounded() {
        assert!(copy_with("x", 0, true).unwrap_err().to_string().contains("between 1 and"));
        assert!(copy_with("x", MAX_CLEAR_AFTER + 1, true).is_err());
    }
}
