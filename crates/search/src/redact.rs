//! The one redaction step between the cluster and everything that prints
//! (SPEC §5 "never credentials"): answers, logs, metrics and the command
//! line only ever see cluster text as a [`RedactedText`] or a
//! `RedactedBody`, and only the [`Redactor`] makes those.
//!
//! A cluster, or a proxy in front of it, may echo the request it got:
//! its headers in an error reason, its URL in a redirect, the whole
//! request base64-encoded in a debug page. The redactor therefore knows
//! every configured credential in every form a transport or a cluster
//! may write it: as given, percent-encoded (either hex case, `+` for a
//! space), JSON-escaped, base64 (standard and URL-safe, padded or not) of
//! the secret and of `user:password`, the base64 of the secret at each of
//! the three offsets it can have inside a longer encoded text, and any
//! fragment of 8 or more characters of those base64 forms. Overlapping or
//! adjacent matches become one `[redacted]`, so no piece of a credential
//! is left between two. Matching is case-sensitive (percent-encoding's
//! two hex cases are both listed): base64 fragments matched without case
//! would hit ordinary names in large answers far more often.

use std::error::Error as StdError;
use std::fmt;
use std::ops::Deref;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use base64::prelude::BASE64_URL_SAFE_NO_PAD;
use base64::prelude::{Engine as _, BASE64_STANDARD, BASE64_STANDARD_NO_PAD, BASE64_URL_SAFE};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// What replaces a credential.
pub(crate) const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not looked for: they would match
/// ordinary text everywhere.
const MIN_SECRET_LEN: usize = 4;

/// The shortest base64 fragment that is redacted on its own.
const MIN_FRAGMENT_LEN: usize = 8;

/// What the `url` crate percent-encodes in userinfo (the WHATWG userinfo
/// set): the form a URL's password takes when a transport prints the URL.
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');

/// What a URL query component percent-encodes (WHATWG query set).
const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\'');

/// One credential a [`Redactor`] hides. `Debug` shows none of it.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// Basic authentication: the password is secret, and so is the
    /// base64 of `user:password` that the header carries.
    Basic {
        /// The user name (sent, so part of the header's secret).
        user: String,
        /// The password.
        password: String,
    },
    /// A secret sent as it is (API key, bearer token), or a URL's
    /// password exactly as written in the URL.
    Secret(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every form of the configured credentials with `[redacted]`,
/// and `user:password@` in URLs with nothing: the step every text from a
/// cluster, a server, a transport error or a URL takes before it is
/// printed. [`ClusterStore`](crate::ClusterStore) runs every answer
/// through one; the command-line client uses one for the backup API's
/// answers.
///
/// The forms it knows are those a transport or a server may write: as
/// given, percent-encoded (either hex case, `+` for a space),
/// JSON-escaped, base64 (standard and URL-safe, padded or not) of the
/// secret and of `user:password`, the secret's base64 at each offset
/// inside a longer encoded text, and any base64 fragment of 8 or more
/// characters. Secrets under 4 bytes are not looked for: they would match
/// ordinary words.
///
/// ```
/// use backup_actuator_search::{Credential, Redactor};
///
/// let redactor = Redactor::new(&[
///     Credential::basic("elastic", "S3cret-pass"),
///     Credential::secret("tok3n-xyz"),
/// ]);
/// assert_eq!(
///     redactor.text("Bearer tok3n-xyz from http://elastic:S3cret-pass@es:9200/").as_str(),
///     "Bearer [redacted] from http://es:9200/"
/// );
/// // base64 of "elastic:S3cret-pass", as a Basic header carries it
/// assert_eq!(
///     redactor.text("Basic ZWxhc3RpYzpTM2NyZXQtcGFzcw==").as_str(),
///     "Basic [redacted]"
/// );
/// ```
#[derive(Clone)]
pub struct Redactor {
    /// `None` when nothing is configured: texts then only lose URL userinfo.
    matcher: Option<AhoCorasick>,
}

impl fmt::Debug for Redactor {
    // The patterns are the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").finish_non_exhaustive()
    }
}

