//! The studio's web server, in process, over real sockets on loopback: every
//! route refused without a login (found by crawling the pages as an admin),
//! wrong passwords rate-limited, forms without their CSRF token refused,
//! roles kept apart, uploads decoded and checked before anything is written,
//! and a phrase recorded through the studio then played by `awal simulate`.
//! Each test runs its own server on its own data and corpus copy.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;

use awal::store::Store;
use awal::studio::accounts::{add_account, Role};
use awal::studio::StudioOptions;
use serde_json::Value;
use ureq::http::Response;

const PASSWORD: &str = "tifawt-2026-studio";

struct Studio {
    url: String,
    agent: ureq::Agent,
    corpus: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

/// What came back: status, headers of interest and the body.
struct Reply {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    content_type: String,
    body: String,
}

fn reply(mut response: Response<ureq::Body>) -> Reply {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let location = header("location");
    let content_type = header("content-type").unwrap_or_default();
    let cookies =
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(String::from).collect();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Reply { status: response.status().as_u16(), location, cookies, content_type, body }
}

/// The value a `Set-Cookie` gives cookie `name`.
fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply.cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(String::from))
}

/// The value of hidden field `csrf` in a page.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field in:\n{page}"));
    page[at + 19..].split('"').next().unwrap().to_string()
}

impl Studio {
    /// A studio on a copy of the corpus, with an admin, a teacher and a
    /// reviewer (all with [`PASSWORD`]).
    fn start() -> Studio {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpora");
        common::copy_dir(&common::corpus(), &corpus);
        let data = dir.path().join("data");
        let store = Store::open(&data.join("awal.sqlite")).unwrap();
        for (name, role) in [("amina", Role::Admin), ("omar", Role::Teacher), ("fatou", Role::Reviewer)] {
            add_account(&store, name, role, PASSWORD).unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let options = StudioOptions { corpus_dir: corpus.clone(), data_dir: data.clone() };
        std::thread::spawn(move || awal::studio::run(listener, options).unwrap());
        // A connection per request: the server closes one whose request body
        // it refused unread, which a pooled connection would find closed.
        let config =
            ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).max_idle_connections(0).build();
        Studio { url, agent: config.into(), corpus, data, _dir: dir }
    }

    fn get(&self, path: &str, cookie: &str) -> Reply {
        reply(self.agent.get(format!("{}{path}", self.url)).header("cookie", cookie).call().unwrap())
    }

    fn post_form(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.agent.post(format!("{}{path}", self.url)).header("cookie", cookie);
        reply(request.send_form(form.iter().copied()).unwrap())
    }

    fn post_bytes(&self, path: &str, cookie: &str, csrf: Option<&str>, bytes: &[u8]) -> Reply {
        let mut request =
            self.agent.post(format!("{}{path}", self.url)).header("cookie", cookie).header("content-type", "audio/wav");
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        reply(request.send(bytes).unwrap())
    }

    /// A login attempt with the login form's own token.
    fn try_login(&self, name: &str, password: &str) -> Reply {
        let form = self.get("/login", "");
        assert_eq!(form.status, 200);
        let token = set_cookie(&form, "awal_login").expect("the login form sets its token cookie");
        assert_eq!(csrf_field(&form.body), token);
        self.post_form(
            "/login",
            &format!("awal_login={token}"),
            &[("name", name), ("password", password), ("csrf", &token)],
        )
    }

    /// Logs in: the session cookie (`awal_session=…`) and the CSRF token of its pages.
    fn login(&self, name: &str) -> (String, String) {
        let reply = self.try_login(name, PASSWORD);
        assert_eq!((reply.status, reply.location.as_deref()), (303, Some("/")), "{}", reply.body);
        let session = reply.cookies.iter().find(|c| c.starts_with("awal_session=")).expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(session.contains(attribute), "{session}");
        }
        let cookie = format!("awal_session={}", set_cookie(&reply, "awal_session").unwrap());
        let home = self.get("/", &cookie);
        assert_eq!(home.status, 200, "{}", home.body);
        (cookie.clone(), csrf_field(&home.body))
    }
}

