//! `awal serve --wyoming`, driven by the reference client (the `wyoming`
//! package from PyPI, `tests/fixtures/wyoming/client.py`) and by hostile raw
//! sockets.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running server on a free loopback port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        Self::launch("tcp://127.0.0.1:0", &["--max-clients", "4"])
    }

    /// A server on `address` (port 0: any free one), with more arguments.
    fn launch(address: &str, more: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = common::awal_in(data.path())
            .args(["serve", "--wyoming", address, "--lang", "en,fr"])
            .args(more)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok());
        let port = port.unwrap_or_else(|| panic!("the server did not say where it listens: {line:?}"));
        Server { child, port, _data: data }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        stream
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python with the reference client (`scripts/test` makes it).
fn python() -> PathBuf {
    let venv = std::env::var_os("AWAL_PYTHON_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs::home_dir().unwrap().join(".cache/awal/python"));
    let python = venv.join("bin/python3");
    let found = Command::new(&python).args(["-c", "import wyoming, zeroconf"]).status().is_ok_and(|s| s.success());
    assert!(
        found,
        "the Wyoming reference client or python-zeroconf is not installed in {}; install them: python3 -m venv {0} \
         && {0}/bin/pip install wyoming==1.10.2 zeroconf==0.154.0 (scripts/test does)",
        venv.display()
    );
    python
}

#[test]
fn the_reference_client_transcribes_synthesizes_and_converses() {
    common::real_model("whisper-base");
    let python = python();
    let server = Server::start();
    let clip = common::espeak_clip("What is the minimum wage?", "en-us");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wyoming/client.py");
    let output = Command::new(python)
        .arg(script)
        .args(["127.0.0.1", &server.port.to_string(), clip.to_str().unwrap(), "What is the minimum wage in Morocco?"])
        .output()
        .unwrap();
    assert!(output.status.success(), "the client failed: {}", String::from_utf8_lossy(&output.stderr));
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    let strings = |key: &str| -> Vec<String> {
        results[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    assert!(strings("asr_languages").contains(&"en".to_string()), "{results}");
    assert!(strings("voices").contains(&"fr".to_string()), "{results}");
    assert_eq!(strings("handle_languages"), ["en", "fr"]);
    let transcript = common::normalise(results["transcript"].as_str().unwrap());
    assert!(transcript.contains("minimum wage"), "{results}");
    assert_eq!(results["tts_rate"], 16_000);
    // About two seconds of speech for seven words.
    let seconds = results["tts_samples"].as_f64().unwrap() / 16_000.0;
    assert!((1.0..6.0).contains(&seconds), "{seconds} s: {results}");
    assert!(results["streamed_samples"].as_u64().unwrap() > 8_000 && results["streamed_stopped"] == true);
    let handled = results["handled"].as_str().unwrap();
    assert!(handled.contains("SMIG"), "the minimum wage entry answers: {handled}");
}

/// Eight clients transcribing at once for 15 s (`AWAL_WYOMING_LOAD_SECONDS`;
/// `scripts/eval wyoming` runs five minutes): every request gets its right
/// transcript and every client is served. The report (latencies, memory)
/// is printed for the evaluation to keep.
#[test]
fn eight_clients_transcribing_at_once_are_all_served() {
    common::real_model("whisper-base");
    let python = python();
    let server = Server::launch("tcp://127.0.0.1:0", &["--max-clients", "8"]);
    let sentences =
        ["What is the minimum wage?", "How long is maternity leave?", "The cooperative meets every Tuesday."];
    let clips = tempfile::tempdir().unwrap();
    let tsv = clips.path().join("clips.tsv");
    let lines: String =
        sentences.iter().map(|text| format!("{}\t{text}\n", common::espeak_clip(text, "en-us").display())).collect();
    std::fs::write(&tsv, lines).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wyoming/load.py");
    let seconds = std::env::var("AWAL_WYOMING_LOAD_SECONDS").unwrap_or_else(|_| "15".into());
    let output = Command::new(python)
        .arg(script)
        .args(["127.0.0.1", &server.port.to_string(), &server.child.id().to_string(), "8", &seconds])
        .arg(&tsv)
        .output()
        .unwrap();
    assert!(output.status.success(), "the load client failed: {}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    println!("wyoming load: {report}");
    assert_eq!(report["error_count"], 0, "{report}");
    assert_eq!(report["wrong_count"], 0, "{report}");
    assert!(report["fewest_per_client"].as_u64().unwrap() >= 1, "a client was never served: {report}");
}

/// Writes raw bytes and reads back the events: until the server closes
/// (`half_close`), or the first two.
fn exchange(server: &Server, bytes: &[u8], half_close: bool) -> Vec<Value> {
    let mut stream = server.connect();
    // A client turned away ("busy") may find the socket already closed by
    // the server: what it was told is still there to read.
    let _ = stream.write_all(bytes);
    if half_close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut reader = BufReader::new(stream);
    let mut events = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return events,
            Ok(_) => {}
        }
        let header: Value = serde_json::from_str(&line).unwrap();
        let data_length = header["data_length"].as_u64().unwrap_or(0) as usize;
        let mut data = vec![0; data_length];
        reader.read_exact(&mut data).unwrap();
        let mut payload = vec![0; header["payload_length"].as_u64().unwrap_or(0) as usize];
        reader.read_exact(&mut payload).unwrap();
        let mut event = header.clone();
        if data_length > 0 {
            event["data"] = serde_json::from_slice(&data).unwrap();
        }
        events.push(event);
        if !half_close && events.len() >= 2 {
            return events;
        }
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[test]
fn hostile_frames_get_an_error_and_the_server_keeps_serving() {
    let server = Server::start();
    // A stalled client (half a header, never finished) holds no one up.
    let mut stalled = server.connect();
    stalled.write_all(b"{\"type\":\"desc").unwrap();
    let cases: [(&[u8], &str); 6] = [
        (b"{\"type\":\"audio-chunk\",\"payload_length\":2147483648}\n", "more than 1048576"),
        (b"{\"type\":\"describe\",\"data_length\":-5}\n", "whole number"),
        (b"this is not json\n", "not a JSON object"),
        (b"{\"type\":\"transcribe\",\"payload_length\":100}\nshort", "closed in the middle"),
        (b"{\"type\":\"audio-start\",\"data\":{\"rate\":0,\"width\":2,\"channels\":1}}\n", "sample rate of 0 Hz"),
        (b"{\"type\":\"audio-stop\"}\n", "audio-stop without audio"),
    ];
    for (bytes, expected) in cases {
        let events = exchange(&server, bytes, true);
        let text = events.first().map(|e| e["data"]["text"].as_str().unwrap_or_default().to_string());
        assert!(
            kinds(&events).first() == Some(&"error") && text.as_deref().unwrap_or("").contains(expected),
            "{:?}: {events:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // An unknown event is refused and the connection carries on.
    let events = exchange(&server, b"{\"type\":\"launch-rocket\"}\n{\"type\":\"describe\"}\n", false);
    assert_eq!(kinds(&events), ["error", "info"], "{events:?}");
    // Audio that says it is longer than it is: half a frame.
    let chunk =
        b"{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":2},\"payload_length\":3}\nabc";
    let events = exchange(&server, chunk, true);
    assert!(events[0]["data"]["text"].as_str().unwrap().contains("not a whole number"), "{events:?}");
    // Still served while the stalled one waits.
    let events = exchange(&server, b"{\"type\":\"ping\"}\n{\"type\":\"describe\"}\n", false);
    assert_eq!(kinds(&events), ["pong", "info"]);
    drop(stalled);
}

#[test]
fn a_client_past_the_limit_is_told_and_the_others_are_served() {
    let server = Server::start();
    let held: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    // Give the server a moment to count them (accepting is asynchronous).
    std::thread::sleep(Duration::from_millis(300));
    let events = exchange(&server, b"{\"type\":\"describe\"}\n", true);
    assert_eq!(kinds(&events), ["error"], "{events:?}");
    assert!(events[0]["data"]["text"].as_str().unwrap().contains("busy"));
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let events = exchange(&server, b"{\"type\":\"describe\"}\n", true);
    assert_eq!(kinds(&events), ["info"]);
}

#[test]
fn only_loopback_unless_said() {
    let output = common::awal().args(["serve", "--wyoming", "tcp://0.0.0.0:10399"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no authentication") && stderr.contains("--allow-network"), "{stderr}");
}

/// `--zeroconf NAME` announces the server by multicast DNS: python-zeroconf
/// (what Home Assistant discovers with) finds it under that name with its
/// port; a server started without it is not announced.
#[test]
fn zeroconf_announces_the_server_when_asked() {
    let python = python();
    let name = format!("awal-test-{}", std::process::id());
    let announced = Server::launch("tcp://0.0.0.0:0", &["--allow-network", "--zeroconf", name.as_str()]);
    let silent = Server::launch("tcp://0.0.0.0:0", &["--allow-network"]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wyoming/browse.py");
    let output = Command::new(python).arg(script).args([name.as_str(), "10"]).output().unwrap();
    assert!(output.status.success(), "the browser failed: {}", String::from_utf8_lossy(&output.stderr));
    let found: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found[&name]["port"], announced.port, "announced as {name}: {found}");
    assert!(!found[&name]["addresses"].as_array().unwrap().is_empty(), "{found}");
    let ports: Vec<&Value> = found.as_object().unwrap().values().map(|service| &service["port"]).collect();
    assert!(!ports.contains(&&Value::from(silent.port)), "a server without --zeroconf was announced: {found}");
}

#[test]
fn zeroconf_refuses_to_announce_a_loopback_address() {
    let data = tempfile::tempdir().unwrap();
    let output =
        common::awal_in(data.path()).args(["serve", "--wyoming", "tcp://127.0.0.1:0", "--zeroconf"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("loopback") && stderr.contains("cannot reach"), "{stderr}");
}
