//! The routes, the shared state and the serving loop.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;

use super::auth::{self, LoggedIn, Refusal};
use super::pages::{pages, Ui, UI_COOKIE};
use super::throttle::Throttle;
use super::{admin, learners, recording, StudioError, StudioOptions};
use crate::store::Store;

/// The largest form accepted (a login, an account): far above any real one.
const FORM_BYTES: usize = 16 * 1024;

/// What every request shares.
pub struct State {
    pub options: StudioOptions,
    store: Mutex<Store>,
    throttle: Mutex<Throttle>,
    /// Held while a recording is written: two saves of one phrase at once
    /// would share the temporary file.
    pub saving: Mutex<()>,
}

impl State {
    /// Opens the store (`DATA_DIR/awal.sqlite`) the accounts live in.
    pub fn open(options: StudioOptions) -> Result<Arc<State>, StudioError> {
        let store = Store::open(&options.data_dir.join("awal.sqlite"))?;
        Ok(Arc::new(State {
            options,
            store: Mutex::new(store),
            throttle: Mutex::new(Throttle::default()),
            saving: Mutex::new(()),
        }))
    }

    /// The store. A panic while holding it left nothing half-written (SQLite
    /// transactions), so a poisoned lock is taken over.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn throttle(&self) -> MutexGuard<'_, Throttle> {
        self.throttle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Every route. All but `/health` and `/login` start with [`LoggedIn`];
/// anything else is 404 — after a login too.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/", get(home))
        .route("/record", get(recording::languages))
        .route("/record/{lang}", get(recording::phrases))
        .route("/record/{lang}/{phrase}", post(recording::save).layer(DefaultBodyLimit::max(recording::UPLOAD_BYTES)))
        .route("/record/{lang}/{phrase}/audio", get(recording::audio))
        .route("/static/record.js", get(recording::script))
        .route("/learners", get(learners::learners))
        .route("/admin/accounts", get(admin::accounts).post(admin::add_account))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(FORM_BYTES))
        .layer(middleware::from_fn(protect))
        .with_state(state)
}

/// Serves the studio on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>()).await
}

/// Runs the studio on `listener` (already bound), on a runtime of its own,
/// until the process ends. Two workers: the kiosk has two cores and little to serve.
pub fn run(listener: std::net::TcpListener, options: StudioOptions) -> Result<(), StudioError> {
    let state = State::open(options)?;
    let io = |source| StudioError::Io { path: "(the studio's listener)".into(), source };
    listener.set_nonblocking(true).map_err(io)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(io)?;
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            serve(listener, state).await
        })
        .map_err(io)
}

/// What every response carries: no caching, no framing, no sniffing, no
/// referrer, and a content policy that allows this site's own script only
/// (the recorder) — and the page language when the request chose it.
async fn protect(request: Request, next: Next) -> Response {
    let ui = Ui::of(request.uri(), request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; \
             media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if ui.chosen {
        let remember = format!("{UI_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000", ui.lang);
        if let Ok(value) = HeaderValue::from_str(&remember) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

/// `GET /health`: the one route without a login. Says nothing but that it runs.
async fn health() -> &'static str {
    "ok\n"
}

/// `GET /`: a tile per part of the studio this account may use.
async fn home(user: LoggedIn) -> Result<Html<String>, Refusal> {
    user.page("home.html", context! { title => pages().word(user.ui.lang, "home") })
}

/// Any other path: not found, once logged in; the login form before.
async fn not_found(user: LoggedIn) -> Refusal {
    Refusal::NotFound(user.ui)
}
