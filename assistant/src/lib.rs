//! Awal: an offline voice assistant for village kiosks.
//!
//! The voice path runs through one module per stage:
//! [`audio`] (decode, resample, devices) → [`hearing`] ([`asr`] Whisper, or
//! [`keywords`]) → [`conversation`] ([`dialogue`] and the [`skills`]) →
//! [`speech`] (voices). [`kiosk`] runs the conversation on the microphone and
//! speaker. What Awal may say lives in [`corpus`] (governed, cited
//! content and forms, searchable across scripts). Around it: [`models`] (manifest, fetch, verify, convert),
//! [`config`] (the `awal.toml` file and data locations) and [`doctor`] (what this
//! machine can do), [`studio`] (the web pages where people record the
//! kiosk's phrases). The `awal` binary is a thin command line over this library.

pub mod asr;
pub mod audio;
pub mod config;
pub mod conversation;
pub mod corpus;
pub mod dialogue;
pub mod doctor;
pub mod documents;
pub mod hearing;
pub mod keywords;
pub mod kiosk;
pub mod literacy;
pub mod lm;
pub mod models;
pub mod readiness;
pub mod skills;
pub mod speech;
pub mod store;
pub mod studio;
pub mod words;
pub mod wyoming;
