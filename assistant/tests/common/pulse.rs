//! A private PulseAudio sound server standing in for a kiosk's sound card
//! (these machines have none): its own runtime folder and `HOME`, whose
//! `.asoundrc` routes ALSA's default device to it, so cpal and rodio use it
//! as they would a USB card.
//!
//! The room: a FIFO is the person's mouth (`module-pipe-source`, 16 kHz mono
//! s16le), fed in real time, 10 ms at a time, with silence between
//! utterances; the kiosk's speaker is a null sink whose monitor `parec`
//! records. Both are mixed by loopbacks into a `room` sink whose monitor is
//! the kiosk's microphone, so a test can also let the speaker be heard by the
//! microphone ([`SoundServer::let_speaker_reach_microphone`]). Everything
//! started here stops when the server is dropped.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The mouth's and the recordings' rate.
pub const RATE: u32 = 16_000;
/// Samples written into the mouth at a time: 10 ms.
const STEP: usize = RATE as usize / 100;

pub struct SoundServer {
    dir: tempfile::TempDir,
    daemon: Child,
    mouth: Option<Mouth>,
}

/// The thread that writes into the FIFO in real time.
struct Mouth {
    utterances: Sender<(Vec<f32>, Sender<Instant>)>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl SoundServer {
    /// Starts the server, with the mouth already speaking silence (a pipe
    /// source with no writer gives its readers nothing at all).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("runtime");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        std::fs::write(home.join(".asoundrc"), "pcm.!default { type pulse }\nctl.!default { type pulse }\n").unwrap();
        let fifo = dir.path().join("mouth.fifo");
        let script = dir.path().join("default.pa");
        std::fs::write(
            &script,
            format!(
                "load-module module-native-protocol-unix\n\
                 load-module module-null-sink sink_name=speaker rate=48000 channels=2\n\
                 load-module module-null-sink sink_name=room rate=48000 channels=2\n\
                 load-module module-pipe-source source_name=mouth file={} format=s16le rate={RATE} channels=1\n\
                 load-module module-loopback source=mouth sink=room latency_msec=20\n\
                 set-default-sink speaker\n\
                 set-default-source room.monitor\n",
                fifo.display()
            ),
        )
        .unwrap();
        let daemon = spawn_daemon(dir.path());
        let mut server = Self { dir, daemon, mouth: None };
        server.wait_until_ready(&fifo);
        server.mouth = Some(Mouth::open(&fifo));
        server
    }

    /// Stops the server and starts it again, as after a crash: every
    /// client's connection is cut.
    pub fn restart(&mut self) {
        self.stop_mouth();
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let fifo = self.dir.path().join("mouth.fifo");
        // The pipe source makes its FIFO and refuses one left over.
        let _ = std::fs::remove_file(&fifo);
        self.daemon = spawn_daemon(self.dir.path());
        self.wait_until_ready(&fifo);
        self.mouth = Some(Mouth::open(&fifo));
    }

    fn stop_mouth(&mut self) {
        if let Some(mouth) = self.mouth.take() {
            mouth.stop.store(true, Ordering::Relaxed);
            drop(mouth.utterances);
            let _ = mouth.thread.join();
        }
    }

