//! `awal serve --wyoming tcp://127.0.0.1:10300`: Awal's hearing, voices and
//! conversation for Wyoming clients (Home Assistant, Rhasspy satellites).

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use awal::conversation::Resources;
use awal::corpus::LangTag;
use awal::hearing::Hearing;
use awal::speech::EspeakNg;
use awal::wyoming::{serve, zeroconf, ServeOptions};

use super::conversation::hearing_maker;
use super::Session;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen, `tcp://HOST:PORT`.
    #[arg(long, default_value = "tcp://127.0.0.1:10300")]
    wyoming: String,
    /// Listen on an address other than loopback. The Wyoming protocol has no
    /// authentication: anyone who reaches the port can use it.
    #[arg(long)]
    allow_network: bool,
    /// The conversation's languages, comma-separated (the first is used when a
    /// request names none).
    #[arg(long, default_value = "en,fr,ar,ary")]
    lang: String,
    /// Whose rights and forms (ISO country code).
    #[arg(long, default_value = "MA")]
    country: String,
    /// Clients served at once.
    #[arg(long, default_value_t = 16)]
    max_clients: usize,
    /// Announce the server on the local network (multicast DNS,
    /// `_wyoming._tcp`) under this name, so Home Assistant finds it. Needs a
    /// network address (and --allow-network).
    #[arg(long, num_args = 0..=1, default_missing_value = "awal")]
    zeroconf: Option<String>,
    /// Enrolled spoken keywords, for languages Whisper does not know (default: DATA_DIR/keywords).
    #[arg(long)]
    keywords_dir: Option<PathBuf>,
}

pub fn run(args: ServeArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let address = address(&args.wyoming)?;
    if !address.ip().is_loopback() && !args.allow_network {
        bail!(
            "--wyoming {}: not a loopback address; the Wyoming protocol has no authentication, \
             so say --allow-network to serve anyone who can reach it",
            args.wyoming
        );
    }
    let languages = args
        .lang
        .split(',')
        .map(|tag| tag.trim().parse::<LangTag>().map_err(|e| anyhow::anyhow!("--lang {}: {e}", args.lang)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let listener = TcpListener::bind(address).with_context(|| format!("listening on {address}"))?;
    // Announced once listening (a client that finds it early waits in the
    // listen queue), and before the content loads so a refusal comes at once.
    let _announcement = match &args.zeroconf {
        Some(name) => Some(zeroconf::announce(name, listener.local_addr()?)?),
        None => None,
    };
    // The content loads once (and the store opens), and the country exists,
    // before any client comes; each client then opens its own store connection.
    let Resources { corpus, .. } = Resources::load(&session.corpus_dir, &session.data_dir)?;
    corpus.check_country(&args.country)?;
    let options = ServeOptions {
        languages,
        country: args.country,
        corpus,
        data_dir: session.data_dir.clone(),
        max_clients: args.max_clients,
        idle: Duration::from_secs(300),
    };
    let make = hearing_maker(session, args.keywords_dir, false);
    // Tests and scripts wait for this line to connect.
    println!("awal: serving Wyoming on tcp://{}", listener.local_addr()?);
    serve(listener, options, move || Box::new(make()) as Box<dyn Hearing>, Arc::new(EspeakNg))?;
    Ok(ExitCode::SUCCESS)
}

/// `tcp://host:port` as a socket address.
fn address(uri: &str) -> anyhow::Result<SocketAddr> {
    let Some(rest) = uri.strip_prefix("tcp://") else { bail!("--wyoming {uri}: write it tcp://HOST:PORT") };
    rest.to_socket_addrs()
        .with_context(|| format!("--wyoming {uri}"))?
        .next()
        .with_context(|| format!("--wyoming {uri}: no address"))
}
