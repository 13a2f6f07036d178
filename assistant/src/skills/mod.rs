//! What the kiosk can do for a person: each skill answers from the content, the
//! language model only rewrites or extracts.
//!
//! [`grounded`] answers a question from retrieved passages and cites the one it
//! used, or refuses; [`simplify`] rewrites a cited text in simpler words,
//! keeping only the sentences the text carries. The model ([`crate::lm`]) is a
//! tool here: what may be said comes from [`crate::corpus`].

pub mod grounded;
pub mod simplify;