/// Every link, script and audio source (GET) and every form action and
/// recorder's save address (POST) of the pages reachable from `/`, crawled with `cookie`.
fn crawl(studio: &Studio, cookie: &str) -> BTreeSet<(&'static str, String)> {
    let link = regex::Regex::new(r#"(?:href|src)="(/[^"?]*)""#).unwrap();
    let post = regex::Regex::new(r#"(?:<form method="post" action|data-save)="(/[^"]*)""#).unwrap();
    let mut found = BTreeSet::from([("GET", "/".to_string())]);
    let mut queue = vec!["/".to_string()];
    while let Some(path) = queue.pop() {
        let page = studio.get(&path, cookie);
        assert_eq!(page.status, 200, "{path} as an admin: {}", page.body);
        if !page.content_type.starts_with("text/html") {
            continue;
        }
        for target in link.captures_iter(&page.body).map(|c| c[1].to_string()) {
            if found.insert(("GET", target.clone())) {
                queue.push(target);
            }
        }
        found.extend(post.captures_iter(&page.body).map(|c| ("POST", c[1].to_string())));
    }
    found
}

#[test]
fn every_route_is_refused_without_a_login() {
    let studio = Studio::start();
    let health = studio.get("/health", "");
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let (cookie, _) = studio.login("amina");
    let mut routes = crawl(&studio, &cookie);
    for expected in [
        ("GET", "/record"),
        ("GET", "/record/wol"),
        ("GET", "/static/record.js"),
        ("GET", "/admin/accounts"),
        ("POST", "/admin/accounts"),
        ("POST", "/logout"),
        ("POST", "/record/wol/welcome"),
    ] {
        assert!(
            routes.contains(&(expected.0, expected.1.to_string())),
            "the crawl did not find {expected:?}: {routes:?}"
        );
    }
    println!("{} routes crawled: {routes:?}", routes.len());
    // And what no page links to.
    for path in ["/nowhere", "/record/wol/welcome/audio", "/../../etc/passwd", "/record/..%2F..%2Fetc", "/static/"] {
        routes.insert(("GET", path.into()));
    }
    for forged in ["", "awal_session=", "awal_session=00112233", &format!("awal_session={}", "a".repeat(64))] {
        for (method, path) in &routes {
            let reply = if *method == "GET" {
                studio.get(path, forged)
            } else {
                studio.post_bytes(path, forged, Some("x"), b"RIFF")
            };
            match *method {
                "GET" => assert_eq!(
                    (reply.status, reply.location.as_deref()),
                    (303, Some("/login")),
                    "GET {path} with `{forged}`: {}",
                    reply.body
                ),
                _ => assert_eq!(reply.status, 401, "POST {path} with `{forged}`: {}", reply.body),
            }
            assert!(!reply.body.contains("<main>"), "{method} {path} showed a page: {}", reply.body);
        }
    }
    // Logging out ends the session on the server, not only in the browser.
    let (cookie, csrf) = studio.login("omar");
    assert_eq!(studio.post_form("/logout", &cookie, &[("csrf", &csrf)]).status, 303);
    assert_eq!(studio.get("/record", &cookie).status, 303, "the old cookie opens nothing");
}

#[test]
fn wrong_passwords_are_rate_limited() {
    let studio = Studio::start();
    for attempt in 1..=awal::studio::throttle::MAX_FAILURES {
        let reply = studio.try_login("omar", "not-the-password");
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.body);
        assert!(set_cookie(&reply, "awal_session").is_none());
    }
    // Now even the right password is not checked, for this account…
    let reply = studio.try_login("omar", PASSWORD);
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert!(set_cookie(&reply, "awal_session").is_none(), "no session while held");
    assert!(reply.body.contains("Attendez un quart"), "{}", reply.body);
    // …nor from this address for another one.
    assert_eq!(studio.try_login("amina", PASSWORD).status, 429);
    // An unknown name counts like a wrong password (a fresh studio, a fresh count).
    let studio = Studio::start();
    for _ in 0..awal::studio::throttle::MAX_FAILURES {
        assert_eq!(studio.try_login("nobody", PASSWORD).status, 401);
    }
    assert_eq!(studio.try_login("nobody", PASSWORD).status, 429);
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let studio = Studio::start();
    // The login form: its token must be both in the form and in its cookie.
    let form = studio.get("/login", "");
    let token = set_cookie(&form, "awal_login").unwrap();
    fn fields(csrf: &str) -> [(&str, &str); 3] {
        [("name", "amina"), ("password", PASSWORD), ("csrf", csrf)]
    }
    assert_eq!(studio.post_form("/login", &format!("awal_login={token}"), &fields("")).status, 403, "no token");
    let other = format!("awal_login={}", "0".repeat(64));
    assert_eq!(studio.post_form("/login", &other, &fields(&token)).status, 403, "token ≠ cookie");
    assert_eq!(studio.post_form("/login", "", &fields(&token)).status, 403, "no cookie");
    // Viewing the form again (another tab; a browser's fetch of /favicon.ico
    // sent to the login page) keeps the token, so the first form still works.
    let again = studio.get("/login", &format!("awal_login={token}"));
    assert_eq!(csrf_field(&again.body), token);

    let (cookie, csrf) = studio.login("amina");
    let add = |csrf: Option<&str>, name: &str| {
        let mut form = vec![("name", name), ("role", "teacher"), ("password", PASSWORD)];
        form.extend(csrf.map(|c| ("csrf", c)));
        studio.post_form("/admin/accounts", &cookie, &form)
    };
    assert_eq!(add(None, "idrissa").status, 403);
    assert_eq!(add(Some(""), "idrissa").status, 403);
    assert_eq!(add(Some(&"f".repeat(64)), "idrissa").status, 403);
    let store = Store::open(&studio.data.join("awal.sqlite")).unwrap();
    assert!(store.account("idrissa").unwrap().is_none(), "nothing added without the token");
    let added = add(Some(&csrf), "idrissa");
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(store.account("idrissa").unwrap().unwrap().role, "teacher");
    // A bad password is said, and nothing is added.
    let refused = studio.post_form(
        "/admin/accounts",
        &cookie,
        &[("name", "awa"), ("role", "teacher"), ("password", "short"), ("csrf", &csrf)],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("too short"), "{}", refused.body);
    assert!(store.account("awa").unwrap().is_none());
    // Logging out needs the token too: without it the session lives on.
    assert_eq!(studio.post_form("/logout", &cookie, &[]).status, 403);
    assert_eq!(studio.get("/", &cookie).status, 200);
    // An upload without the token writes nothing.
    let clip = std::fs::read(common::espeak_clip("Dalal ak jamm.", "fr+f2")).unwrap();
    assert_eq!(studio.post_bytes("/record/wol/welcome", &cookie, None, &clip).status, 403);
    assert_eq!(studio.post_bytes("/record/wol/welcome", &cookie, Some("nope"), &clip).status, 403);
    assert!(!studio.corpus.join("phrases/wol/welcome.wav").exists());
}

#[test]
fn a_teacher_cannot_reach_admin_pages() {
    let studio = Studio::start();
    let store = Store::open(&studio.data.join("awal.sqlite")).unwrap();
    let learner = store.learner("0042").unwrap();
    let due = jiff::Zoned::now().date();
    let progress = awal::store::Progress { repetitions: 2, interval_days: 1.0, ease: 2.5, due, last_score: 0.8 };
    store.save_progress(learner, "alif", &progress).unwrap();
    for name in ["omar", "fatou"] {
        let (cookie, csrf) = studio.login(name);
        let page = studio.get("/admin/accounts", &cookie);
        assert_eq!(page.status, 403, "{name}: {}", page.body);
        assert!(!page.body.contains("amina"), "{name} sees no account names");
        let form = [("name", "intruder"), ("role", "admin"), ("password", PASSWORD), ("csrf", csrf.as_str())];
        assert_eq!(studio.post_form("/admin/accounts", &cookie, &form).status, 403);
        assert!(!studio.get("/", &cookie).body.contains("/admin/accounts"), "no tile to a page one cannot open");
        assert_eq!(studio.get("/record", &cookie).status, 200, "{name} records");
    }
    // Learners are a teacher's (and an admin's), by card number.
    let (teacher, _) = studio.login("omar");
    let page = studio.get("/learners", &teacher);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("0042") && page.body.contains("80 %"), "{}", page.body);
    let (reviewer, _) = studio.login("fatou");
    assert_eq!(studio.get("/learners", &reviewer).status, 403);
    assert!(store.account("intruder").unwrap().is_none());
}

