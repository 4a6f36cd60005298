//! HTTP edge of authentication: ardanlabs-style `GET /v1/auth/token/{kid}` with
//! Basic credentials, login / refresh / logout with rotating refresh tokens, and
//! the JWK set other services use to verify our tokens.

use std::sync::Arc;

use appsdk::{AppError, Authenticator, Json};
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use userapp::AppUser;

#[derive(Clone)]
pub struct AuthState {
    pub auth: Arc<Authenticator>,
    pub users: userbus::Business,
    pub sessions: sessionbus::Business,
}

pub fn routes(state: AuthState) -> Router {
    Router::new()
        .route("/v1/auth/token/{kid}", get(token))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(state)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub access_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    pub refresh_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub refresh_token_expires_at: OffsetDateTime,
    pub token_type: String,
    pub user: AppUser,
}

fn bad_credentials() -> AppError {
    AppError::unauthenticated("invalid credentials")
}

fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), AppError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::unauthenticated("expected Authorization: Basic base64(email:password)"))?;
    let encoded = raw.strip_prefix("Basic ").ok_or_else(|| AppError::unauthenticated("expected Authorization: Basic base64(email:password)"))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| bad_credentials())?;
    let text = String::from_utf8(decoded).map_err(|_| bad_credentials())?;
    let (email, password) = text.split_once(':').ok_or_else(bad_credentials)?;
    Ok((email.to_string(), password.to_string()))
}

async fn authenticate(users: &userbus::Business, email: &str, password: &str) -> Result<userbus::User, AppError> {
    users.authenticate(email, password).await.map_err(|e| match e {
        userbus::Error::AuthFailed => bad_credentials(),
        other => userapp::to_app_error(other),
    })
}

async fn token(State(s): State<AuthState>, Path(kid): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let (email, password) = basic_credentials(&headers)?;
    let user = authenticate(&s.users, &email, &password).await?;
    if s.auth.keys().encoding_key(&kid).is_none() {
        return Err(AppError::not_found("signing key"));
    }
    let (token, _) = s.auth.issue(&user, Some(&kid)).map_err(AppError::internal)?;
    Ok(axum::Json(TokenResponse { token }).into_response())
}

async fn session_response(s: &AuthState, user: &userbus::User, issued: sessionbus::Issued) -> Result<Response, AppError> {
    let (access_token, access_exp) = s.auth.issue(user, None).map_err(AppError::internal)?;
    let body = SessionResponse {
        access_token,
        access_token_expires_at: access_exp,
        refresh_token: issued.token,
        refresh_token_expires_at: issued.expires_at.replace_nanosecond(0).unwrap_or(issued.expires_at),
        token_type: "Bearer".into(),
        user: AppUser::from(user),
    };
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn login(State(s): State<AuthState>, Json(body): Json<LoginRequest>) -> Result<Response, AppError> {
    let user = authenticate(&s.users, &body.email, &body.password).await?;
    let issued = s.sessions.create(user.id).await.map_err(session_error)?;
    session_response(&s, &user, issued).await
}

fn session_error(e: sessionbus::Error) -> AppError {
    match e {
        sessionbus::Error::Invalid => AppError::unauthenticated("refresh token is invalid or expired"),
        sessionbus::Error::Reused => AppError::unauthenticated("refresh token was already used; the session has been revoked, log in again"),
        sessionbus::Error::Internal(e) => AppError::internal(e),
    }
}

async fn refresh(State(s): State<AuthState>, Json(body): Json<RefreshRequest>) -> Result<Response, AppError> {
    let issued = s.sessions.refresh(&body.refresh_token).await.map_err(session_error)?;
    let user = match s.users.query_by_id(issued.user_id).await {
        Ok(u) if u.enabled => u,
        Ok(_) | Err(userbus::Error::NotFound) => {
            // The account went away after login: end the session too.
            let _ = s.sessions.revoke(&issued.token).await;
            return Err(AppError::unauthenticated("user no longer exists or is disabled"));
        }
        Err(e) => return Err(userapp::to_app_error(e)),
    };
    session_response(&s, &user, issued).await
}

async fn logout(State(s): State<AuthState>, Json(body): Json<RefreshRequest>) -> Result<StatusCode, AppError> {
    s.sessions.revoke(&body.refresh_token).await.map_err(session_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn jwks(State(s): State<AuthState>) -> Response {
    let mut resp = axum::Json(s.auth.keys().jwks()).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=300"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_parse_and_refuse() {
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode("a@b.com:pa:ss");
        h.insert(header::AUTHORIZATION, format!("Basic {enc}").parse().unwrap());
        assert_eq!(basic_credentials(&h).unwrap(), ("a@b.com".into(), "pa:ss".into()));
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(basic_credentials(&h).unwrap_err().code, appsdk::ErrCode::Unauthenticated);
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
    }
}
