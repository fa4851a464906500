//! Authentication: tokens in, [`Actor`] out; account registration and password login for the
//! web client (argon2id hashes, run on the blocking pool because each costs tens of ms).
//!
//! Bots authenticate with `Authorization: Bot <token>`, user accounts with the bare token, as on
//! Discord; a token presented under the wrong scheme is rejected.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use guildhall_model::flags::UserFlags;
use guildhall_model::id::marker::UserMarker;
use guildhall_model::user::User;
use guildhall_model::{Id, Nullable};
use guildhall_store::UserRecord;
use serde::{Deserialize, Serialize};

use super::{Actor, Code, Core, Error, Result};
use crate::limits::{self, FormError, FormErrors, PathSegment};
use crate::token::{self, TokenHash};

/// Minimum password length (Discord: PASSWORD_TOO_SHORT below 8).
pub const PASSWORD_MIN: usize = 8;
/// Maximum password length.
pub const PASSWORD_MAX: usize = 72;

/// How a token was presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Bot <token>`.
    Bot,
    /// The bare token (user accounts).
    Bare,
}

/// Splits an `Authorization` header into scheme and token.
pub fn parse_authorization(header: &str) -> (Scheme, &str) {
    let header = header.trim();
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bot") => (Scheme::Bot, token.trim()),
        _ => (Scheme::Bare, header),
    }
}

/// `POST /auth/register`.
#[derive(Clone, Debug, Deserialize)]
pub struct RegisterRequest {
    pub username: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub global_name: Option<String>,
}

/// `POST /auth/login`.
#[derive(Clone, Debug, Deserialize)]
pub struct LoginRequest {
    /// Email or username.
    pub login: Option<String>,
    pub password: Option<String>,
}

/// What register and login return.
#[derive(Clone, Debug, Serialize)]
pub struct Session {
    /// The user token (`Authorization: <token>`).
    pub token: String,
    /// The user's id.
    pub user_id: Id<UserMarker>,
}

fn password_errors(errors: &mut FormErrors, password: Option<&str>) {
    let path = [PathSegment::field("password")];
    match password {
        None => errors.push(FormError::required(&path)),
        Some(p) => errors.check(limits::validate_length(&path, p, PASSWORD_MIN, PASSWORD_MAX)),
    }
}

fn hash_password(password: String) -> Result<String> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| Error::internal(&e))?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| Error::internal(&e))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::internal(&e))
}

impl Core {
    /// The actor behind an `Authorization` header: 40001 when the token is malformed, unknown,
    /// revoked or presented under the wrong scheme.
    pub async fn authenticate(&self, authorization: &str) -> Result<Actor> {
        let unauthorized = || Error::code(Code::Unauthorized);
        let (scheme, token) = parse_authorization(authorization);
        let user_id = token::claimed_user(token).ok_or_else(unauthorized)?;
        let stored = self.store().token_hash(user_id).await?.ok_or_else(unauthorized)?;
        // Constant-time comparison of digests: the token itself is never compared directly.
        if !TokenHash(stored).matches(&TokenHash::of(token)) {
            return Err(unauthorized());
        }
        let record = self.store().user(user_id).await?.ok_or_else(unauthorized)?;
        let is_bot = record.user.bot == Some(true);
        if is_bot != (scheme == Scheme::Bot) {
            return Err(unauthorized());
        }
        let application_id =
            if is_bot { self.store().application_for_bot(user_id).await?.map(|app| app.id) } else { None };
        Ok(Actor { user: record.user, application_id })
    }

