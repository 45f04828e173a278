//! What the service answers with: [`BackupBody`] for its own answers,
//! [`LayerBody`] where a [`BackupLayer`](crate::BackupLayer) joins them with
//! the inner service's, and the JSON and empty answers built on them.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use backup_actuator_core::{ApiError, BackupList, ListPosition};
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};

/// The body of every answer of [`BackupService`](crate::BackupService): a
/// JSON document, or nothing (204).
///
/// A list answer is written a chunk at a time from a [`BackupList`], so a
/// large repository's answer is never held whole; its exact length is known
/// from the start, so it goes out with a `Content-Length` all the same.
///
/// ```
/// use backup_actuator_service::BackupBody;
/// use http_body::Body;
///
/// let body = BackupBody::from("[]");
/// assert_eq!(body.size_hint().exact(), Some(2));
/// assert!(BackupBody::empty().is_end_stream());
/// ```
#[derive(Clone, Default)]
pub struct BackupBody {
    data: Option<Bytes>,
    list: Option<ListBody>,
}

/// What is left to write of a list answer. Clones share the list.
#[derive(Clone)]
struct ListBody {
    list: Arc<BackupList>,
    at: ListPosition,
    remaining: u64,
}

/// Big enough that a chunk's bookkeeping is noise, small enough that a
/// chunk is a blip in memory.
const LIST_CHUNK: usize = 64 * 1024;

impl BackupBody {
    /// A body with no bytes.
    pub fn empty() -> BackupBody {
        BackupBody::default()
    }

    /// A body of these bytes.
    pub fn new(data: impl Into<Bytes>) -> BackupBody {
        let data = data.into();
        BackupBody {
            data: (!data.is_empty()).then_some(data),
            list: None,
        }
    }

    fn remaining(&self) -> u64 {
        match (&self.data, &self.list) {
            (Some(data), _) => data.len() as u64,
            (None, Some(list)) => list.remaining,
            (None, None) => 0,
        }
    }
}

/// The list answer, written out a chunk at a time.
///
/// ```
/// use backup_actuator_core::{BackupList, BackupPlan, Compatibility, OutputZone};
/// use backup_actuator_service::BackupBody;
/// use http_body::Body;
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let (list, _) =
///     BackupList::new(&plan, Vec::new(), OutputZone::utc(), Compatibility::Documented).unwrap();
/// assert_eq!(BackupBody::from(list).size_hint().exact(), Some(2));
/// ```
impl From<BackupList> for BackupBody {
    fn from(list: BackupList) -> BackupBody {
        let remaining = list.len();
        BackupBody {
            data: None,
            list: Some(ListBody {
                list: Arc::new(list),
                at: ListPosition::default(),
                remaining,
            }),
        }
    }
}

impl fmt::Debug for BackupBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupBody")
            .field("len", &self.remaining())
            .finish()
    }
}

impl From<String> for BackupBody {
    fn from(text: String) -> BackupBody {
        BackupBody::new(text)
    }
}

impl From<&'static str> for BackupBody {
    fn from(text: &'static str) -> BackupBody {
        BackupBody::new(text)
    }
}

impl From<Vec<u8>> for BackupBody {
    fn from(bytes: Vec<u8>) -> BackupBody {
        BackupBody::new(bytes)
    }
}

impl From<Bytes> for BackupBody {
    fn from(bytes: Bytes) -> BackupBody {
        BackupBody::new(bytes)
    }
}

impl Body for BackupBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        let Some(list) = &mut this.list else {
            return Poll::Ready(None);
        };
        match list.list.next_chunk(&mut list.at, LIST_CHUNK) {
            Some(chunk) => {
                list.remaining = list.remaining.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
            None => {
                // The list (every snapshot record) is freed with the last chunk.
                this.list = None;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining())
    }
}

pin_project_lite::pin_project! {
    /// The body of a service wrapped by [`BackupLayer`](crate::BackupLayer):
    /// either a backup answer or whatever the inner service answered.
    ///
    /// Its data is [`Bytes`], so the inner body must be a `Body<Data = Bytes>`
    /// (as axum's and hyper's bodies are); its error is the inner body's.
    ///
    /// ```
    /// use backup_actuator_service::{BackupBody, LayerBody};
    /// use http_body::Body;
    /// use http_body_util::Full;
    ///
    /// let ours: LayerBody<Full<bytes::Bytes>> = LayerBody::backup(BackupBody::from("[]"));
    /// let theirs = LayerBody::inner(Full::new(bytes::Bytes::from("hello")));
    /// assert_eq!(ours.size_hint().exact(), Some(2));
    /// assert_eq!(theirs.size_hint().exact(), Some(5));
    /// ```
    #[derive(Debug)]
    pub struct LayerBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Backup { #[pin] body: BackupBody },
        Inner { #[pin] body: B },
    }
}

impl<B> LayerBody<B> {
    /// Wraps a backup answer.
    pub fn backup(body: BackupBody) -> LayerBody<B> {
        LayerBody {
            kind: Kind::Backup { body },
        }
    }

    /// Wraps an inner answer.
    pub fn inner(body: B) -> LayerBody<B> {
        LayerBody {
            kind: Kind::Inner { body },
        }
    }
}

impl<B> Body for LayerBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Backup { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(|never| match never {}))),
            KindProj::Inner { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Backup { body } => body.is_end_stream(),
            Kind::Inner { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Backup { body } => body.size_hint(),
            Kind::Inner { body } => body.size_hint(),
        }
    }
}

/// A JSON answer with `Content-Type: application/json`.
pub(crate) fn json_response(
    status: StatusCode,
    body: impl Into<BackupBody>,
) -> Response<BackupBody> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `value` serialized as a JSON answer. A value that cannot be written is
/// this service's own failure, not the cluster's: an internal error.
pub(crate) fn json_answer(
    status: StatusCode,
    value: &impl serde::Serialize,
) -> Result<Response<BackupBody>, ApiError> {
    let body = serde_json::to_vec(value).map_err(|err| ApiError::Internal {
        detail: format!("could not write the answer: {err}"),
    })?;
    Ok(json_response(status, body))
}

/// 204 with no body.
pub(crate) fn no_content() -> Response<BackupBody> {
    let mut response = Response::new(BackupBody::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
