//! Sorts matrix-sdk failures into the core's transient and permanent ones.

use std::time::{Duration, SystemTime};

use matrix_sdk::ruma::api::error::{Error as ApiError, ErrorBody, ErrorKind, RetryAfter};
use matrix_sdk::ruma::api::EndpointError;
use matrix_sdk::HttpError;
use treecast_wire::{DeliveryError, LimitScope};

/// Maps a failed send to `room` (an id, for the reason text).
pub fn classify(err: &matrix_sdk::Error, room: &str) -> DeliveryError {
    if let Some(api) = err.as_client_api_error() {
        return classify_api_error(api, room);
    }
    match err {
        matrix_sdk::Error::Http(http) => classify_http(http),
        _ => DeliveryError::transient(format!("matrix client error: {err}")),
    }
}

/// Maps a homeserver error as ruma parsed it.
fn classify_api_error(api: &ApiError, room: &str) -> DeliveryError {
    let message = match &api.body {
        ErrorBody::Standard(b) => b.message.clone(),
        _ => String::new(),
    };
    classify_api(api.status_code.as_u16(), api.error_kind(), &message, room)
}

fn classify_http(http: &HttpError) -> DeliveryError {
    match http {
        HttpError::Reqwest(e) => DeliveryError::transient(format!("network error talking to the homeserver: {e}")),
        HttpError::Cached(inner) => classify_http(inner),
        other => DeliveryError::transient(format!("homeserver request failed: {other}")),
    }
}

/// Maps a homeserver error response (status, `errcode`, `error`).
pub fn classify_api(status: u16, kind: Option<&ErrorKind>, message: &str, room: &str) -> DeliveryError {
    match kind {
        // Synapse's rc_message is per user: the whole account waits.
        Some(ErrorKind::LimitExceeded(data)) => {
            let reason = "rate limited by the homeserver (M_LIMIT_EXCEEDED)".to_owned();
            return match data.retry_after.as_ref().map(retry_delay) {
                Some(retry_after) => DeliveryError::RateLimited { retry_after, scope: LimitScope::Account, reason },
                None => DeliveryError::Transient { retry_after: None, reason },
            };
        }
        Some(ErrorKind::Forbidden) => {
            return DeliveryError::permanent(format!("the bot may not post in {room} (M_FORBIDDEN: {message})"))
        }
        Some(ErrorKind::NotFound) => {
            return DeliveryError::permanent(format!(
                "{room} does not exist or the bot is not in it (M_NOT_FOUND: {message})"
            ))
        }
        Some(ErrorKind::UnknownToken(_)) | Some(ErrorKind::MissingToken) => {
            return DeliveryError::transient(format!(
                "the homeserver rejected the bot's access token; log in again ({message})"
            ))
        }
        Some(ErrorKind::TooLarge) => {
            return DeliveryError::permanent(format!("message too large for the homeserver ({message})"))
        }
        _ => {}
    }
    match status {
        429 => DeliveryError::transient(format!("rate limited by the homeserver ({message})")),
        500..=599 => DeliveryError::transient(format!("homeserver error {status} ({message})")),
        403 => DeliveryError::permanent(format!("the bot may not post in {room} ({message})")),
        400..=499 => DeliveryError::permanent(format!("homeserver refused the message with {status} ({message})")),
        _ => DeliveryError::transient(format!("unexpected homeserver answer {status} ({message})")),
    }
}

/// Maps an error answer read off the wire, for requests made without
/// matrix-sdk: parsed by ruma as the SDK's are, then sorted the same way.
pub(crate) fn classify_body(status: u16, body: &[u8], room: &str) -> DeliveryError {
    let response = matrix_sdk::ruma::exports::http::Response::builder().status(status).body(body);
    match response {
        Ok(r) => classify_api_error(&ApiError::from_http_response(r), room),
        Err(_) => DeliveryError::transient(format!("unexpected homeserver answer {status}")),
    }
}

fn retry_delay(r: &RetryAfter) -> Duration {
    match r {
        RetryAfter::Delay(d) => *d,
        RetryAfter::DateTime(t) => t.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::api::client::uiaa::UiaaResponse;
    use matrix_sdk::ruma::api::error::{FromHttpResponseError, LimitExceededErrorData, StandardErrorBody};

    fn sdk_error(status: u16, kind: ErrorKind) -> matrix_sdk::Error {
        let body = ErrorBody::Standard(StandardErrorBody::new(kind, "test".to_owned()));
        let api = ApiError::new(http_status(status), body);
        let http = HttpError::Api(Box::new(FromHttpResponseError::Server(UiaaResponse::MatrixError(api))));
        matrix_sdk::Error::Http(Box::new(http))
    }

    fn http_status(code: u16) -> matrix_sdk::reqwest::StatusCode {
        matrix_sdk::reqwest::StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn limit_exceeded_keeps_retry_after() {
        let mut data = LimitExceededErrorData::new();
        data.retry_after = Some(RetryAfter::Delay(Duration::from_millis(4321)));
        let got = classify(&sdk_error(429, ErrorKind::LimitExceeded(data)), "!r");
        assert_eq!(
            got,
            DeliveryError::RateLimited {
                retry_after: Duration::from_millis(4321),
                scope: LimitScope::Account,
                reason: "rate limited by the homeserver (M_LIMIT_EXCEEDED)".into()
            }
        );
        let bare = classify(&sdk_error(429, ErrorKind::LimitExceeded(LimitExceededErrorData::new())), "!r");
        assert!(matches!(bare, DeliveryError::Transient { retry_after: None, .. }));
    }

    #[test]
    fn forbidden_and_unknown_rooms_are_permanent() {
        let f = classify(&sdk_error(403, ErrorKind::Forbidden), "!abc");
        assert!(matches!(&f, DeliveryError::Permanent { reason } if reason.contains("may not post in !abc")), "{f:?}");
        let n = classify(&sdk_error(404, ErrorKind::NotFound), "!abc");
        assert!(matches!(&n, DeliveryError::Permanent { reason } if reason.contains("!abc does not exist")), "{n:?}");
    }

    #[test]
    fn server_errors_are_transient_and_bad_requests_permanent() {
        assert!(classify(&sdk_error(502, ErrorKind::Unknown), "!r").is_transient());
        assert!(classify(&sdk_error(503, ErrorKind::Unknown), "!r").is_transient());
        assert!(!classify(&sdk_error(400, ErrorKind::BadJson), "!r").is_transient());
        assert!(classify_api(429, None, "slow down", "!r").is_transient());
        assert!(!classify_api(403, None, "no", "!r").is_transient());
    }

    #[test]
    fn answers_read_off_the_wire_sort_like_the_sdks() {
        let limited = br#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":1500}"#;
        match classify_body(429, limited, "!r") {
            DeliveryError::RateLimited { retry_after, scope, .. } => {
                assert_eq!(retry_after, Duration::from_millis(1500));
                assert_eq!(scope, LimitScope::Account);
            }
            other => panic!("{other:?}"),
        }
        let forbidden = classify_body(403, br#"{"errcode":"M_FORBIDDEN","error":"not in room"}"#, "!r");
        assert!(!forbidden.is_transient());
        assert!(forbidden.to_string().contains("not in room"), "{forbidden}");
        assert!(classify_body(502, b"<html>bad gateway</html>", "!r").is_transient(), "a body that is not JSON");
        assert!(!classify_body(400, b"", "!r").is_transient());
    }
}
