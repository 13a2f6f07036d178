use std::process::ExitCode;

use awal::doctor::{self, Status};

use super::{print_json, Session};

pub fn run(json: bool, session: &Session) -> anyhow::Result<ExitCode> {
    let report = doctor::run(&session.config, &session.data_dir, &session.store, &session.manifest);
    if json {
        print_json(&report)?;
    } else {
        for check in &report.checks {
            let mark = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("{mark}  {:<14} {}", check.name, check.detail);
            if let Some(remedy) = &check.remedy {
                println!("      {:<14} → {remedy}", "");
            }
        }
    }
    Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
