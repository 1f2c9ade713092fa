//! [`ConnectionIo`]: the byte stream hyper reads and writes, wrapped to enforce the connection
//! timeouts and to answer in the API's JSON what hyper answers on its own (docs/server.md,
//! "Connections" and "Error answers").
//!
//! It sits above TLS (it sees plaintext) and below hyper. Why here and not in hyper:
//! - hyper's `header_read_timeout` runs from the moment hyper *starts waiting* for a head, so it
//!   cannot tell an idle keep-alive connection (which may wait a minute) from a head trickling in
//!   (which should take seconds), and it closes without an answer. The phases of [`Activity`]
//!   can, so the timeouts are kept here and hyper's is off.
//! - hyper answers a malformed or oversized head itself, with an empty 400, 414 or 431, and has
//!   no hook to change that (hyperium/hyper#3844; PR #3911 is still open). Its answer is
//!   recognised on its way out and replaced by the same status with the API's error body.
//!
//! Deadlines, all armed on one timer whenever hyper waits on this stream:
//! - `Head`: the header timeout from the head's first byte (from acceptance for a new
//!   connection); a partial head is answered 408, a silent new connection just closed;
//! - `Idle`: the idle timeout since the last answer was handed over or bytes of it last written;
//! - any phase: a write that makes no progress for the idle timeout (a client that does not read
//!   its answer), so a slow reader cannot hold a connection, busy or not, forever.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::activity::{Activity, Phase};
use crate::error::ApiError;

/// After answering a malformed request on hyper's behalf, how long to drain what the client still
/// sends before closing, and how much of it at most (see [`ConnectionIo::poll_shutdown`]).
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 1024 * 1024;

/// hyper's automatic answers are a bare head; anything longer is not one.
const MAX_AUTOMATIC_ANSWER_BYTES: usize = 512;

/// The timeouts a connection lives by ([`ConnectionLimits`](crate::config::ConnectionLimits)).
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// How long a request head may take, from its first byte.
    pub(super) header: Duration,
    /// How long a connection may go without a request or traffic, and a write without progress.
    pub(super) idle: Duration,
}

/// Why a connection's time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// A request head (or, for a new connection, the first one) did not complete in time.
    Head { bytes: bool },
    /// No request and no traffic for the idle timeout.
    Idle,
    /// A write made no progress for the idle timeout.
    Stalled,
}

/// A connection's byte stream, as hyper sees it.
pub(super) struct ConnectionIo<T> {
    inner: T,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    timer: Pin<Box<Sleep>>,
    /// The deadline `timer` is set to, if armed.
    armed: Option<Instant>,
    /// Since when writes have been refused by the socket, if they are.
    write_stalled_since: Option<Instant>,
    /// An answer of ours, and how much of it is written, to go out before anything else.
    answer: Option<(Vec<u8>, usize)>,
    /// Whether one of hyper's automatic answers was replaced (the connection then closes).
    answered_for_hyper: bool,
    /// When the lingering close ends, once started.
    linger_until: Option<Instant>,
    lingered_bytes: usize,
    /// Set once a deadline passed: every further operation fails.
    expired: bool,
}

impl<T> ConnectionIo<T> {
    /// Wraps `inner`, the stream of the connection that `activity` follows.
    pub(super) fn new(inner: T, activity: Arc<Activity>, timeouts: Timeouts) -> Self {
        Self {
            inner,
            activity,
            timeouts,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
            write_stalled_since: None,
            answer: None,
            answered_for_hyper: false,
            linger_until: None,
            lingered_bytes: 0,
            expired: false,
        }
    }

    /// The earliest deadline now in force, and what it is for.
    fn deadline(&self) -> Option<(Instant, Expiry)> {
        let phase = match self.activity.phase() {
            Phase::Head { started, bytes } => {
                started.checked_add(self.timeouts.header).map(|at| (at, Expiry::Head { bytes }))
            }
            Phase::Idle { since } => since.checked_add(self.timeouts.idle).map(|at| (at, Expiry::Idle)),
            Phase::Busy { .. } | Phase::Closing => None,
        };
        let stall = self.write_stalled_since.and_then(|since| since.checked_add(self.timeouts.idle));
        match (phase, stall) {
            (Some((at, _)), Some(stalled)) if stalled < at => Some((stalled, Expiry::Stalled)),
            (Some(deadline), _) => Some(deadline),
            (None, stalled) => stalled.map(|at| (at, Expiry::Stalled)),
        }
    }
}

fn timed_out(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, why)
}

