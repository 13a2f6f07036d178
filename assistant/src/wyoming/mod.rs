//! Awal over the Wyoming protocol, for Home Assistant's Assist and Rhasspy
//! satellites: speech to text (`transcribe`, `audio-*` → `transcript`),
//! text to speech (`synthesize` → `audio-*`, and its streamed form), and the
//! conversation (`transcript`/`recognize` → `handled`, the dialogue's reply
//! from reviewed content). `awal serve --wyoming tcp://127.0.0.1:10300`.
//!
//! [`frame`] reads and writes events under bounds, [`pcm`] turns their audio
//! into 16 kHz mono, [`server`] answers them, [`zeroconf`] announces the
//! server on the local network when asked.

pub mod frame;
pub mod pcm;
mod server;
pub mod zeroconf;

pub use server::{serve, ServeOptions};
