//! Every error answer: `{"error": {"code": "...", "message": "..."}}` with the status its
//! code calls for. Codes are core's stable ones (`invalid_input`, `not_found`, `conflict`,
//! `unavailable`, `internal`) plus the HTTP layer's own.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use antrian_core::ErrorCode;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An answer with its own status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `invalid_input`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<antrian_core::Error> for ApiError {
    fn from(e: antrian_core::Error) -> Self {
        let (status, code) = match e.code() {
            ErrorCode::InvalidInput => (StatusCode::BAD_REQUEST, "invalid_input"),
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorCode::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorCode::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if code == "internal" || code == "unavailable" {
            tracing::warn!("request failed: {e}");
        }
        Self::new(status, code, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is over the limit",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            _ => Self::invalid(format!(
                "the body is not valid: {}",
                for_people(&r.body_text())
            )),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::invalid(format!(
            "the query is not valid: {}",
            for_people(&r.body_text())
        ))
    }
}

/// A deserializer's message (serde's, through axum) in words for people: the field it is
/// about first, then what it needed and what it got, without Rust's type names or axum's
/// preamble. `workers: invalid type: null, expected u32` → ``workers` must be a whole
/// number of 0 or more, not null`.
fn for_people(text: &str) -> String {
    let mut text = text;
    for preamble in [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to deserialize query string: ",
        "Failed to parse the request body as JSON: ",
    ] {
        text = text.strip_prefix(preamble).unwrap_or(text);
    }
    // serde_json adds where in the text it stopped; the field name says more.
    let text = match text.rfind(" at line ") {
        Some(i) if text[i..].contains(" column ") => &text[..i],
        _ => text,
    };
    let (field, message) = match text.split_once(": ") {
        Some((f, m)) if !f.contains(' ') && !f.is_empty() => (Some(f), m),
        _ => (None, text),
    };
    let subject = field.map_or_else(|| "the value".to_string(), |f| format!("`{f}`"));
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            let got = got.strip_prefix("string ").unwrap_or(got).replace('`', "");
            return format!("{subject} must be {}, not {got}", kind(expected));
        }
    }
    if matches!(
        message,
        "invalid digit found in string" | "cannot parse integer from empty string"
    ) {
        return format!("{subject} must be a whole number");
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return format!(
                "{subject} must be {}, not {}",
                kind(expected),
                got.replace('`', "")
            );
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("{} is missing", rest.trim());
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return match rest.split_once(", expected ") {
            Some((name, known)) => format!("{name} is not a field here; the fields are {known}"),
            None => format!("{rest} is not a field here"),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.split_once(", expected ") {
            Some((name, known)) => format!("{subject} cannot be {name}; use {known}"),
            None => format!("{subject} cannot be {rest}"),
        };
    }
    match field {
        Some(f) => format!("`{f}`: {message}"),
        None => message.to_string(),
    }
}

/// serde's name for an expected type, in words.
fn kind(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" => "text".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list".into(),
        "a map" => "an object".into(),
        other if other.starts_with("struct ") || other.starts_with("internally tagged enum") => {
            "an object".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod people {
    use super::for_people;

    #[test]
    fn deserializer_messages_read_as_sentences() {
        let cases = [
            (
                "Failed to deserialize the JSON body into the target type: workers: invalid type: null, expected u32 at line 1 column 52",
                "`workers` must be a whole number of 0 or more, not null",
            ),
            (
                "Failed to deserialize the JSON body into the target type: workers: invalid type: string \"abc\", expected u32 at line 1 column 20",
                "`workers` must be a whole number of 0 or more, not \"abc\"",
            ),
            (
                "Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2",
                "`name` is missing",
            ),
            (
                "Failed to deserialize the JSON body into the target type: command: unknown variant `explode`, expected one of `scale`, `pause`",
                "`command` cannot be `explode`; use one of `scale`, `pause`",
            ),
            (
                "Failed to deserialize query string: limit: invalid digit found in string",
                "`limit` must be a whole number",
            ),
        ];
        for (raw, said) in cases {
            assert_eq!(for_people(raw), said, "{raw}");
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::invalid(format!("the path is not valid: {}", r.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

/// The error shape, for the OpenAPI document.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code: invalid_input, unauthorized, forbidden, not_found,
    /// method_not_allowed, conflict, payload_too_large, unsupported_media_type,
    /// too_many_requests, unavailable, internal.
    pub code: String,
    /// For people; names the field and the rule for invalid input.
    pub message: String,
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;
