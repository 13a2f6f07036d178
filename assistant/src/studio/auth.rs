//! Logging in and out, and the [`LoggedIn`] extractor every route but
//! `/health` and `/login` starts with: no session cookie, or one the store
//! does not know or that has expired, and the request goes no further.
//!
//! Cookies: `awal_session` (the session token; HttpOnly, SameSite=Strict,
//! 12 hours) and `awal_login` (the login form's CSRF token, before there is a
//! session). Neither is readable by a script or sent with another site's request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, State as Shared};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Response};
use axum::Form;
use minijinja::{context, Value};

use super::accounts::{decoy_hash, verify_password, Role};
use super::csrf;
use super::pages::{pages, Ui};
use super::server::State;
use crate::store::Account;

pub const SESSION_COOKIE: &str = "awal_session";
pub const LOGIN_COOKIE: &str = "awal_login";
/// How long a session lasts.
pub const SESSION_HOURS: u32 = 12;

/// Why a request is not served, as the response says it.
#[derive(Debug)]
pub enum Refusal {
    /// No valid session: a page is sent to the login form, anything else gets 401.
    NotLoggedIn {
        page: bool,
    },
    /// Logged in, but not in a role this page is for.
    Forbidden(Ui),
    /// A form or upload without its session's CSRF token.
    BadCsrf(Ui),
    NotFound(Ui),
    BadRequest(Ui, String),
    /// Something failed on the kiosk; it was logged where it happened.
    Internal(Ui),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, ui, message) = match self {
            Refusal::NotLoggedIn { page: true } => {
                return (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
            }
            Refusal::NotLoggedIn { page: false } => {
                return (StatusCode::UNAUTHORIZED, "log in first\n").into_response();
            }
            Refusal::Forbidden(ui) => (StatusCode::FORBIDDEN, ui, pages().word(ui.lang, "forbidden")),
            Refusal::BadCsrf(ui) => (StatusCode::FORBIDDEN, ui, pages().word(ui.lang, "stale_form")),
            Refusal::NotFound(ui) => (StatusCode::NOT_FOUND, ui, pages().word(ui.lang, "not_found")),
            Refusal::BadRequest(ui, why) => {
                (StatusCode::BAD_REQUEST, ui, format!("{} ({why})", pages().word(ui.lang, "bad_request")))
            }
            Refusal::Internal(ui) => (StatusCode::INTERNAL_SERVER_ERROR, ui, pages().word(ui.lang, "server_error")),
        };
        let title = status.canonical_reason().unwrap_or_default();
        match pages().render("message.html", ui, context! { title => title, message => message.clone() }) {
            Ok(page) => (status, Html(page)).into_response(),
            Err(e) => {
                tracing::error!("studio: rendering an error page: {e}");
                (status, message).into_response()
            }
        }
    }
}

/// The account behind a request's session cookie.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub account: Account,
    pub role: Role,
    /// The session's CSRF token, put in every form of its pages.
    pub csrf: String,
    token_hash: String,
    pub ui: Ui,
}

impl FromRequestParts<Arc<State>> for LoggedIn {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Self, Refusal> {
        let ui = Ui::of(&parts.uri, &parts.headers);
        let not_logged_in = Refusal::NotLoggedIn { page: parts.method == Method::GET || parts.method == Method::HEAD };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(not_logged_in) };
        let token_hash = csrf::token_hash(&token);
        let session = state.store().session(&token_hash).map_err(|e| {
            tracing::error!("studio: reading a session: {e}");
            Refusal::Internal(ui)
        })?;
        let Some(session) = session else { return Err(not_logged_in) };
        let role = session.account.role.parse::<Role>().map_err(|e| {
            tracing::error!("studio: account {}: {e}", session.account.id);
            Refusal::Internal(ui)
        })?;
        Ok(LoggedIn { account: session.account, role, csrf: session.csrf, token_hash, ui })
    }
}