impl<T: AsyncRead + AsyncWrite + Unpin> ConnectionIo<T> {
    /// Called whenever hyper would wait on this stream: parks the task (so the activity can wake
    /// it) and arms the timer for the earliest deadline. `Ready` with the error to fail with once
    /// a deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        self.activity.park(cx.waker());
        let Some((deadline, why)) = self.deadline() else {
            return Poll::Pending;
        };
        if self.armed != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.armed = Some(deadline);
        }
        ready!(self.timer.as_mut().poll(cx));
        Poll::Ready(self.expire(why, cx))
    }

    /// Ends the connection for `why`; a head that had begun to arrive is answered 408 first, on a
    /// best-effort basis (the answer is small, but a client that does not read gets nothing).
    fn expire(&mut self, why: Expiry, cx: &mut Context<'_>) -> io::Error {
        self.expired = true;
        match why {
            Expiry::Head { bytes: true } => {
                tracing::debug!("request head not complete within the header timeout; answering 408");
                self.answer = Some((ApiError::Timeout.to_http1(), 0));
                if let Poll::Ready(Ok(())) = self.poll_answer(cx) {
                    let _ = Pin::new(&mut self.inner).poll_flush(cx);
                }
                timed_out("request head not complete within the header timeout")
            }
            Expiry::Head { bytes: false } => timed_out("no request within the header timeout"),
            Expiry::Idle => timed_out("idle for the idle timeout"),
            Expiry::Stalled => timed_out("the client read nothing for the idle timeout"),
        }
    }

    /// Writes out our own answer, if one is queued.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.answer {
            if *written == bytes.len() {
                self.answer = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Replaces `data`, if it is one of hyper's automatic answers to a malformed request, by the
    /// same status in the API's format; whether it did.
    ///
    /// hyper writes those only when no request is in flight (its service was never called for the
    /// bad head), and they are exactly one head with `content-length: 0`: `HTTP/1.1 400 Bad
    /// Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: …\r\n\r\n`. The app never
    /// answers 400, 414 or 431 with an empty body, so nothing of ours can be mistaken for one.
    fn replace_automatic_answer(&mut self, data: &[&[u8]]) -> bool {
        if matches!(self.activity.phase(), Phase::Busy { .. }) || self.answered_for_hyper {
            return false;
        }
        let total: usize = data.iter().map(|part| part.len()).sum();
        if total > MAX_AUTOMATIC_ANSWER_BYTES {
            return false;
        }
        let Some(error) = automatic_answer(&data.concat()) else {
            return false;
        };
        tracing::debug!(status = %error.status(), "malformed request head; answering in JSON");
        self.answer = Some((error.to_http1(), 0));
        self.answered_for_hyper = true;
        true
    }

    /// A write made progress (`n > 0`) or none.
    fn wrote(&mut self, n: usize) {
        if n > 0 {
            self.write_stalled_since = None;
            self.activity.bytes_written(Instant::now());
        }
    }

    /// The socket refused a write: starts the stall clock, and waits with the deadline armed.
    fn poll_write_stalled<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        self.write_stalled_since.get_or_insert_with(Instant::now);
        self.poll_deadline(cx).map(Err)
    }
}

