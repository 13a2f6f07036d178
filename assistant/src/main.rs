//! The `awal` command line: parses arguments, calls the library, prints human
//! text or `--json`. Errors are reported here, at the edge, with `anyhow`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("awal: {error:#}");
            ExitCode::FAILURE
        }
    }
}
