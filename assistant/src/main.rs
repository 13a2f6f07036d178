//! The `awal` command line: parses arguments, calls the library, prints human
//! text or `--json`. Errors are reported here, at the edge, with `anyhow`.

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // The raw matches travel along: `simulate` orders its turns by position.
    let matches = cli::Args::command().get_matches();
    let args = cli::Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli::run(args, &matches) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("awal: {}", cli::user_message(&error));
            ExitCode::FAILURE
        }
    }
}