impl LoggedIn {
    /// Refuses unless the account has one of `roles` (an admin has every role).
    pub fn require(&self, roles: &[Role]) -> Result<(), Refusal> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(self.ui))
        }
    }

    /// Refuses unless `given` is this session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), Refusal> {
        if csrf::matches(&self.csrf, given) {
            Ok(())
        } else {
            Err(Refusal::BadCsrf(self.ui))
        }
    }

    /// Renders a page for this account: `page`'s values, plus the account's
    /// name and role and the CSRF token its forms carry.
    pub fn page(&self, template: &str, page: Value) -> Result<Html<String>, Refusal> {
        let account = context! { name => self.account.name.clone(), role => self.role.as_str() };
        let context = context! { account => account, role => self.role.as_str(), csrf => self.csrf.clone(), ..page };
        pages().render(template, self.ui, context).map(Html).map_err(|e| {
            tracing::error!("studio: rendering {template}: {e}");
            Refusal::Internal(self.ui)
        })
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for `path`, lasting
/// `seconds` (0 removes it).
fn set_cookie(name: &str, value: &str, path: &str, seconds: i64) -> String {
    cookie::Cookie::build((name, value))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path(path)
        .max_age(cookie::time::Duration::seconds(seconds))
        .build()
        .to_string()
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The login form, with the CSRF token of its cookie: the one the browser
/// has if it is well-formed, else a fresh one. Kept rather than replaced on
/// every view: a second view (another tab, a browser fetching `/favicon.ico`
/// and being sent to the login page) would otherwise make the first form stale.
fn login_form(ui: Ui, headers: &HeaderMap, status: StatusCode, name: &str, error: Option<String>) -> Response {
    let token = cookie(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(csrf::new_token);
    let page =
        context! { title => pages().word(ui.lang, "login_title"), csrf => token.clone(), name => name, error => error };
    match pages().render("login.html", ui, page) {
        Ok(page) => {
            (status, [(SET_COOKIE, set_cookie(LOGIN_COOKIE, &token, "/login", 3600))], Html(page)).into_response()
        }
        Err(e) => {
            tracing::error!("studio: rendering the login page: {e}");
            Refusal::Internal(ui).into_response()
        }
    }
}

/// `GET /login`.
pub async fn login_page(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    login_form(Ui::of(&uri, &headers), &headers, StatusCode::OK, "", None)
}

/// `POST /login`: checks the form's token, the throttle, then the password.
pub async fn login(
    Shared(state): Shared<Arc<State>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ui = Ui::of(&uri, &headers);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !csrf::matches(&expected, &form.csrf) {
        return login_form(ui, &headers, StatusCode::FORBIDDEN, &form.name, Some(pages().word(ui.lang, "stale_form")));
    }
    let address = peer.ip();
    if !state.throttle().allows(&form.name, address, Instant::now()) {
        tracing::warn!("studio: login refused: too many wrong passwords for this account or address");
        return login_form(
            ui,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            &form.name,
            Some(pages().word(ui.lang, "too_many")),
        );
    }
    let account = match state.store().account(&form.name) {
        Ok(account) => account,
        Err(e) => {
            tracing::error!("studio: reading an account: {e}");
            return Refusal::Internal(ui).into_response();
        }
    };
    let hash = account.as_ref().map_or_else(|| decoy_hash().to_string(), |a| a.password_hash.clone());
    let password = form.password;
    // argon2 takes tens of milliseconds of one core: off the async workers.
    let right = tokio::task::spawn_blocking(move || verify_password(&hash, &password)).await.unwrap_or(false);
    let Some(account) = account.filter(|_| right) else {
        state.throttle().failed(&form.name, address, Instant::now());
        tracing::info!("studio: a wrong name or password");
        return login_form(
            ui,
            &headers,
            StatusCode::UNAUTHORIZED,
            &form.name,
            Some(pages().word(ui.lang, "wrong_login")),
        );
    };
    state.throttle().succeeded(&form.name);
    let token = csrf::new_token();
    if let Err(e) = state.store().open_session(account.id, &csrf::token_hash(&token), &csrf::new_token(), SESSION_HOURS)
    {
        tracing::error!("studio: opening a session: {e}");
        return Refusal::Internal(ui).into_response();
    }
    // Appended: an array of headers would keep only the last `Set-Cookie`.
    let cookies = AppendHeaders([
        (SET_COOKIE, set_cookie(SESSION_COOKIE, &token, "/", i64::from(SESSION_HOURS) * 3600)),
        (SET_COOKIE, set_cookie(LOGIN_COOKIE, "", "/login", 0)),
    ]);
    (StatusCode::SEE_OTHER, [(LOCATION, "/".to_string())], cookies).into_response()
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session (the store forgets it) and clears its cookie.
pub async fn logout(Shared(state): Shared<Arc<State>>, user: LoggedIn, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refusal) = user.check_csrf(&form.csrf) {
        return refusal.into_response();
    }
    if let Err(e) = state.store().close_session(&user.token_hash) {
        tracing::error!("studio: closing a session: {e}");
        return Refusal::Internal(user.ui).into_response();
    }
    let headers = [(LOCATION, "/login".to_string()), (SET_COOKIE, set_cookie(SESSION_COOKIE, "", "/", 0))];
    (StatusCode::SEE_OTHER, headers).into_response()
}
