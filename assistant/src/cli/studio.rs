//! `awal studio [--listen ADDR]`: the web pages where teachers, reviewers and
//! admins record phrases; `awal studio user add NAME --role R`: an account,
//! its password read from standard input.

use std::io::{BufRead, IsTerminal, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use awal::store::Store;
use awal::studio::accounts::{add_account, Role};
use awal::studio::{check_listen, StudioOptions, DEFAULT_LISTEN};

use super::Session;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StudioArgs {
    #[command(subcommand)]
    command: Option<StudioCommand>,
    /// Where to listen. Loopback by default: another address needs
    /// --insecure-http until the studio serves HTTPS.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Serve plain HTTP on a non-loopback address (a kiosk's hotspot):
    /// passwords then cross the network in clear.
    #[arg(long)]
    insecure_http: bool,
}

#[derive(Debug, Subcommand)]
enum StudioCommand {
    /// The studio's accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Adds an account; its password is read from standard input (one line).
    Add {
        name: String,
        /// teacher, reviewer or admin.
        #[arg(long)]
        role: String,
    },
    /// Lists the accounts and their roles.
    List,
}

pub fn run(args: StudioArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let store = || Store::open(&session.data_dir.join("awal.sqlite"));
    match args.command {
        Some(StudioCommand::User(UserCommand::Add { name, role })) => {
            let role: Role = role.parse()?;
            let password = read_password()?;
            add_account(&store()?, &name, role, &password)?;
            println!("account `{name}` added ({})", role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Some(StudioCommand::User(UserCommand::List)) => {
            for account in store()?.accounts()? {
                println!("{:<10} {}", account.role, account.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            check_listen(args.listen, args.insecure_http)?;
            let listener = TcpListener::bind(args.listen).with_context(|| format!("listening on {}", args.listen))?;
            let options = StudioOptions { corpus_dir: session.corpus_dir.clone(), data_dir: session.data_dir.clone() };
            if store()?.accounts()?.is_empty() {
                eprintln!("awal: no account yet: add one with `awal studio user add NAME --role admin`");
            }
            // Tests and scripts wait for this line to connect.
            println!("awal: studio on http://{}", listener.local_addr()?);
            awal::studio::run(listener, options)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line of standard input, without its line end. On a terminal it is
/// asked for (and, with no way here to hide it, shown as typed).
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (shown as typed; or pipe it in): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!(
            "no password on standard input: e.g. `printf '%s\\n' \"$PASSWORD\" | awal studio user add NAME --role R`"
        );
    }
    Ok(password.to_string())
}
