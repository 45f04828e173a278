//! SPEC §5's JSON bodies for framing errors.
//!
//! hyper answers a request head it cannot parse itself, before any
//! service sees it: a bare `400 Bad Request` or `431 Request Header
//! Fields Too Large` with an empty body, and it has no hook to change
//! that answer. [`FramingAnswers`] sits between hyper and the socket:
//! it keeps the bytes of the request head being read, and when hyper
//! writes one of its own error heads (a 400, 414 or 431 without a
//! `Content-Type`, which no answer of the service lacks), it writes
//! instead a §5 `badRequestError` body that names what was malformed,
//! worked out from the head with `httparse` under the limits hyper
//! applies, and `Connection: close` (hyper closes the connection after
//! such an answer anyway).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use backup_actuator_core::{Compatibility, ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most headers hyper reads in a request (its default); more is 431.
pub(crate) const MAX_HEADERS: usize = 100;

/// Answers hyper's own framing errors with JSON. Wraps one connection.
#[derive(Debug)]
pub(crate) struct FramingAnswers<T> {
    inner: T,
    /// The bytes read since the last answer began, at most one byte over
    /// the head limit: enough to tell what was wrong with a head.
    head: Vec<u8>,
    /// The answer written in place of hyper's, and how much of it is out.
    replacement: Option<(Vec<u8>, usize)>,
    max_head_bytes: usize,
    compat: Compatibility,
}

