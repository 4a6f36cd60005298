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

/// The OpenAPI description of the auth endpoints, merged into the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(token, login, refresh, logout, jwks),
    tags((name = "auth", description = "Tokens. Access tokens are RS256 JWTs with a `kid` header, verified against \
        `/.well-known/jwks.json`; refresh tokens are opaque, single-use and rotate on every refresh."))
)]
pub struct ApiDoc;

pub fn routes(state: AuthState) -> Router {
    Router::new()
        .route("/v1/auth/token/{kid}", get(token))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(state)
}

/// An access token (ardanlabs-compatible shape).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// An RS256 JWT signed with the requested key.
    pub token: String,
}

/// The body of `POST /v1/auth/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@example.com")]
    pub email: String,
    #[schema(example = "garagesale", format = Password)]
    pub password: String,
}

/// The body of `POST /v1/auth/refresh` and `POST /v1/auth/logout`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// A session: an access token and the refresh token that renews it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// An RS256 JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    /// Opaque and single-use: each refresh returns a new one.
    pub refresh_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub refresh_token_expires_at: OffsetDateTime,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    pub user: AppUser,
}

/// A JSON Web Key Set (RFC 7517) of the public signing keys.
#[derive(utoipa::ToSchema)]
#[schema(as = JwkSet)]
#[allow(dead_code)] // documentation only: the key store builds the set
struct JwkSetDoc {
    keys: Vec<JwkDoc>,
}

/// One public RSA key.
#[derive(utoipa::ToSchema)]
#[schema(as = Jwk)]
#[allow(dead_code)] // documentation only
struct JwkDoc {
    /// `RSA`.
    #[schema(example = "RSA")]
    kty: String,
    /// The key id tokens name in their `kid` header.
    kid: String,
    /// `RS256`.
    #[schema(example = "RS256")]
    alg: String,
    /// `sig`.
    #[schema(rename = "use", example = "sig")]
    r#use: String,
    /// The modulus, base64url.
    n: String,
    /// The exponent, base64url.
    #[schema(example = "AQAB")]
    e: String,
}

fn bad_credentials() -> AppError {
    AppError::unauthenticated("invalid credentials")
}

fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), AppError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::unauthenticated("expected Authorization: Basic base64(email:password)"))?;
    let encoded = raw
        .strip_prefix("Basic ")
        .ok_or_else(|| AppError::unauthenticated("expected Authorization: Basic base64(email:password)"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad_credentials())?;
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

/// Get a token with Basic credentials.
///
/// **Rule: none** (HTTP Basic `email:password`). Signs an access token with the
/// key `kid` (ardanlabs-compatible). Credentials are checked before the key, so a
/// wrong password is a 401 whatever the kid. No refresh token is issued; use
/// `POST /v1/auth/login` for a session.
#[utoipa::path(
    get,
    path = "/v1/auth/token/{kid}",
    operation_id = "getToken",
    tag = "auth",
    security(("basicAuth" = [])),
    params(("kid" = String, Path, description = "The id of the signing key, as listed in `/.well-known/jwks.json`.")),
    responses(
        (status = 200, description = "An access token.", body = TokenResponse),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 404, description = "`not_found`: no private key with this `kid`.", body = appsdk::errs::ErrorBody),
    )
)]
async fn token(State(s): State<AuthState>, Path(kid): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    // This endpoint takes Basic credentials, so its 401 asks for them.
    let basic = |e: AppError| e.with_challenge("Basic realm=\"sales-api\"");
    let (email, password) = basic_credentials(&headers).map_err(basic)?;
    let user = authenticate(&s.users, &email, &password).await.map_err(basic)?;
    if s.auth.keys().encoding_key(&kid).is_none() {
        return Err(AppError::not_found("signing key"));
    }
    let (token, _) = s.auth.issue(&user, Some(&kid)).map_err(AppError::internal)?;
    Ok(axum::Json(TokenResponse { token }).into_response())
}

async fn session_response(
    s: &AuthState,
    user: &userbus::User,
    issued: sessionbus::Issued,
) -> Result<Response, AppError> {
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
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Log in.
///
/// **Rule: none.** An unknown email, a wrong password and a disabled or deleted
/// user all get the same 401. Starts a session: an access token and a refresh
/// token. `Cache-Control: no-store`.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    operation_id = "login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session.", body = SessionResponse),
        (status = 400, description = "`invalid_argument`: malformed JSON, or a missing, unknown or mistyped field.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn login(State(s): State<AuthState>, Json(body): Json<LoginRequest>) -> Result<Response, AppError> {
    let user = authenticate(&s.users, &body.email, &body.password).await?;
    let issued = s.sessions.create(user.id).await.map_err(session_error)?;
    session_response(&s, &user, issued).await
}

fn session_error(e: sessionbus::Error) -> AppError {
    match e {
        sessionbus::Error::Invalid => AppError::unauthenticated("refresh token is invalid or expired"),
        sessionbus::Error::Reused => {
            AppError::unauthenticated("refresh token was already used; the session has been revoked, log in again")
        }
        sessionbus::Error::Internal(e) => AppError::internal(e),
    }
}

/// Refresh a session.
///
/// **Rule: none** (the refresh token is the credential). Rotates the refresh
/// token: the old one stops working. Presenting an already used one revokes the
/// whole session (401), since it means the token was stolen or replayed. A user
/// disabled or deleted since login gets 401 and the session ends.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    operation_id = "refresh",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The renewed session, with a new refresh token.", body = SessionResponse),
        (status = 400, description = "`invalid_argument`: malformed JSON, or a missing, unknown or mistyped field.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
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

/// Log out.
///
/// **Rule: none** (the refresh token is the credential). Ends the session: its
/// refresh token stops working. Access tokens already issued stay valid until
/// they expire (they are short-lived and verified without a database lookup of
/// the session).
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    operation_id = "logout",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is over."),
        (status = 400, description = "`invalid_argument`: malformed JSON, or a missing, unknown or mistyped field.",
            body = appsdk::errs::ErrorBody),
        (status = 401, description = "`unauthenticated`: the refresh token is unknown.", body = appsdk::errs::ErrorBody),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
    )
)]
async fn logout(State(s): State<AuthState>, Json(body): Json<RefreshRequest>) -> Result<StatusCode, AppError> {
    s.sessions.revoke(&body.refresh_token).await.map_err(session_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The public signing keys.
///
/// **Rule: none.** A JWK set so other services can verify our access tokens.
/// `Cache-Control: public, max-age=300`.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "auth",
    security(()),
    responses((status = 200, description = "The JWK set.", body = JwkSetDoc))
)]
async fn jwks(State(s): State<AuthState>) -> Response {
    let mut resp = axum::Json(s.auth.keys().jwks()).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
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
        assert_eq!(
            basic_credentials(&h).unwrap_err().code,
            appsdk::ErrCode::Unauthenticated
        );
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
    }
}