/// The error hyper's automatic answer `data` stands for, if it is one.
fn automatic_answer(data: &[u8]) -> Option<ApiError> {
    let error = if data.starts_with(b"HTTP/1.1 400 ") {
        ApiError::BadRequest("the request is not valid HTTP/1.1".into())
    } else if data.starts_with(b"HTTP/1.1 414 ") {
        ApiError::UriTooLong
    } else if data.starts_with(b"HTTP/1.1 431 ") {
        ApiError::HeadTooLarge
    } else {
        return None;
    };
    let end = data.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = &data[..end + 2];
    let empty_body = head.windows(21).any(|line| line.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    (end + 4 == data.len() && empty_body).then_some(error)
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for ConnectionIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(Err(timed_out("connection timed out")));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_read(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ConnectionIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(Err(timed_out("connection timed out")));
        }
        if this.poll_answer(cx)?.is_pending() {
            return this.poll_write_stalled(cx);
        }
        if this.replace_automatic_answer(&[buf]) {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.wrote(n);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.poll_write_stalled(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(Err(timed_out("connection timed out")));
        }
        if this.poll_answer(cx)?.is_pending() {
            return this.poll_write_stalled(cx);
        }
        let parts: Vec<&[u8]> = bufs.iter().map(|buf| &buf[..]).collect();
        if this.replace_automatic_answer(&parts) {
            return Poll::Ready(Ok(parts.iter().map(|part| part.len()).sum()));
        }
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                this.wrote(n);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.poll_write_stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(Err(timed_out("connection timed out")));
        }
        if this.poll_answer(cx)?.is_pending() {
            return this.poll_write_stalled(cx);
        }
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                this.write_stalled_since = None;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.poll_write_stalled(cx),
        }
    }

    /// Closes the sending side. After an answer on hyper's behalf to a malformed request, the
    /// client may still be sending (the rest of an oversized head, say), and closing a socket with
    /// unread input makes the kernel send a reset, which can destroy the answer before the client
    /// reads it. So, like nginx's lingering close, the input is drained (for at most [`LINGER`]
    /// and [`LINGER_MAX_BYTES`]) until the client closes too.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_answer(cx)?.is_pending() {
            return match this.poll_write_stalled::<()>(cx) {
                Poll::Ready(_) => Poll::Ready(Ok(())),
                Poll::Pending => Poll::Pending,
            };
        }
        if !this.answered_for_hyper {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        let until = match this.linger_until {
            Some(until) => until,
            None => {
                ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
                let until = Instant::now() + LINGER;
                this.linger_until = Some(until);
                this.timer.as_mut().reset(until);
                this.armed = Some(until);
                until
            }
        };
        let mut discard = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut discard);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    this.lingered_bytes += buf.filled().len();
                    if this.lingered_bytes > LINGER_MAX_BYTES {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    if this.armed != Some(until) {
                        this.timer.as_mut().reset(until);
                        this.armed = Some(until);
                    }
                    ready!(this.timer.as_mut().poll(cx));
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::Notify;

    use super::*;

    const HYPERS_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

    /// A stream as the server sees it, and the client's end of it, which holds at most 4 KiB in
    /// flight: a client can send more only as fast as the server reads.
    fn connection() -> (ConnectionIo<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (server, client) = tokio::io::duplex(4096);
        let activity = Arc::new(Activity::new(Instant::now(), Arc::new(Notify::new())));
        let timeouts = Timeouts { header: Duration::from_secs(60), idle: Duration::from_secs(60) };
        (ConnectionIo::new(server, activity, timeouts), client)
    }

    /// After answering a malformed head for hyper, the server keeps reading what the client still
    /// sends until the client is done, rather than closing on unread input (which sends a reset
    /// that can destroy the answer in flight).
    #[tokio::test]
    async fn after_answering_for_hyper_the_clients_input_is_drained_until_it_closes() {
        let (mut io, mut client) = connection();
        io.write_all(HYPERS_431).await.expect("hyper's answer taken");
        io.flush().await.expect("flushed");
        let closing = tokio::spawn(async move { io.shutdown().await });
        // 64 KiB through a 4 KiB pipe: only possible if the closing server reads it all.
        client.write_all(&[b'a'; 64 * 1024]).await.expect("the rest of the head is taken");
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.expect("the answer, then the end");
        assert!(answer.starts_with(b"HTTP/1.1 431 "), "{}", String::from_utf8_lossy(&answer));
        assert!(answer.ends_with(
            br#"{"error":"headers_too_large","message":"the request line and headers exceed the server's limit"}"#
        ));
        client.shutdown().await.expect("client done");
        tokio::time::timeout(Duration::from_secs(10), closing)
            .await
            .expect("closes once the client is done")
            .expect("task")
            .expect("shut down");
    }

    /// The drain is bounded in time: a client that neither stops sending nor closes does not keep
    /// the connection.
    #[tokio::test]
    async fn the_drain_ends_after_its_time_limit() {
        let (mut io, _client) = connection();
        io.write_all(HYPERS_431).await.expect("hyper's answer taken");
        let shutdown = tokio::time::timeout(LINGER + Duration::from_secs(10), io.shutdown()).await;
        assert!(matches!(shutdown, Ok(Ok(()))), "{shutdown:?}");
    }

    #[test]
    fn recognises_exactly_hypers_automatic_answers() {
        let date = "date: Wed, 02 Dec 2026 05:42:34 GMT\r\n";
        for (status, reason, expected) in [
            (400, "Bad Request", Some(400)),
            (414, "URI Too Long", Some(414)),
            (431, "Request Header Fields Too Large", Some(431)),
            (404, "Not Found", None),
        ] {
            let answer =
                format!("HTTP/1.1 {status} {reason}\r\nconnection: close\r\ncontent-length: 0\r\n{date}\r\n");
            let found = automatic_answer(answer.as_bytes()).map(|error| error.status().as_u16());
            assert_eq!(found, expected, "{answer}");
        }
        // Anything with a body, or followed by more bytes, is not hyper's automatic answer.
        let ours =
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(automatic_answer(ours.as_bytes()).is_none());
        let two = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
        assert!(automatic_answer(two.as_bytes()).is_none());
        assert!(automatic_answer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
    }
}