#[test]
fn uploads_are_decoded_and_checked_before_anything_is_written() {
    let studio = Studio::start();
    let (cookie, csrf) = studio.login("omar");
    let save = |path: &str, bytes: &[u8]| studio.post_bytes(path, &cookie, Some(&csrf), bytes);
    let speech = std::fs::read(common::espeak_clip("Dalal ak jamm. Laajal sa laaj.", "fr+f2")).unwrap();
    let outside = studio.corpus.parent().unwrap().join("etc");
    // Paths: only a known language and a known phrase name a file.
    for path in [
        "/record/..%2F..%2Fetc/welcome",
        "/record/wol/..%2F..%2F..%2Fetc%2Fpasswd",
        "/record/wol/%2E%2E",
        "/record/%2Fetc/welcome",
        "/record/xx/welcome",
        "/record/wol/welcome.wav",
        "/record/wol/source",
    ] {
        let reply = save(path, &speech);
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    for path in ["/record/wol/..%2F..%2F..%2Fdata%2Fawal.sqlite/audio", "/record/..%2F..%2Fdata/welcome/audio"] {
        assert_eq!(studio.get(path, &cookie).status, 404, "{path}");
    }
    assert!(!outside.exists());
    // A folder of the language linked out of the corpus is not written through.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(studio.corpus.join("phrases")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), studio.corpus.join("phrases/fuc")).unwrap();
    let reply = save("/record/fuc/welcome", &speech);
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    // Too big: refused before it is read.
    let big = vec![0u8; awal::studio::recording::UPLOAD_BYTES + 1];
    assert_eq!(save("/record/wol/welcome", &big).status, 413);
    // Not audio, or audio the kiosk could not use.
    let silence = wav(&vec![0.0; 32_000], 16_000);
    let mut tone: Vec<f32> = vec![0.0; 8_000];
    tone.extend((0..16_000).map(|i| 3.0 * (i as f32 * 0.05).sin()));
    tone.extend(vec![0.0; 8_000]);
    let clipped = wav(&tone, 16_000);
    for (what, bytes, status, says) in [
        ("text", b"<html>not audio</html>".to_vec(), 415, "not a recording"),
        ("a cut WAV header", b"RIFF\x24\0\0\0WAVEfmt cut short".to_vec(), 415, "not a recording"),
        ("silence", silence, 422, "no speech"),
        ("clipping", clipped, 422, "clipped"),
    ] {
        let reply = save("/record/wol/welcome", &bytes);
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        let verdict: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(verdict["saved"], false);
        assert!(verdict["message"].as_str().unwrap().contains(says), "{what}: {verdict}");
    }
    assert!(!studio.corpus.join("phrases/wol").exists(), "nothing written for a refused upload");
    let leftovers = std::fs::read_dir(studio.data.join("studio-uploads")).unwrap().count();
    assert_eq!(leftovers, 0, "uploads being checked are removed");
}

/// 16-bit mono WAV bytes.
fn wav(samples: &[f32], rate: u32) -> Vec<u8> {
    let file = tempfile::NamedTempFile::new().unwrap();
    common::write_wav(file.path(), samples, rate);
    std::fs::read(file.path()).unwrap()
}

/// Phrase recorded through the studio → the kiosk says it from that file.
#[test]
fn a_phrase_recorded_in_the_studio_is_what_the_kiosk_plays() {
    let studio = Studio::start();
    let (cookie, csrf) = studio.login("omar");
    let page = studio.get("/record/wol", &cookie);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-save=\"/record/wol/welcome\"") && page.body.contains("/static/record.js"));
    let missing_before = page.body.matches("⭕").count();
    // A stand-in for a Wolof speaker (espeak-ng has no Wolof voice), at 22.05 kHz.
    let clip = std::fs::read(common::espeak_clip("Dalal ak jamm. Laajal sa laaj.", "fr+f2")).unwrap();
    let reply = studio.post_bytes("/record/wol/welcome", &cookie, Some(&csrf), &clip);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let verdict: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(verdict["saved"], true, "{verdict}");
    let kept = studio.corpus.join("phrases/wol/welcome.wav");
    let spec = hound::WavReader::open(&kept).unwrap().spec();
    assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (16_000, 1, 16));
    let page = studio.get("/record/wol", &cookie);
    assert_eq!(page.body.matches("⭕").count(), missing_before - 1, "the list shows it recorded");
    let listen = studio.get("/record/wol/welcome/audio", &cookie);
    assert_eq!((listen.status, listen.content_type.as_str()), (200, "audio/wav"));

    // Again: the new one replaces it, the first is kept beside it, and the
    // kiosk sees one recording, not two.
    let again = studio.post_bytes("/record/wol/welcome", &cookie, Some(&csrf), &clip);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(studio.corpus.join("phrases/wol/welcome.wav.previous").is_file());

    let out = tempfile::tempdir().unwrap();
    let mut command = common::awal();
    command.args(["simulate", "--json", "--lang", "wol", "--country", "MA", "--lm", "none", "--out"]).arg(out.path());
    command.arg("--corpus-dir").arg(&studio.corpus).arg("--data-dir").arg(&studio.data);
    command.args(["--text", "bayil"]);
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("welcome.wav"), "the kiosk found nothing wrong with the recording: {stderr}");
    let turns: Vec<Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let played: Vec<PathBuf> =
        turns[0]["reply_audio"].as_array().unwrap().iter().map(|p| PathBuf::from(p.as_str().unwrap())).collect();
    assert_eq!(played, [kept], "the welcome is the studio's recording: {}", turns[0]);
}

