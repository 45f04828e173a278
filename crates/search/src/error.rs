//! From transport failures and error answers to [`StoreError`], by JSON
//! `type` and HTTP status, never by free text alone.

use std::error::Error as StdError;

use backup_actuator_core::Product;
use backup_actuator_store::{excerpt, Operation, StoreError};

use crate::model::{ErrorField, ErrorResponse};

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
    pub detail: String,
}

impl ErrorAnswer {
    pub(crate) fn read(status: u16, body: &[u8]) -> ErrorAnswer {
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
                (Some(kind), cause.reason, detail)
            }
            Some(ErrorResponse {
                aws_message: Some(message),
                ..
            }) => (None, None, cap(&message)),
            _ if body.iter().all(u8::is_ascii_whitespace) => {
                (None, None, "(empty body)".to_owned())
            }
            _ => (None, None, excerpt(body, EXCERPT_CHARS)),
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
            detail: self.detail,
        }
    }
}

fn cap(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// A complete 2xx answer that cannot be read.
pub(crate) fn unreadable(
    product: Product,
    operation: Operation,
    status: u16,
    what: &str,
    body: &[u8],
) -> StoreError {
    StoreError::Unreadable {
        product,
        operation,
        status,
        detail: {
            // What exactly was wrong goes to the log; the message carries
            // the start of the body, as for any other unreadable answer.
            tracing::warn!(product = %product, status, "unreadable answer: {what}");
            if body.iter().all(u8::is_ascii_whitespace) {
                "(empty body)".to_owned()
            } else {
                excerpt(body, EXCERPT_CHARS)
            }
        },
    }
}

/// The transport failed before a complete answer arrived.
pub(crate) fn unreachable(
    product: Product,
    operation: Operation,
    error: &(dyn StdError + 'static),
) -> StoreError {
    StoreError::Unreachable {
        product,
        operation,
        cause: error_chain(error),
    }
}

/// An error and its sources, `: `-joined, repeats and URL userinfo removed.
pub(crate) fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    strip_userinfo(&parts.join(": "))
}

/// Removes `user:password@` from every `scheme://user:password@host` in a text.
///
/// The authority ends only at a character that a URL always percent-encodes
/// inside userinfo (`/ ? # " < > \`, whitespace and controls): the `url`
/// crate writes `'`, `(`, `)` and the like unencoded there, so stopping at
/// them would leave the rest of such a password in the text.
pub(crate) fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '<' | '>' | '\\' | '`' | '{' | '}'
                ) || c.is_whitespace()
                    || c.is_control()
            })
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(userinfo_end) => rest = &tail[userinfo_end + 1..],
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_detail_is_type_and_reason() {
        let body = br#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/]"}],"type":"security_exception","reason":"missing authentication credentials for REST request [/]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}},"status":401}"#;
        let answer = ErrorAnswer::read(401, body);
        assert!(answer.is(401, "security_exception"));
        assert_eq!(
            answer.detail,
            "security_exception: missing authentication credentials for REST request [/]"
        );
    }

    #[test]
    fn other_bodies_are_excerpts() {
        assert_eq!(
            ErrorAnswer::read(401, b"Unauthorized").detail,
            "Unauthorized"
        );
        let html = format!("<html><body>{}</body></html>", "x".repeat(500));
        let answer = ErrorAnswer::read(500, html.as_bytes());
        assert_eq!(answer.detail.chars().count(), 200);
        assert!(answer.kind.is_none());
        let string_error = br#"{"error":"Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is not supported","status":406}"#;
        assert_eq!(
            ErrorAnswer::read(406, string_error).detail,
            excerpt(string_error, 200)
        );
        let aws = br#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#;
        assert_eq!(
            ErrorAnswer::read(403, aws).detail,
            "User: anonymous is not authorized to perform: es:ESHttpGet"
        );
        assert_eq!(ErrorAnswer::read(502, b"").detail, "(empty body)");
        assert_eq!(ErrorAnswer::read(502, b" \r\n").detail, "(empty body)");
    }

    #[test]
    fn userinfo_is_stripped_from_texts() {
        assert_eq!(
            strip_userinfo(
                "error sending request for url (http://elastic:secret@127.0.0.1:9200/_snapshot/r)"
            ),
            "error sending request for url (http://127.0.0.1:9200/_snapshot/r)"
        );
        assert_eq!(
            strip_userinfo("https://h:9200 and mail@x"),
            "https://h:9200 and mail@x"
        );
        assert_eq!(strip_userinfo("a://u@h b://v:w@i/"), "a://h b://i/");
        assert_eq!(
            strip_userinfo("(http://u:it's)me@h:9200)"),
            "(http://h:9200)"
        );
    }

    mod strip_userinfo_removes_every_password {
        //! SPEC §5 "never credentials": whatever the password, a URL that
        //! the `url` crate wrote with it loses the whole userinfo.
        use super::super::strip_userinfo;
        use opensearch::http::Url;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn no_byte_of_an_arbitrary_password_survives(
                user in "[a-zA-Z0-9._-]{1,12}",
                password in any::<String>(),
                path in prop_oneof![Just(""), Just("/_snapshot/r"), Just("/x?y=1")],
                before in prop_oneof![Just("error sending request for url ("), Just("'"), Just("")],
                after in prop_oneof![Just(")"), Just("' and more"), Just(": connection refused"), Just("")],
            ) {
                let mut url = Url::parse(&format!("http://h.example:9200{path}")).unwrap();
                let clean = url.to_string();
                url.set_username(&user).unwrap();
                url.set_password(Some(&password)).unwrap();
                let text = format!("{before}{url}{after}");
                prop_assert_eq!(strip_userinfo(&text), format!("{before}{clean}{after}"));
            }
        }
    }
}