    /// The environment a client needs to use this server (and only it).
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        env_of(self.dir.path())
    }

    fn wait_until_ready(&mut self, fifo: &Path) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(fifo.exists() && self.pactl(&["list", "short", "sources"]).contains("room.monitor")) {
            if let Ok(Some(status)) = self.daemon.try_wait() {
                panic!("pulseaudio exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "pulseaudio did not start in 10 s: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's own log, for failures.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pulseaudio.log")).unwrap_or_default()
    }

    /// Runs `pactl` against this server; its standard output.
    pub fn pactl(&self, args: &[&str]) -> String {
        let output =
            Command::new("pactl").args(args).envs(self.env()).output().unwrap_or_else(|e| {
                panic!("pactl is needed ({e}): apt-get install pulseaudio-utils, or run scripts/test")
            });
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Routes the speaker into the room: the microphone hears the kiosk.
    pub fn let_speaker_reach_microphone(&self) {
        let module =
            self.pactl(&["load-module", "module-loopback", "source=speaker.monitor", "sink=room", "latency_msec=20"]);
        assert!(!module.trim().is_empty(), "loading the echo loopback failed: {}", self.log());
    }

    /// Unloads the kiosk's microphone (the room sink, whose monitor it
    /// records), as when a USB microphone is pulled out. PulseAudio moves
    /// the capture to another source without telling the client.
    pub fn unload_microphone(&self) {
        let modules = self.pactl(&["list", "short", "modules"]);
        let room = modules
            .lines()
            .find(|l| l.contains("module-null-sink") && l.contains("sink_name=room"))
            .and_then(|l| l.split('\t').next())
            .unwrap_or_else(|| panic!("no room sink in {modules}"));
        self.pactl(&["unload-module", room]);
    }

    /// Unloads the kiosk's speaker (its null sink), as when a USB speaker
    /// is pulled out: what plays on it is moved elsewhere or cut, and a
    /// recording of it ends.
    pub fn unload_speaker(&self) {
        let modules = self.pactl(&["list", "short", "modules"]);
        let speaker = modules
            .lines()
            .find(|l| l.contains("module-null-sink") && l.contains("sink_name=speaker"))
            .and_then(|l| l.split('\t').next())
            .unwrap_or_else(|| panic!("no speaker sink in {modules}"));
        self.pactl(&["unload-module", speaker]);
    }

    /// Cuts every stream playing on the speaker, as a sound server does
    /// when a card goes away with nowhere to move its streams (or plain
    /// ALSA when a USB card is pulled out): the client's stream is dead.
    pub fn cut_speaker_streams(&self) {
        let sinks = self.pactl(&["list", "short", "sinks"]);
        let speaker = sinks
            .lines()
            .find(|l| l.split('\t').nth(1) == Some("speaker"))
            .and_then(|l| l.split('\t').next())
            .unwrap_or_else(|| panic!("no speaker sink in {sinks}"));
        let inputs = self.pactl(&["list", "short", "sink-inputs"]);
        let mut cut = 0;
        for line in inputs.lines().filter(|l| l.split('\t').nth(1) == Some(speaker)) {
            self.pactl(&["kill-sink-input", line.split('\t').next().unwrap()]);
            cut += 1;
        }
        assert!(cut > 0, "nothing plays on the speaker: {inputs}");
    }

    /// Loads the speaker back, as when it is plugged in again. PulseAudio
    /// moves the streams that follow the default sink to it, the room's
    /// loopbacks too: they are put back in the room (a person's voice does
    /// not go through the kiosk's sound server).
    pub fn load_speaker(&self) {
        let module = self.pactl(&["load-module", "module-null-sink", "sink_name=speaker", "rate=48000", "channels=2"]);
        assert!(!module.trim().is_empty(), "loading the speaker back failed: {}", self.log());
        let inputs = self.pactl(&["list", "short", "sink-inputs"]);
        for line in inputs.lines().filter(|l| l.contains("module-loopback")) {
            self.pactl(&["move-sink-input", line.split('\t').next().unwrap(), "room"]);
        }
    }

    /// Loads the microphone back, with nobody's voice reaching it yet.
    /// The mouth's loopback, moved off the room when it went, is unloaded.
    pub fn load_microphone(&self) {
        let modules = self.pactl(&["list", "short", "modules"]);
        for line in modules.lines().filter(|l| l.contains("module-loopback") && l.contains("source=mouth")) {
            self.pactl(&["unload-module", line.split('\t').next().unwrap()]);
        }
        let module = self.pactl(&["load-module", "module-null-sink", "sink_name=room", "rate=48000", "channels=2"]);
        assert!(!module.trim().is_empty(), "loading the room back failed: {}", self.log());
    }

    /// Lets the person's voice reach the microphone again.
    pub fn route_mouth_to_room(&self) {
        let module = self.pactl(&["load-module", "module-loopback", "source=mouth", "sink=room", "latency_msec=20"]);
        assert!(!module.trim().is_empty(), "loading the mouth's loopback failed: {}", self.log());
    }

    /// Says `samples` (16 kHz mono) into the microphone in real time; returns
    /// when the last sample was written, and that instant.
    pub fn say(&self, samples: &[f32]) -> Instant {
        let (done, written) = mpsc::channel();
        self.mouth.as_ref().unwrap().utterances.send((samples.to_vec(), done)).unwrap();
        written.recv().expect("the mouth thread stopped")
    }

    /// Starts recording the speaker.
    pub fn record_speaker(&self) -> SpeakerRecording {
        self.record("speaker.monitor")
    }

    /// Starts recording what the kiosk's microphone hears.
    pub fn record_microphone(&self) -> SpeakerRecording {
        self.record("room.monitor")
    }

    fn record(&self, source: &str) -> SpeakerRecording {
        let path = self.dir.path().join(format!("{source}.raw"));
        let file = std::fs::File::create(&path).unwrap();
        let child = Command::new("parec")
            .args(["-d", source, "--rate=16000", "--channels=1", "--format=s16le", "--latency-msec=10"])
            .envs(self.env())
            .stdout(Stdio::from(file))
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("parec is needed ({e}): apt-get install pulseaudio-utils, or run scripts/test"));
        SpeakerRecording { child, path, started: Instant::now() }
    }
}

/// Starts `pulseaudio` on the script in `dir`, logging to `dir/pulseaudio.log`.
fn spawn_daemon(dir: &Path) -> Child {
    Command::new("pulseaudio")
        .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--log-target=stderr", "-F"])
        .arg(dir.join("default.pa"))
        .envs(env_of(dir))
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("pulseaudio.log")).unwrap()))
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "pulseaudio is needed for the sound-server tests ({e}): \
                 apt-get install pulseaudio pulseaudio-utils libasound2-plugins, or run scripts/test"
            )
        })
}

