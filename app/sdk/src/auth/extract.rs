use std::{marker::PhantomData, sync::Arc};

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};

use super::{Authenticator, Claims, Rule};
use crate::errs::AppError;

/// A handler argument that authenticates the caller (401) and checks the role
/// rule `R` (403). Put it first among the extractors: the API checks
/// authentication before the body or the path.
pub struct Auth<R: Rule> {
    pub claims: Claims,
    _rule: PhantomData<R>,
}

impl<R: Rule> std::ops::Deref for Auth<R> {
    type Target = Claims;

    fn deref(&self) -> &Claims {
        &self.claims
    }
}

impl<R: Rule, S: Send + Sync> FromRequestParts<S> for Auth<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let auth =
            parts.extensions.get::<Arc<Authenticator>>().cloned().ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("Authenticator extension missing from the router"))
            })?;
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let claims = auth.authenticate(header).await?;
        if !auth.authz().allows(R::NAME, &claims.roles) {
            return Err(AppError::forbidden());
        }
        parts.extensions.insert(claims.clone());
        Ok(Auth {
            claims,
            _rule: PhantomData,
        })
    }
}
