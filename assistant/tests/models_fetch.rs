//! `awal models fetch` end to end against a loopback server: hashes checked
//! before install, interrupted downloads resumed, repeated fetches free.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest(dir: &Path, url: &str, size: usize, sha: &str) -> std::path::PathBuf {
    let path = dir.join("manifest.toml");
    let text = format!(
        r#"
[packs]
default = ["blob"]

[[models]]
id = "blob"
role = "lm"
format = "gguf"
install = "gguf"
description = "test payload"
licence = "none"
languages = []

[[models.files]]
name = "blob.gguf"
size = {size}
sha256 = "{sha}"
hub = "{url}"
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `awal` with its own manifest, models directory and cache.
fn awal(dir: &Path, manifest: &Path) -> Command {
    let mut command = common::awal();
    command.arg("--manifest").arg(manifest).arg("--models-dir").arg(dir.join("models"));
    command.env("AWAL_CACHE_DIR", dir.join("cache"));
    command
}

fn leftovers(models: &Path) -> Vec<String> {
    std::fs::read_dir(models)
        .map_or(Vec::new(), |d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
}

#[test]
fn wrong_sha256_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(300_000);
    let server = common::http::serve(bytes, None);
    let manifest = manifest(dir.path(), &server.url, 300_000, &"0".repeat(64));
    let out = awal(dir.path(), &manifest).args(["models", "fetch", "blob", "--source", "hub"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sha256 mismatch"), "{stderr}");
    assert!(leftovers(&dir.path().join("models")).is_empty(), "{:?}", leftovers(&dir.path().join("models")));
    // The bad download is not kept for resuming either.
    assert!(leftovers(&dir.path().join("cache/downloads")).is_empty());
}

#[test]
fn killed_download_resumes_and_second_fetch_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let len = 6 << 20;
    let bytes = payload(len);
    let sha = sha256(&bytes);
    // 64 KiB every 20 ms: about 2 s for the whole file, time to kill it midway.
    let slow = common::http::serve(bytes.clone(), Some(Duration::from_millis(20)));
    let manifest_path = manifest(dir.path(), &slow.url, len, &sha);
    let mut child = awal(dir.path(), &manifest_path)
        .args(["models", "fetch", "blob", "--source", "hub"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = dir.path().join(format!("cache/downloads/{sha}.part"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 1 << 20 {
        assert!(Instant::now() < deadline, "download never started");
        assert!(child.try_wait().unwrap().is_none(), "fetch ended before it could be killed");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no clean-up code runs
    child.wait().unwrap();
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(kept > 0 && (kept as usize) < len);
    let models = dir.path().join("models");
    assert!(!models.join("blob").exists(), "a killed fetch must not leave an installed model");

    let fast = common::http::serve(bytes, None);
    let manifest_path = manifest(dir.path(), &fast.url, len, &sha);
    let out = awal(dir.path(), &manifest_path)
        .args(["models", "fetch", "--pack", "default", "--source", "hub", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ranges = fast.ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 1);
    assert!(
        ranges[0].starts_with(&format!("{kept}-")) || ranges[0].starts_with(&format!("{}-", kept - kept % 65536)),
        "resumed at {ranges:?}, had {kept}"
    );
    assert_eq!(std::fs::read(models.join("blob/blob.gguf")).unwrap().len(), len);
    assert_eq!(leftovers(&models), vec!["blob".to_string()]);

    let verify = awal(dir.path(), &manifest_path).args(["models", "verify", "blob"]).output().unwrap();
    assert!(verify.status.success());

    let started = Instant::now();
    let again = awal(dir.path(), &manifest_path).args(["models", "fetch", "blob", "--source", "hub"]).output().unwrap();
    let elapsed = started.elapsed();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already installed"));
    eprintln!("second fetch took {elapsed:?}"); // reported, not asserted: no timing assertions in tests
    assert_eq!(fast.ranges.lock().unwrap().len(), 1, "a second fetch must not download");
}

#[test]
fn verify_names_the_file_with_a_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(100_000);
    let server = common::http::serve(bytes.clone(), None);
    let manifest = manifest(dir.path(), &server.url, bytes.len(), &sha256(&bytes));
    assert!(awal(dir.path(), &manifest)
        .args(["models", "fetch", "blob", "--source", "hub"])
        .status()
        .unwrap()
        .success());
    let ok = awal(dir.path(), &manifest).args(["models", "verify"]).output().unwrap();
    assert!(ok.status.success());

    let file = dir.path().join("models/blob/blob.gguf");
    let mut content = std::fs::read(&file).unwrap();
    content[50_000] ^= 0x10;
    std::fs::write(&file, content).unwrap();
    let out = awal(dir.path(), &manifest).args(["models", "verify", "blob"]).output().unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("blob.gguf") && stdout.contains("sha256 mismatch"), "{stdout}");
}

#[test]
fn unknown_model_and_pack_are_clear_errors() {
    let out = common::awal().args(["models", "fetch", "no-such-model"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no model `no-such-model`"));
    let out = common::awal().args(["models", "fetch", "--pack", "nope"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pack `nope`"));
}

/// Writes a wheel (a zip) holding `member` with `bytes`, as pip would cache it.
fn write_wheel(dir: &Path, package: &str, member: &str, bytes: &[u8]) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{}-1.0.0-py3-none-any.whl", package.replace('-', "_")));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file(member, zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, bytes).unwrap();
    zip.finish().unwrap();
    path
}

fn wheel_manifest(dir: &Path, size: usize, sha: &str) -> std::path::PathBuf {
    let path = dir.join("wheels.toml");
    let text = format!(
        r#"
[[models]]
id = "split"
role = "lm"
format = "gguf"
install = "gguf"
description = "a file shipped in two wheels"
licence = "none"
languages = []

[[models.files]]
name = "split.gguf"
size = {size}
sha256 = "{sha}"
pypi = [
  {{ package = "awal-test-part1", version = "1.0.0", member = "part1/data/split.part1" }},
  {{ package = "awal-test-part2", version = "1.0.0", member = "part2/data/split.part2" }},
]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn wheels_are_reassembled_in_order_and_a_corrupt_wheel_is_dropped_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(200_000);
    let wheels = dir.path().join("cache/wheels");
    write_wheel(&wheels, "awal-test-part1", "part1/data/split.part1", &bytes[..120_000]);
    let second = write_wheel(&wheels, "awal-test-part2", "part2/data/split.part2", &bytes[120_000..]);
    let manifest = wheel_manifest(dir.path(), bytes.len(), &sha256(&bytes));
    // The wheels are cached, so pip is not asked for anything.
    let out = awal(dir.path(), &manifest).args(["models", "fetch", "split", "--source", "pypi"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.path().join("models/split/split.gguf")).unwrap(), bytes);

    // Same parts, wrong content in the second wheel: the hash catches it, the
    // install is untouched, and the bad wheel leaves the cache.
    std::fs::remove_dir_all(dir.path().join("models")).unwrap();
    write_wheel(&wheels, "awal-test-part2", "part2/data/split.part2", &payload(80_001)[1..]);
    let out = awal(dir.path(), &manifest).args(["models", "fetch", "split", "--source", "pypi"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sha256 mismatch"), "{stderr}");
    assert!(!second.exists(), "the wheel that gave bad bytes must be dropped");
    assert!(leftovers(&dir.path().join("models")).is_empty());
}

#[test]
fn a_noncommercial_model_without_a_published_hash_needs_both_acceptances_and_records_the_hash_seen() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(100_000);
    let server = common::http::serve(bytes.clone(), None);
    let manifest = dir.path().join("nc.toml");
    let text = format!(
        r#"
[[models]]
id = "nc"
role = "ctc"
format = "safetensors"
install = "as-is"
description = "a CC-BY-NC checkpoint whose hash is not published"
licence = "CC-BY-NC-4.0"
noncommercial = true
languages = ["wol"]

[[models.files]]
name = "model.safetensors"
hub = "{}"
"#,
        server.url
    );
    std::fs::write(&manifest, text).unwrap();
    let fetch = |flags: &[&str]| {
        awal(dir.path(), &manifest).args(["models", "fetch", "nc", "--source", "hub"]).args(flags).output().unwrap()
    };
    let out = fetch(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("CC-BY-NC-4.0") && stderr.contains("--accept-licence"),
        "{stderr}"
    );
    let out = fetch(&["--accept-licence"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("model.safetensors") && stderr.contains("--accept-unchecked"));
    assert!(leftovers(&dir.path().join("models")).is_empty(), "nothing fetched before both are accepted");

    let out = fetch(&["--accept-licence", "--accept-unchecked"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("models/nc/awal-model.json")).unwrap()).unwrap();
    assert_eq!(record["files"][0]["sha256"], sha256(&bytes), "{record}");
    assert_eq!(record["languages"], serde_json::json!(["wol"]));
    let list = awal(dir.path(), &manifest).args(["models", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("licence CC-BY-NC-4.0, non-commercial use only; languages wol"), "{list}");
}