    /// Creates a user account and returns its first token.
    pub async fn register(&self, request: RegisterRequest) -> Result<Session> {
        let mut errors = FormErrors::new();
        match request.username.as_deref() {
            None => errors.push(FormError::required(&[PathSegment::field("username")])),
            Some(name) => errors.check(limits::validate_username(name)),
        }
        password_errors(&mut errors, request.password.as_deref());
        if let Some(email) = request.email.as_deref()
            && !valid_email(email)
        {
            errors.push(FormError::new(
                vec![PathSegment::field("email")],
                "EMAIL_INVALID",
                "Not a well formed email address.",
            ));
        }
        if let Some(global) = request.global_name.as_deref() {
            errors.check(limits::validate_length(&[PathSegment::field("global_name")], global, 1, 32));
        }
        errors.into_result()?;
        let (Some(username), Some(password)) = (request.username, request.password) else {
            return Err(Error::code(Code::InvalidFormBody));
        };
        // Hashing costs tens of milliseconds: done before taking the registration lock.
        let password_hash = blocking(move || hash_password(password)).await??;

        // Held until the account exists, so two registrations cannot claim one name or email.
        let _names = self.lock(super::users::USERNAMES_LOCK).await;
        let mut errors = FormErrors::new();
        if let Some(email) = request.email.as_deref()
            && self.store().user_by_email(email).await?.is_some()
        {
            errors.push(FormError::new(
                vec![PathSegment::field("email")],
                "EMAIL_ALREADY_REGISTERED",
                "Email is already registered.",
            ));
        }
        if !self.store().users_by_username(&username).await?.is_empty() {
            errors.push(super::users::username_taken());
        }
        errors.into_result()?;
        let id: Id<UserMarker> = self.next_id();
        let mut user = User::new(id, username);
        user.global_name = Some(request.global_name.map_or(Nullable::Null, Nullable::Value));
        user.public_flags = Some(UserFlags::empty());
        let record = UserRecord { user, email: request.email, password_hash: Some(password_hash) };
        self.store().create_user(&record).await?;
        drop(_names);
        self.issue_session(id).await
    }

    /// Checks a password and returns a fresh token (which replaces the previous one).
    pub async fn login(&self, request: LoginRequest) -> Result<Session> {
        let mut errors = FormErrors::new();
        if request.login.is_none() {
            errors.push(FormError::required(&[PathSegment::field("login")]));
        }
        if request.password.is_none() {
            errors.push(FormError::required(&[PathSegment::field("password")]));
        }
        errors.into_result()?;
        let (Some(login), Some(password)) = (request.login, request.password) else {
            return Err(Error::code(Code::InvalidFormBody));
        };
        let candidates = match self.store().user_by_email(&login).await? {
            Some(user) => vec![user],
            None => self.store().users_by_username(&login).await?,
        };
        let invalid = || {
            let mut errors = FormErrors::new();
            for field in ["login", "password"] {
                errors.push(FormError::new(
                    vec![PathSegment::field(field)],
                    "INVALID_LOGIN",
                    "Login or password is invalid.",
                ));
            }
            Error::form(&errors)
        };
        let Some(record) = candidates.into_iter().find(|u| u.password_hash.is_some()) else {
            // Hash anyway so an unknown login costs the same time as a wrong password.
            let _ = blocking(move || hash_password(password)).await?;
            return Err(invalid());
        };
        let hash = record.password_hash.clone().unwrap_or_default();
        if !blocking(move || verify_password(&password, &hash)).await? {
            return Err(invalid());
        }
        self.issue_session(record.user.id).await
    }

    async fn issue_session(&self, user_id: Id<UserMarker>) -> Result<Session> {
        let now_secs = u64::try_from(self.now().as_secs()).unwrap_or(0);
        let issued = token::issue(self.secret(), user_id, now_secs);
        self.store().set_token_hash(user_id, issued.hash.0).await?;
        Ok(Session { token: issued.token, user_id })
    }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_schemes() {
        assert_eq!(parse_authorization("Bot abc.def.ghi"), (Scheme::Bot, "abc.def.ghi"));
        assert_eq!(parse_authorization("bot abc"), (Scheme::Bot, "abc"));
        assert_eq!(parse_authorization("abc.def.ghi"), (Scheme::Bare, "abc.def.ghi"));
        assert_eq!(parse_authorization("Bearer abc").0, Scheme::Bare);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse".into()).unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn emails() {
        assert!(valid_email("a@b.co"));
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a@b."] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
