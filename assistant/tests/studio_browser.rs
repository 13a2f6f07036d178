//! The studio in a real browser: Debian's `chromium`, headless, driven by
//! `chromium-driver` through WebDriver (its JSON protocol spoken with ureq),
//! its fake microphone fed from an espeak-ng WAV file. A teacher logs in,
//! records the Wolof welcome with the page's recorder (getUserMedia +
//! MediaRecorder), saves it, and `awal simulate` then plays that recording
//! for the welcome. Screenshots of the pages, at a phone's width, are written
//! to `target/tmp/studio-screens/` (copied to `docs/images/` by hand).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awal::store::Store;
use awal::studio::accounts::{add_account, Role};
use awal::studio::StudioOptions;
use serde_json::{json, Value};

/// The W3C WebDriver element key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session on it; both end on drop.
struct Browser {
    driver: Child,
    url: String,
    agent: ureq::Agent,
}

impl Browser {
    fn start(fake_microphone: &Path, width: u32, height: u32) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("chromedriver is needed ({e}): apt-get install chromium chromium-driver, or run scripts/test")
            });
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless=new".to_string(),
            // Tests run as root in CI, where Chromium's sandbox cannot start.
            "--no-sandbox".into(),
            "--disable-dev-shm-usage".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-audio-capture={}", fake_microphone.display()),
            format!("--window-size={width},{height}"),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        }}});
        let mut browser = Browser { driver, url: base, agent };
        let session = browser.call("POST", "/session", Some(capabilities));
        let id = session["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {session}")).to_string();
        browser.url = format!("{}/session/{id}", browser.url);
        browser
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let text = response.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
        let answer: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
        let value = answer["value"].clone();
        assert!(value.get("error").is_none(), "{method} {path}: {value}");
        value
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let found = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        found[ELEMENT].as_str().unwrap().to_string()
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/click"), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/value"), Some(json!({"text": text})));
    }

    fn script(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// Waits (at most a minute: a busy machine) until `script` returns true.
    fn wait_for(&self, what: &str, script: &str) {
        let started = Instant::now();
        while self.script(script) != json!(true) {
            if started.elapsed() > Duration::from_secs(60) {
                let page = self.script("return location.href + '\\n' + document.body.innerText;");
                panic!("waited a minute for {what}; the page:\n{}", page.as_str().unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.url.contains("/session/") {
            let _ = self.agent.delete(&self.url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn a_teacher_records_a_phrase_in_chromium_and_the_kiosk_plays_it() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    let data = dir.path().join("data");
    let store = Store::open(&data.join("awal.sqlite")).unwrap();
    add_account(&store, "omar", Role::Teacher, "tifawt-2026-studio").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let studio = format!("http://{}", listener.local_addr().unwrap());
    let options = StudioOptions { corpus_dir: corpus.clone(), data_dir: data.clone() };
    std::thread::spawn(move || awal::studio::run(listener, options).unwrap());

    // A stand-in for a Wolof speaker (espeak-ng has no Wolof voice), looped by the fake microphone.
    let speech = common::espeak_clip("Dalal ak jamm. Laajal sa laaj.", "fr+f2");
    let screens = Path::new(env!("CARGO_TARGET_TMPDIR")).join("studio-screens");
    std::fs::create_dir_all(&screens).unwrap();
    let browser = Browser::start(&speech, 412, 915);

    browser.go(&format!("{studio}/login?ui=fr"));
    browser.screenshot(&screens.join("login-phone.png"));
    browser.type_into("#name", "omar");
    browser.type_into("#password", "tifawt-2026-studio");
    browser.click("button[type=submit].primary");
    browser.wait_for("the home page", "return location.pathname === '/' && !!document.querySelector('.tiles');");
    browser.screenshot(&screens.join("home-phone.png"));

    browser.go(&format!("{studio}/record/wol"));
    let row = "li[data-save='/record/wol/welcome']";
    browser.click(&format!("{row} button.record"));
    browser.wait_for("the recorder to start", "return !!document.querySelector('li.recording');");
    // Long enough for the whole clip (2.5 s) to go through the fake microphone.
    std::thread::sleep(Duration::from_secs(4));
    browser.click(&format!("{row} button.record"));
    browser
        .wait_for("the take to be ready", &format!("return !document.querySelector(\"{row} button.save\").disabled;"));
    browser.click(&format!("{row} button.save"));
    browser.wait_for(
        "the server's verdict",
        &format!(
            "const v = document.querySelector(\"{row} .verdict\").textContent; return v !== '' && v !== 'Envoi…';"
        ),
    );
    browser.screenshot(&screens.join("record-phone.png"));
    let verdict = browser.script(&format!("return document.querySelector(\"{row} .verdict\").textContent;"));
    assert!(verdict.as_str().unwrap().starts_with("Gardée"), "the page says: {verdict}");
    let kept = corpus.join("phrases/wol/welcome.wav");
    assert!(kept.is_file(), "{verdict}");
    // The same pages on a desktop, and in Arabic (right to left).
    browser.call("POST", "/window/rect", Some(json!({"width": 1280, "height": 900})));
    browser.go(&format!("{studio}/record/wol?ui=ar"));
    let direction = browser.script("return document.documentElement.dir;");
    assert_eq!(direction, "rtl");
    browser.screenshot(&screens.join("record-ar-desktop.png"));
    browser.go(&format!("{studio}/record?ui=en"));
    browser.screenshot(&screens.join("languages-desktop.png"));
    drop(browser);

    let out = tempfile::tempdir().unwrap();
    let mut command = common::awal();
    command.args(["simulate", "--json", "--lang", "wol", "--country", "MA", "--lm", "none", "--out"]).arg(out.path());
    command.arg("--corpus-dir").arg(&corpus).arg("--data-dir").arg(&data).args(["--text", "bayil"]);
    let turns = common::simulated_turns(&mut command);
    let played: Vec<PathBuf> =
        turns[0]["reply_audio"].as_array().unwrap().iter().map(|p| PathBuf::from(p.as_str().unwrap())).collect();
    assert_eq!(played, [kept], "the welcome is the browser's recording: {}", turns[0]);
}