#[test]
fn the_command_line_adds_accounts_and_keeps_to_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let add = |name: &str, role: &str, password: &str| {
        let mut child = common::awal()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["studio", "user", "add", name, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let output = add("amina", "admin", &format!("{PASSWORD}\n"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let store = Store::open(&dir.path().join("awal.sqlite")).unwrap();
    let account = store.account("amina").unwrap().unwrap();
    assert_eq!(account.role, "admin");
    assert!(
        awal::studio::accounts::verify_password(&account.password_hash, PASSWORD),
        "the line end is not part of it"
    );
    assert!(!account.password_hash.contains(PASSWORD));
    for (name, role, password, says) in [
        ("amina", "teacher", PASSWORD, "already exists"),
        ("omar", "king", PASSWORD, "not a role"),
        ("omar", "teacher", "short\n", "too short"),
        ("omar", "teacher", "", "no password"),
        ("../omar", "teacher", PASSWORD, "not a usable account name"),
    ] {
        let output = add(name, role, password);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(says), "{name} {role}: {stderr}");
    }
    assert!(store.account("omar").unwrap().is_none());

    let output =
        common::awal().arg("--data-dir").arg(dir.path()).args(["studio", "--listen", "0.0.0.0:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("--insecure-http"), "{stderr}");
}
