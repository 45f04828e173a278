//! [`LiveAnswer`], what a real engine answered to a live test's set-up call.
//!
//! Apart from the client in `live_admin.rs` so that `live.rs` can re-export it without
//! importing the client, which itself extends `live::LiveCluster` (the two imported each
//! other).

/// One answer of a real engine, read to the end.
///
/// ```
/// use backup_actuator_testkit::live::LiveAnswer;
///
/// let answer = LiveAnswer {
///     status: 404,
///     headers: vec![("content-type".into(), "application/json; charset=UTF-8".into())],
///     body: r#"{"error":{"type":"repository_missing_exception"},"status":404}"#.into(),
/// };
/// assert_eq!(answer.error_type().as_deref(), Some("repository_missing_exception"));
/// assert_eq!(answer.header("Content-Type"), Some("application/json; charset=UTF-8"));
/// ```
#[derive(Debug, Clone)]
pub struct LiveAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The headers as sent, in order.
    pub headers: Vec<(String, String)>,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl LiveAnswer {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, or `Value::Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `error.type` of an error envelope (or the string `error` of the few
    /// transport errors that use one), if any.
    pub fn error_type(&self) -> Option<String> {
        let json = self.json();
        let error = json.get("error")?;
        match error {
            serde_json::Value::String(s) => Some(s.clone()),
            other => other.get("type")?.as_str().map(str::to_owned),
        }
    }
}
