//! Extractors whose rejections are API errors: a bad body, path or header is a
//! 400/413/415 naming what was wrong, never a plain-text axum rejection.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, RawPathParams, Request},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::errs::{AppError, ErrCode, from_validation};

/// A JSON body. Content type must be `application/json` (415), the size within
/// the body limit (413), the JSON well-formed with known fields of the right
/// types (400 naming the field).
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::new(
                ErrCode::UnsupportedMediaType,
                "request body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(ErrCode::PayloadTooLarge, "request body is too large")
            } else {
                AppError::invalid("body", "could not read the request body")
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// [`Json`] followed by `validator` rules; every failing field is listed.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + validator::Validate, S: Send + Sync> FromRequest<S> for ValidJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        v.validate().map_err(|e| from_validation(&e))?;
        Ok(ValidJson(v))
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Deserializes `bytes`, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let raw = inner.to_string();
        // serde_json appends the position; clients get the field name instead.
        let msg = raw.split(" at line ").next().unwrap_or(&raw).to_string();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::invalid("body", "malformed JSON");
        }
        let (field, message) = field_and_message(&path, &msg);
        AppError::invalid(field, message)
    })?;
    de.end()
        .map_err(|_| AppError::invalid("body", "malformed JSON: trailing characters"))?;
    Ok(value)
}

/// serde reports unknown and missing fields at the parent's path; name the field
/// itself, and never echo a submitted value back (it may be a password).
fn field_and_message(path: &str, msg: &str) -> (String, String) {
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = backticked(msg, "unknown field `") {
        // serde_path_to_error already ends the path with the unknown field.
        let field = if path.ends_with(name) {
            path.to_string()
        } else {
            join(name)
        };
        return (field, "unknown field".into());
    }
    if let Some(name) = backticked(msg, "missing field `") {
        return (join(name), "is required".into());
    }
    let field = if path == "." || path.is_empty() {
        "body".to_string()
    } else {
        path.to_string()
    };
    let message = if let Some(expected) = msg
        .strip_prefix("invalid type: ")
        .and_then(|m| m.split_once(", expected "))
    {
        format!("must be {}", expected.1)
    } else if let Some((_, expected)) = msg
        .strip_prefix("invalid value: ")
        .and_then(|m| m.split_once(", expected "))
    {
        format!("must be {expected}")
    } else {
        msg.to_string()
    };
    (field, message)
}

fn backticked<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    msg.strip_prefix(prefix)?.split('`').next()
}

/// The single UUID path parameter of a route (`/v1/users/{user_id}`); a bad one
/// is a 400 naming the parameter.
#[derive(Debug, Clone, Copy)]
pub struct UuidPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for UuidPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::invalid("path", "bad path parameters"))?;
        let (name, value) = params
            .iter()
            .next()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("route has no path parameter")))?;
        Uuid::parse_str(value)
            .map(UuidPath)
            .map_err(|_| AppError::invalid(name, "must be a UUID"))
    }
}

/// `If-Match: "<version>"`. Absent or `*` means "whatever is current".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Some(raw) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let bad = || AppError::invalid("If-Match", "must be a quoted version, e.g. \"3\"");
        let s = raw.to_str().map_err(|_| bad())?.trim();
        if s == "*" {
            return Ok(IfMatch(None));
        }
        let s = s.strip_prefix("W/").unwrap_or(s);
        let inner = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s);
        inner.parse::<i64>().map(|v| IfMatch(Some(v))).map_err(|_| bad())
    }
}

impl IfMatch {
    /// 412 when a version was asked for and `current` is not it.
    pub fn check(self, current: i64) -> Result<(), AppError> {
        match self.0 {
            Some(v) if v != current => Err(AppError::precondition_failed()),
            _ => Ok(()),
        }
    }
}

/// The `ETag` value for a version.
pub fn etag(version: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// A single-entity response with `ETag` (and `Location` for a 201).
pub fn entity_response<T: serde::Serialize>(
    status: axum::http::StatusCode,
    version: i64,
    body: &T,
    location: Option<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    if let Some(loc) = location.and_then(|l| axum::http::HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        quantity: u32,
        lines: Option<Vec<Line>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        #[serde(rename = "productID")]
        product_id: String,
    }

    fn field_of(json: &str) -> (String, String) {
        let e = parse_json::<Body>(json.as_bytes()).unwrap_err();
        assert_eq!(e.code, ErrCode::InvalidArgument);
        (e.fields[0].field.clone(), e.fields[0].error.clone())
    }

    #[test]
    fn names_the_bad_field() {
        assert_eq!(field_of(r#"{"name":"x","quantity":"three"}"#).0, "quantity");
        assert_eq!(
            field_of(r#"{"name":"x","quantity":1,"extra":1}"#),
            ("extra".into(), "unknown field".into())
        );
        assert_eq!(field_of(r#"{"name":"x"}"#), ("quantity".into(), "is required".into()));
        assert_eq!(
            field_of(r#"{"name":"x","quantity":1,"lines":[{"productId":"a"}]}"#).0,
            "lines[0].productId"
        );
        assert_eq!(
            field_of(r#"{"name":"x","quantity":1,"lines":[{"productID":1}]}"#).0,
            "lines[0].productID"
        );
        assert_eq!(field_of(r#"{"name":"#).0, "body");
        assert_eq!(field_of(r#"{"name":"x","quantity":1} trailing"#).0, "body");
    }

    #[test]
    fn never_echoes_the_value() {
        let (_, msg) = field_of(r#"{"name":"x","quantity":"s3cret-value"}"#);
        assert!(!msg.contains("s3cret"), "{msg}");
    }
}
