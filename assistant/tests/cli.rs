//! The command line around the library: doctor, configuration errors, list.

mod common;

#[test]
fn doctor_reports_machine_models_and_tools_and_fails_on_missing_essentials() {
    common::real_model("whisper-base");
    let out = common::awal().args(["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let check = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name} check"));
    assert!(check("cpu")["detail"].as_str().unwrap().contains("cores"));
    assert_eq!(check("model asr")["status"], "ok", "{}", check("model asr"));
    assert!(check("audio input")["status"] == "ok" || check("audio input")["remedy"].is_string());
    let any_fail = checks.iter().any(|c| c["status"] == "fail");
    assert_eq!(out.status.success(), !any_fail, "exit status must say whether an essential check failed");
}

#[test]
fn doctor_names_a_missing_model_and_how_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::awal().args(["doctor", "--json", "--models-dir"]).arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let asr = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "model asr").unwrap().clone();
    assert_eq!(asr["status"], "fail");
    assert_eq!(asr["remedy"], "run `awal models fetch whisper-base`");
}

#[test]
fn a_bad_config_file_is_an_error_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("awal.toml");
    std::fs::write(&config, "languages = [\"fr\"]\n[audio]\ninput = \"default\"\nvolume = 11\n").unwrap();
    let out = common::awal().arg("--config").arg(&config).args(["models", "list"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("awal.toml") && stderr.contains("volume") && stderr.contains("line 4"), "{stderr}");
}

#[test]
fn data_dir_follows_flag_then_environment_then_config() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir_of = |command: &mut std::process::Command| -> String {
        let out = command.args(["doctor", "--json"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "data dir").unwrap().clone();
        assert_eq!(check["status"], "ok", "{check}");
        check["detail"].as_str().unwrap().to_string()
    };
    let (from_env, from_flag, from_file) = (dir.path().join("env"), dir.path().join("flag"), dir.path().join("file"));
    let config = dir.path().join("awal.toml");
    std::fs::write(&config, format!("data_dir = {:?}\n", from_file)).unwrap();
    let base = || {
        let mut command = common::awal();
        command.arg("--config").arg(&config);
        command
    };
    assert_eq!(data_dir_of(&mut base()), from_file.display().to_string());
    assert_eq!(data_dir_of(base().env("AWAL_DATA_DIR", &from_env)), from_env.display().to_string());
    assert_eq!(
        data_dir_of(base().env("AWAL_DATA_DIR", &from_env).arg("--data-dir").arg(&from_flag)),
        from_flag.display().to_string()
    );
    assert!(from_flag.is_dir(), "doctor creates the data directory");
}

#[test]
fn models_list_shows_manifest_and_imported_models() {
    let out = common::awal().args(["models", "list", "--json"]).output().unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"whisper-base")
            && ids.contains(&"gemma3-270m-q4km")
            && ids.contains(&"qwen2.5-0.5b-instruct-q4km")
    );
}