impl<T> FramingAnswers<T> {
    /// Wraps `inner`, whose heads hyper limits to `max_head_bytes`; its
    /// answers are written in the `compat` dialect.
    pub(crate) fn new(inner: T, max_head_bytes: usize, compat: Compatibility) -> FramingAnswers<T> {
        FramingAnswers {
            inner,
            head: Vec::new(),
            replacement: None,
            max_head_bytes,
            compat,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FramingAnswers<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let room = (self.max_head_bytes + 1).saturating_sub(self.head.len());
        let new = &buf.filled()[before..];
        let keep = new.len().min(room);
        self.head.extend_from_slice(&new[..keep]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> FramingAnswers<T> {
    /// Takes hyper's bytes: an own error head is replaced, any other
    /// answer's head starts a new request window.
    fn take(&mut self, first: &[u8]) -> bool {
        if !first.starts_with(b"HTTP/1.") {
            return false;
        }
        match automatic_error(first) {
            Some(status) => {
                let (status, detail) = diagnose(&self.head, status, self.max_head_bytes);
                tracing::debug!(status, "framing error: {detail}");
                self.replacement = Some((answer(status, &detail, self.compat), 0));
                true
            }
            None => {
                self.head.clear();
                false
            }
        }
    }

    /// Writes what is left of the replacement answer.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            if *written == bytes.len() {
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FramingAnswers<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_some() || this.take(buf) {
            // hyper's own answer is dropped; what it wrote counts as sent.
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
        if this.replacement.is_some() || this.take(first) {
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of an answer hyper made up for a head it could not parse:
/// 400, 414 or 431 without a `Content-Type`.
fn automatic_error(bytes: &[u8]) -> Option<u16> {
    let status: u16 = std::str::from_utf8(bytes.get(9..12)?).ok()?.parse().ok()?;
    if !matches!(status, 400 | 414 | 431) {
        return None;
    }
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    (!head.contains("\r\ncontent-type:")).then_some(status)
}

/// The status and `detailedMessage` for a head hyper refused with `status`.
fn diagnose(head: &[u8], status: u16, max_head_bytes: usize) -> (u16, String) {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let parsed = request.parse(head);
    match (status, parsed) {
        (_, Err(httparse::Error::TooManyHeaders)) => (
            431,
            format!("The request has more than {MAX_HEADERS} headers"),
        ),
        (431, _) => (
            431,
            format!("The request line and headers are larger than {max_head_bytes} bytes"),
        ),
        (414, _) => (414, "The request target is too long".to_owned()),
        (_, Err(error)) => (400, format!("Malformed request: {}", parse_error(error))),
        (_, Ok(_)) => (
            400,
            format!("Malformed request: {}", semantic_error(&request)),
        ),
    }
}

fn parse_error(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Version => "invalid HTTP version",
        httparse::Error::Token => "invalid method or request target",
        _ => "invalid request line or header",
    }
}

/// What hyper refuses in a head that parses: the target, `Content-Length`
/// and `Transfer-Encoding`.
fn semantic_error(request: &httparse::Request<'_, '_>) -> String {
    if let Some(path) = request.path {
        if http::Uri::try_from(path.as_bytes()).is_err() {
            return "invalid bytes in the request target".to_owned();
        }
    }
    let values = |name: &str| -> Vec<&[u8]> {
        request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.trim_ascii())
            .collect()
    };
    let lengths = values("content-length");
    let mut distinct: Vec<u64> = Vec::new();
    for value in &lengths {
        let Some(length) = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u64>().ok())
        else {
            return "invalid Content-Length header (digits only)".to_owned();
        };
        if !distinct.contains(&length) {
            distinct.push(length);
        }
    }
    if distinct.len() > 1 {
        return "conflicting Content-Length headers".to_owned();
    }
    let codings = values("transfer-encoding");
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return "both Transfer-Encoding and Content-Length".to_owned();
        }
        let last = codings.last().and_then(|v| v.rsplit(|&b| b == b',').next());
        if !last.is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked")) {
            return "Transfer-Encoding must end in chunked".to_owned();
        }
    }
    "invalid request line or header".to_owned()
}

/// A whole §5 answer: status, JSON body, `Connection: close`.
fn answer(status: u16, detail: &str, compat: Compatibility) -> Vec<u8> {
    let body = ErrorBody {
        error_code: ErrorCode::BadRequest.as_str().to_owned(),
        error_message: Some(ErrorCode::BadRequest.message().to_owned()),
        detailed_message: Some(detail.to_owned()),
        report_definition: compat == Compatibility::OptimizeServer,
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let reason = match status {
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        _ => "Bad Request",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnosed(head: &[u8], status: u16) -> (u16, String) {
        diagnose(head, status, 65_536)
    }

    #[test]
    fn hyper_error_heads_are_told_from_the_services_answers() {
        assert_eq!(
            automatic_error(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            automatic_error(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n"),
            Some(431)
        );
        assert_eq!(
            automatic_error(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"),
            None
        );
        assert_eq!(
            automatic_error(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
            None
        );
    }

    #[test]
    fn a_431_names_the_limit_broken() {
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: 1\r\n".repeat(101));
        assert_eq!(
            diagnosed(many.as_bytes(), 431),
            (431, "The request has more than 100 headers".to_owned())
        );
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(70_000));
        assert_eq!(
            diagnosed(long.as_bytes(), 431),
            (
                431,
                "The request line and headers are larger than 65536 bytes".to_owned()
            )
        );
    }

    #[test]
    fn a_400_names_what_is_malformed() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "invalid Content-Length header (digits only)",
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
                "conflicting Content-Length headers",
            ),
            (b"GET /\xff HTTP/1.1\r\n\r\n", "invalid"),
            (b"GET / HTTP/1.1\r\nBroken\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/9.9\r\n\r\n", "invalid HTTP version"),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                "Transfer-Encoding must end in chunked",
            ),
        ];
        for (head, expected) in cases {
            let (status, detail) = diagnosed(head, 400);
            assert_eq!(status, 400);
            assert!(
                detail.starts_with("Malformed request: ") && detail.contains(expected),
                "{detail}"
            );
        }
    }

    #[test]
    fn the_answer_is_spec_json_with_connection_close() {
        let bytes = answer(
            431,
            "The request has more than 100 headers",
            Compatibility::Documented,
        );
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\nconnection: close"));
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["errorCode"], "badRequestError");
        assert_eq!(
            json["detailedMessage"],
            "The request has more than 100 headers"
        );
        assert!(json.get("reportDefinition").is_none());
    }

    #[test]
    fn as_optimize_the_answer_carries_report_definition_like_every_error_body() {
        let bytes = answer(400, "Malformed request", Compatibility::OptimizeServer);
        let text = String::from_utf8(bytes).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["errorCode"], "badRequestError");
        assert!(json["reportDefinition"].is_null());
        assert!(json.as_object().unwrap().contains_key("reportDefinition"));
    }
}