impl Credential {
    /// A user and password sent as basic authentication (or in a URL).
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Credential {
        Credential::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// A secret sent as it is: an API key, a bearer token, a password as
    /// written (percent-encoded) in a URL.
    pub fn secret(secret: impl Into<String>) -> Credential {
        Credential::Secret(secret.into())
    }
}

impl Redactor {
    /// A redactor for these credentials.
    pub fn new(credentials: &[Credential]) -> Redactor {
        let mut patterns = Vec::new();
        for credential in credentials {
            match credential {
                Credential::Basic { user, password } => {
                    add_forms(&mut patterns, password);
                    add_forms(&mut patterns, &format!("{user}:{password}"));
                }
                Credential::Secret(secret) => add_forms(&mut patterns, secret.trim()),
            }
        }
        patterns.retain(|p| p.len() >= MIN_SECRET_LEN);
        patterns.sort();
        patterns.dedup();
        let matcher = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                // Every answer, however large, is scanned: a DFA (a few MB
                // for a few thousand short patterns) scanned a 31.5 MB list
                // answer in 229 ms where the default took 352 ms.
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .expect("a few thousand short literal patterns always build")
        });
        Redactor { matcher }
    }

    /// Whether any credential is configured.
    #[cfg(test)]
    fn knows_secrets(&self) -> bool {
        self.matcher.is_some()
    }

    /// A whole answer body, redacted before anything reads it: whatever
    /// is later parsed or quoted out of it is redacted too, and an
    /// excerpt cut from it cannot cut a credential in two.
    pub(crate) fn body(&self, body: bytes::Bytes) -> RedactedBody {
        match self.ranges(&body) {
            None => RedactedBody(body),
            Some(ranges) => RedactedBody(bytes::Bytes::from(replace(&body, &ranges))),
        }
    }

    /// A text that may quote the cluster, a server, a transport or a URL.
    pub fn text(&self, text: &str) -> RedactedText {
        let text = strip_userinfo(text);
        match self.ranges(text.as_bytes()) {
            None => RedactedText(text),
            Some(ranges) => RedactedText(
                String::from_utf8(replace(text.as_bytes(), &ranges))
                    .expect("matches of UTF-8 patterns in UTF-8 text end on char boundaries"),
            ),
        }
    }

    /// An error and its sources, `: `-joined without repeats, redacted.
    pub fn error(&self, error: &(dyn StdError + 'static)) -> RedactedText {
        self.text(&error_chain(error))
    }

    /// The byte ranges to replace, merged; `None` if there are none.
    fn ranges(&self, haystack: &[u8]) -> Option<Vec<(usize, usize)>> {
        let matcher = self.matcher.as_ref()?;
        let mut found: Vec<(usize, usize)> = matcher
            .find_overlapping_iter(haystack)
            .map(|m| (m.start(), m.end()))
            .collect();
        if found.is_empty() {
            return None;
        }
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                // Touching matches merge too: two fragments side by side
                // are one longer fragment.
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Some(merged)
    }
}

fn replace(haystack: &[u8], ranges: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    for &(start, end) in ranges {
        out.extend_from_slice(&haystack[at..start]);
        out.extend_from_slice(REDACTED.as_bytes());
        at = end;
    }
    out.extend_from_slice(&haystack[at..]);
    out
}

/// Every form of `secret` the module docs list.
fn add_forms(patterns: &mut Vec<String>, secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut plain = vec![secret.to_owned()];
    for set in [NON_ALPHANUMERIC, USERINFO, QUERY] {
        let encoded = utf8_percent_encode(secret, set).to_string();
        plain.push(encoded.replace("%20", "+"));
        plain.push(lower_hex(&encoded));
        plain.push(encoded);
    }
    let mut base64 = Vec::new();
    for engine in [
        &BASE64_STANDARD,
        &BASE64_STANDARD_NO_PAD,
        &BASE64_URL_SAFE,
        &BASE64_URL_SAFE_NO_PAD,
    ] {
        base64.push(engine.encode(secret));
        // Inside a longer encoded text the secret starts at one of three
        // byte offsets; the characters whose six bits all come from its
        // own bytes are the same whatever surrounds it.
        for offset in 0..3 {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&shifted);
            let first = (8 * offset).div_ceil(6);
            let end = (8 * (offset + secret.len())) / 6;
            if end >= first + MIN_FRAGMENT_LEN {
                base64.push(encoded[first..end].to_owned());
            }
        }
    }
    for form in &base64 {
        let chars: Vec<char> = form.chars().collect();
        if chars.len() >= MIN_FRAGMENT_LEN {
            for window in chars.windows(MIN_FRAGMENT_LEN) {
                patterns.push(window.iter().collect());
            }
        }
    }
    plain.extend(base64.iter().cloned());
    plain.extend(
        base64
            .iter()
            .map(|form| utf8_percent_encode(form, NON_ALPHANUMERIC).to_string()),
    );
    // A JSON writer escapes quotes and backslashes, and some escape `/`.
    let escaped: Vec<String> = plain
        .iter()
        .flat_map(|form| {
            let json = serde_json::to_string(form).unwrap_or_default();
            let inner = json.get(1..json.len().saturating_sub(1)).unwrap_or("");
            [inner.to_owned(), inner.replace('/', "\\/")]
        })
        .collect();
    patterns.extend(plain);
    patterns.extend(escaped);
}

