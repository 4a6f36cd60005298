//! One error type for every handler, and exactly one table from codes to HTTP
//! statuses (see API.md "Errors"). Internal causes are logged, never returned.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// The machine-readable error code; each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrCode {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Aborted,
    InsufficientStock,
    FailedPrecondition,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    Internal,
    Unavailable,
    DeadlineExceeded,
}

impl ErrCode {
    /// The only place a code becomes an HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ErrCode::InvalidArgument => StatusCode::BAD_REQUEST,
            ErrCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrCode::PermissionDenied => StatusCode::FORBIDDEN,
            ErrCode::NotFound => StatusCode::NOT_FOUND,
            ErrCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrCode::AlreadyExists | ErrCode::Aborted | ErrCode::InsufficientStock => StatusCode::CONFLICT,
            ErrCode::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
            ErrCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrCode::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrCode::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

/// One bad input: the JSON field (`lines[0].quantity`), query parameter or header,
/// and what is wrong with it. The submitted value is never echoed back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"field": "email", "error": "is not a valid email address"}))]
pub struct FieldError {
    pub field: String,
    pub error: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            error: error.into(),
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "invalid_argument", "message": "validation failed",
    "fields": [{"field": "email", "error": "is not a valid email address"}]}))]
pub struct ErrorBody<'a> {
    pub code: ErrCode,
    /// For people, not for matching: it never holds internal detail.
    pub message: &'a str,
    /// Only for `invalid_argument` and `insufficient_stock`: every bad field.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    pub fields: &'a [FieldError],
}

#[derive(Debug)]
pub struct AppError {
    pub code: ErrCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// Seconds, sent as `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// The cause of an internal error: logged, never sent.
    pub source: Option<anyhow::Error>,
    /// `WWW-Authenticate` challenge of a 401; `Bearer` unless the endpoint takes
    /// other credentials.
    pub challenge: Option<&'static str>,
}

impl AppError {
    pub fn new(code: ErrCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
            source: None,
            challenge: None,
        }
    }

    /// 500 with the fixed public message; `err` goes to the log only.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if sdk::sqldb::is_unavailable_error(&err) {
            let mut e = Self::new(ErrCode::Unavailable, "service unavailable, try again later");
            e.retry_after = Some(1);
            e.source = Some(err);
            return e;
        }
        Self {
            source: Some(err),
            ..Self::new(ErrCode::Internal, "internal server error")
        }
    }

    /// 400 `invalid_argument` naming one field.
    pub fn invalid(field: impl Into<String>, error: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, error)])
    }

    /// 400 `invalid_argument` naming every bad field.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self {
            fields,
            ..Self::new(ErrCode::InvalidArgument, "validation failed")
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrCode::Unauthenticated, message)
    }

    pub fn forbidden() -> Self {
        Self::new(ErrCode::PermissionDenied, "you are not allowed to do that")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrCode::NotFound, format!("{what} not found"))
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            ErrCode::FailedPrecondition,
            "If-Match does not match the current version",
        )
    }

    /// Sets the `WWW-Authenticate` challenge sent with a 401.
    pub fn with_challenge(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if let Some(src) = &self.source {
            // The request span carries request_id and trace_id.
            tracing::error!(error = %format!("{src:#}"), code = ?self.code, "request failed");
        }
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
            fields: &self.fields,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        if self.code == ErrCode::Unauthenticated {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(self.challenge.unwrap_or("Bearer")),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ErrorMarker(self.code));
        resp
    }
}

/// Left on error responses so middleware (metrics, logs) can count them by code.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMarker(pub ErrCode);

/// A `validator` rule for text that goes to the database: no NUL character.
/// PostgreSQL cannot hold one in text and refuses the statement (a 500 without
/// this). Used as `#[validate(custom(function = "appsdk::errs::no_nul"))]`.
pub fn no_nul(s: &str) -> Result<(), validator::ValidationError> {
    if s.contains('\0') {
        Err(validator::ValidationError::new("nul").with_message("must not contain a NUL character".into()))
    } else {
        Ok(())
    }
}

/// Builds the `fields` list from `validator` errors, with the JSON field names.
pub fn from_validation(errs: &validator::ValidationErrors) -> AppError {
    let mut fields: Vec<FieldError> = Vec::new();
    collect(errs, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    AppError::validation(fields)
}

fn collect(errs: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind::*;
    for (field, kind) in errs.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            Field(list) => {
                for e in list {
                    let msg = e.message.as_ref().map_or_else(|| e.code.to_string(), |m| m.to_string());
                    out.push(FieldError::new(name.clone(), msg));
                }
            }
            Struct(inner) => collect(inner, &name, out),
            List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_nul_names_the_field_of_a_nul() {
        #[derive(validator::Validate)]
        struct Note {
            #[validate(custom(function = "no_nul"))]
            text: String,
            #[validate(custom(function = "no_nul"))]
            title: Option<String>,
        }
        use validator::Validate;
        let ok = Note {
            text: "line\nbreak".into(),
            title: None,
        };
        assert!(ok.validate().is_ok());
        let bad = Note {
            text: "a\0b".into(),
            title: Some("\0".into()),
        };
        let err = from_validation(&bad.validate().unwrap_err());
        let fields: Vec<_> = err
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.error.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("text", "must not contain a NUL character"),
                ("title", "must not contain a NUL character")
            ]
        );
    }

    #[test]
    fn every_code_has_the_documented_status() {
        use ErrCode::*;
        let table = [
            (InvalidArgument, 400),
            (Unauthenticated, 401),
            (PermissionDenied, 403),
            (NotFound, 404),
            (MethodNotAllowed, 405),
            (AlreadyExists, 409),
            (Aborted, 409),
            (InsufficientStock, 409),
            (FailedPrecondition, 412),
            (PayloadTooLarge, 413),
            (UnsupportedMediaType, 415),
            (Unprocessable, 422),
            (TooManyRequests, 429),
            (Internal, 500),
            (Unavailable, 503),
            (DeadlineExceeded, 504),
        ];
        for (code, status) in table {
            assert_eq!(code.status().as_u16(), status, "{code:?}");
        }
    }

    #[test]
    fn internal_hides_the_cause() {
        let resp = AppError::internal(anyhow::anyhow!("SELECT secret FROM x failed")).into_response();
        assert_eq!(resp.status(), 500);
        let marker = resp.extensions().get::<ErrorMarker>().map(|m| m.0);
        assert_eq!(marker, Some(ErrCode::Internal));
    }

    /// However a domain error reaches `internal`, whole or unwrapped, a database
    /// outage underneath is answered 503 (session 2's outage bug: a transparent
    /// wrapper hid the sqlx error from the chain, and an outage answered 500).
    #[test]
    fn a_database_outage_under_a_domain_error_is_unavailable() {
        let outage = || userbus::Error::from(sqlx::Error::PoolTimedOut);
        let whole = AppError::internal(outage());
        assert_eq!(whole.code, ErrCode::Unavailable, "{:?}", whole.source);
        let userbus::Error::Internal(inner) = outage() else {
            panic!("sqlx errors are Internal")
        };
        assert_eq!(AppError::internal(inner).code, ErrCode::Unavailable);
        // A domain failure that is not an outage stays a 500.
        let other = userbus::Error::from(sqlx::Error::RowNotFound);
        assert_eq!(AppError::internal(other).code, ErrCode::Internal);
    }

    #[test]
    fn unauthenticated_sets_www_authenticate() {
        let resp = AppError::unauthenticated("missing token").into_response();
        assert_eq!(resp.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
