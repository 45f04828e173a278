//! From transport failures and error answers to [`StoreError`], by JSON
//! `type` and HTTP status, never by free text alone.

use backup_actuator_core::Product;
use backup_actuator_store::{excerpt, Operation, StoreError};

use crate::model::{ErrorField, ErrorResponse};
use crate::redact::{RedactedBody, RedactedText};

/// How much of a body goes into a message.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// An error answer, read as far as it can be.
#[derive(Debug)]
pub(crate) struct ErrorAnswer {
    pub status: u16,
    /// `error.type` of an envelope.
    pub kind: Option<String>,
    /// `error.reason` of an envelope.
    pub reason: Option<String>,
    /// `type: reason` for an envelope, otherwise a readable excerpt.
    pub detail: RedactedText,
}

impl ErrorAnswer {
    /// Reads an answer that went through the redactor, so that its
    /// detail can go into a message.
    pub(crate) fn read(status: u16, body: &RedactedBody) -> ErrorAnswer {
        let parsed = serde_json::from_slice::<ErrorResponse>(body).ok();
        let (kind, reason, detail) = match parsed {
            Some(ErrorResponse {
                error: Some(ErrorField::Cause(cause)),
                ..
            }) if cause.kind.is_some() => {
                let kind = cause.kind.unwrap_or_default();
                let detail = match &cause.reason {
                    Some(reason) => format!("{kind}: {reason}"),
                    None => kind.clone(),
                };
                (Some(kind), cause.reason, body.derive(|_| detail))
            }
            Some(ErrorResponse {
                aws_message: Some(message),
                ..
            }) => (None, None, body.derive(|_| cap(&message))),
            _ => (None, None, excerpt_of(body)),
        };
        ErrorAnswer {
            status,
            kind,
            reason,
            detail,
        }
    }

    pub(crate) fn is(&self, status: u16, kind: &str) -> bool {
        self.status == status && self.kind.as_deref() == Some(kind)
    }

    pub(crate) fn into_store_error(self, product: Product, operation: Operation) -> StoreError {
        StoreError::Cluster {
            product,
            operation,
            status: self.status,
            detail: self.detail.into_string(),
        }
    }
}

fn cap(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// The start of a body for a message, or `(empty body)`.
fn excerpt_of(body: &RedactedBody) -> RedactedText {
    body.derive(|bytes| {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            "(empty body)".to_owned()
        } else {
            excerpt(bytes, EXCERPT_CHARS)
        }
    })
}

/// A complete 2xx answer that cannot be read: `what` was wrong goes to
/// the log (a parse error can quote the body, hence redacted), the message
/// carries the start of the body, as for any other unreadable answer.
pub(crate) fn unreadable(
    product: Product,
    operation: Operation,
    status: u16,
    what: RedactedText,
    body: &RedactedBody,
) -> StoreError {
    tracing::warn!(product = %product, status, "unreadable answer: {what}");
    StoreError::Unreadable {
        product,
        operation,
        status,
        detail: excerpt_of(body).into_string(),
    }
}

/// The transport failed before a complete answer arrived.
pub(crate) fn unreachable(
    product: Product,
    operation: Operation,
    cause: RedactedText,
) -> StoreError {
    StoreError::Unreachable {
        product,
        operation,
        cause: cause.into_string(),
    }
}

/// The cluster answered with a redirect, which is never followed: it
/// could send a DELETE elsewhere, or the credentials to another host. The
/// message names the status and where it pointed (the host only, redacted);
/// never the whole `Location`, whose path or query may echo a secret.
pub(crate) fn redirected(
    product: Product,
    operation: Operation,
    status: u16,
    location_host: Option<RedactedText>,
) -> StoreError {
    let detail = match location_host {
        Some(host) => format!("a redirect to {host}, which is not followed"),
        None => "a redirect, which is not followed".to_owned(),
    };
    StoreError::Cluster {
        product,
        operation,
        status,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    fn read(status: u16, body: &[u8]) -> ErrorAnswer {
        let body = Redactor::new(&[]).body(bytes::Bytes::copy_from_slice(body));
        ErrorAnswer::read(status, &body)
    }

    #[test]
    fn envelope_detail_is_type_and_reason() {
        let body = br#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/]"}],"type":"security_exception","reason":"missing authentication credentials for REST request [/]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}},"status":401}"#;
        let answer = read(401, body);
        assert!(answer.is(401, "security_exception"));
        assert_eq!(
            answer.detail.as_str(),
            "security_exception: missing authentication credentials for REST request [/]"
        );
    }

    #[test]
    fn other_bodies_are_excerpts() {
        assert_eq!(read(401, b"Unauthorized").detail.as_str(), "Unauthorized");
        let html = format!("<html><body>{}</body></html>", "x".repeat(500));
        let answer = read(500, html.as_bytes());
        assert_eq!(answer.detail.as_str().chars().count(), 200);
        assert!(answer.kind.is_none());
        let string_error = br#"{"error":"Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is not supported","status":406}"#;
        assert_eq!(
            read(406, string_error).detail.as_str(),
            excerpt(string_error, 200)
        );
        let aws = br#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#;
        assert_eq!(
            read(403, aws).detail.as_str(),
            "User: anonymous is not authorized to perform: es:ESHttpGet"
        );
        assert_eq!(read(502, b"").detail.as_str(), "(empty body)");
        assert_eq!(read(502, b" \r\n").detail.as_str(), "(empty body)");
    }
}