fn env_of(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("XDG_RUNTIME_DIR", dir.join("runtime")),
        ("HOME", dir.join("home")),
        ("PULSE_SERVER", dir.join("runtime/pulse/native")),
    ]
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        self.stop_mouth();
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Mouth {
    fn open(fifo: &Path) -> Self {
        // The server holds the FIFO open for reading: opening it to write does not block.
        let mut pipe = OpenOptions::new().write(true).open(fifo).unwrap();
        let (utterances, queue): (_, Receiver<(Vec<f32>, Sender<Instant>)>) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut steps = 0u32;
            let mut current: Option<(Vec<f32>, usize, Sender<Instant>)> = None;
            while !stopping.load(Ordering::Relaxed) {
                if current.is_none() {
                    current = queue.try_recv().ok().map(|(samples, done)| (samples, 0, done));
                }
                let mut step = [0i16; STEP];
                if let Some((samples, at, done)) = current.as_mut() {
                    let end = (*at + STEP).min(samples.len());
                    for (out, &s) in step.iter_mut().zip(&samples[*at..end]) {
                        *out = (s.clamp(-1.0, 1.0) * 32767.0) as i16;
                    }
                    *at = end;
                    if *at >= samples.len() {
                        let bytes: Vec<u8> = step.iter().flat_map(|s| s.to_le_bytes()).collect();
                        if pipe.write_all(&bytes).is_err() {
                            return;
                        }
                        let _ = done.send(Instant::now());
                        current = None;
                        steps += 1;
                        pace(started, steps);
                        continue;
                    }
                }
                let bytes: Vec<u8> = step.iter().flat_map(|s| s.to_le_bytes()).collect();
                if pipe.write_all(&bytes).is_err() {
                    return;
                }
                steps += 1;
                pace(started, steps);
            }
        });
        Self { utterances, stop, thread }
    }
}

/// Sleeps until `steps` × 10 ms after `started`: real time, without drift.
fn pace(started: Instant, steps: u32) {
    let due = started + Duration::from_millis(10) * steps;
    if let Some(wait) = due.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
}

/// What the speaker played since the recording started, 16 kHz mono.
pub struct SpeakerRecording {
    child: Child,
    path: PathBuf,
    /// When `parec` was started: sample `n` was played about `n / 16 kHz` after it.
    pub started: Instant,
}

impl SpeakerRecording {
    /// The samples recorded so far.
    pub fn samples(&self) -> Vec<f32> {
        self.samples_from(0)
    }

    /// The samples recorded so far from sample `from` on (a long recording
    /// is not read again from its start).
    pub fn samples_from(&self, from: usize) -> Vec<f32> {
        use std::io::{Read, Seek, SeekFrom};
        let mut bytes = Vec::new();
        if let Ok(mut file) = std::fs::File::open(&self.path) {
            if file.seek(SeekFrom::Start(from as u64 * 2)).is_ok() {
                let _ = file.read_to_end(&mut bytes);
            }
        }
        bytes.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect()
    }

    /// How many samples were recorded so far.
    pub fn sample_count(&self) -> usize {
        std::fs::metadata(&self.path).map_or(0, |m| m.len() as usize / 2)
    }

    /// Waits until the speaker has played something after sample `from` and
    /// then been quiet for `quiet` (or `within` passed); how many samples
    /// were recorded by then.
    pub fn wait_for_sound_then_quiet(&self, from: usize, quiet: Duration, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let quiet_samples = (quiet.as_secs_f32() * RATE as f32) as usize;
        loop {
            let samples = self.samples_from(from);
            if let Some(last) = samples.iter().rposition(|v| v.abs() > SOUND) {
                if samples.len() - last >= quiet_samples {
                    return from + samples.len();
                }
            }
            if Instant::now() >= deadline {
                return from + samples.len();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A sample louder than this is sound, not the silence of an idle sink.
pub const SOUND: f32 = 0.01;

impl Drop for SpeakerRecording {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stretches of sound in `samples`: (start, end) sample indices, joining
/// stretches less than `gap` apart (the pauses between a reply's sentences).
pub fn sounds(samples: &[f32], gap: Duration) -> Vec<(usize, usize)> {
    let gap = (gap.as_secs_f32() * RATE as f32) as usize;
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (i, _) in samples.iter().enumerate().filter(|(_, v)| v.abs() > SOUND) {
        match found.last_mut() {
            Some((_, end)) if i - *end <= gap => *end = i + 1,
            _ => found.push((i, i + 1)),
        }
    }
    found
}