/// `%2F` written `%2f`: percent-encoding allows either case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            out.push(c);
            if c == '%' {
                hex_left = 2;
            }
        }
    }
    out
}

/// Text that went through a [`Redactor`]: only a redactor makes one, so
/// a message field of this type cannot hold an unredacted credential.
/// Every store error made in this crate carries only such text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactedText(String);

impl RedactedText {
    /// The text, for a message.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An answer body after the [`Redactor`]: reading it gives bytes in which
/// no configured credential is left.
#[derive(Clone, Debug, Default)]
pub(crate) struct RedactedBody(bytes::Bytes);

impl RedactedBody {
    /// Text made from this body alone (parsed or cut out of it), which is
    /// as redacted as the body.
    pub(crate) fn derive(&self, read: impl FnOnce(&[u8]) -> String) -> RedactedText {
        RedactedText(read(&self.0))
    }
}

impl Deref for RedactedBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// An error and its sources, `: `-joined, a source already contained in
/// what was said before left out.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
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

    fn redactor() -> Redactor {
        Redactor::new(&[
            Credential::Basic {
                user: "elastic".into(),
                password: "p@ss w/rd".into(),
            },
            Credential::Secret("S3cretKey".into()),
        ])
    }

    #[test]
    fn nothing_configured_only_strips_userinfo() {
        let redactor = Redactor::new(&[]);
        assert!(!redactor.knows_secrets());
        assert_eq!(
            redactor
                .text("for url (http://u:x@h:9200/_snapshot)")
                .as_str(),
            "for url (http://h:9200/_snapshot)"
        );
    }

    #[test]
    fn every_listed_form_is_redacted() {
        let redactor = redactor();
        for text in [
            "ApiKey S3cretKey",
            "password=p%40ss%20w%2Frd",
            "password=p%40ss+w%2Frd",
            "password=p%40ss%20w%2frd",
            "Basic ZWxhc3RpYzpwQHNzIHcvcmQ=",
            "Basic ZWxhc3RpYzpwQHNzIHcvcmQ",
            "echo UzNjcmV0S2V5",
            r#"{"h":"p@ss w\/rd"}"#,
        ] {
            let out = redactor.text(text).into_string();
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(
                !out.contains("S3cret") && !out.contains("w/rd") && !out.contains("pQHNz"),
                "{text} -> {out}"
            );
        }
    }

    #[test]
    fn a_base64_fragment_of_eight_characters_is_redacted() {
        let redactor = redactor();
        // The middle of base64("elastic:p@ss w/rd").
        let out = redactor.text("...YzpwQHNz...").into_string();
        assert_eq!(out, "...[redacted]...");
    }

    #[test]
    fn the_secret_inside_a_longer_base64_text_is_redacted() {
        let redactor = redactor();
        for prefix in ["", "a", "ab", "abc", "authorization: ApiKey "] {
            let encoded = BASE64_STANDARD.encode(format!("{prefix}S3cretKey and more"));
            let out = redactor.text(&encoded).into_string();
            assert!(out.contains(REDACTED), "{prefix}: {encoded} -> {out}");
        }
    }

    #[test]
    fn bodies_are_redacted_before_they_are_read() {
        let body = redactor().body(bytes::Bytes::from_static(
            b"<html>authorization: ApiKey S3cretKey</html>",
        ));
        assert_eq!(&*body, b"<html>authorization: ApiKey [redacted]</html>");
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
        use proptest::prelude::*;
        use reqwest::Url;

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
