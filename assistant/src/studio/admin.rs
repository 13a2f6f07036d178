//! Admin pages: the accounts (list, add). Role admin only.

use std::sync::Arc;

use axum::extract::State as Shared;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use minijinja::{context, Value};

use super::accounts::{add_account as add, Role};
use super::auth::{LoggedIn, Refusal};
use super::pages::pages;
use super::server::State;

/// The accounts page, with `notice` or `error` above the list.
fn accounts_page(
    state: &State,
    user: &LoggedIn,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, Refusal> {
    let accounts = state.store().accounts().map_err(|e| {
        tracing::error!("studio: listing accounts: {e}");
        Refusal::Internal(user.ui)
    })?;
    let rows: Vec<Value> =
        accounts.iter().map(|a| context! { name => a.name.clone(), role => a.role.clone() }).collect();
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let title = pages().word(user.ui.lang, "accounts");
    user.page(
        "accounts.html",
        context! { title => title, rows => rows, roles => roles, notice => notice, error => error },
    )
}

/// `GET /admin/accounts`.
pub async fn accounts(Shared(state): Shared<Arc<State>>, user: LoggedIn) -> Result<Html<String>, Refusal> {
    user.require(&[Role::Admin])?;
    accounts_page(&state, &user, None, None)
}

#[derive(serde::Deserialize)]
pub struct NewAccount {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/accounts`: adds an account; a bad name, role or password is
/// said on the page and nothing is added.
pub async fn add_account(
    Shared(state): Shared<Arc<State>>,
    user: LoggedIn,
    Form(form): Form<NewAccount>,
) -> Result<Response, Refusal> {
    user.require(&[Role::Admin])?;
    user.check_csrf(&form.csrf)?;
    let role = form.role.parse::<Role>();
    let added = match role {
        Err(e) => Err(e),
        Ok(role) => {
            let shared = state.clone();
            // argon2 takes tens of milliseconds of one core: off the async workers.
            tokio::task::spawn_blocking(move || add(&shared.store(), &form.name, role, &form.password))
                .await
                .map_err(|_| Refusal::Internal(user.ui))?
        }
    };
    match added {
        Ok(_) => {
            let notice = pages().word(user.ui.lang, "added");
            Ok(accounts_page(&state, &user, Some(notice), None)?.into_response())
        }
        Err(e) => {
            Ok((StatusCode::BAD_REQUEST, accounts_page(&state, &user, None, Some(e.to_string()))?).into_response())
        }
    }
}
