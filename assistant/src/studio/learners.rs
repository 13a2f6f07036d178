//! The learners page (role teacher): each learner by card number — never a
//! name — with the items practised, the ones due for review, the mean last
//! score and the best run of right answers.

use std::sync::Arc;

use axum::extract::State as Shared;
use axum::response::Html;
use minijinja::context;

use super::accounts::Role;
use super::auth::{LoggedIn, Refusal};
use super::pages::pages;
use super::server::State;

/// `GET /learners`.
pub async fn learners(Shared(state): Shared<Arc<State>>, user: LoggedIn) -> Result<Html<String>, Refusal> {
    user.require(&[Role::Teacher])?;
    let today = jiff::Zoned::now().date();
    let rows = state.store().learner_summaries(today).map_err(|e| {
        tracing::error!("studio: reading the learners: {e}");
        Refusal::Internal(user.ui)
    })?;
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            context! {
                card => r.card.clone(),
                items => r.items,
                due => r.due,
                percent => (r.mean_score * 100.0).round() as i64,
                streak => r.best_streak,
            }
        })
        .collect();
    user.page("learners.html", context! { title => pages().word(user.ui.lang, "learners"), rows => rows })
}
