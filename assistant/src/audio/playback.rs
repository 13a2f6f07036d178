//! Playing replies on the kiosk's speaker (rodio on the default output).

use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use super::microphone::DeviceError;

pub struct Speaker {
    sink: rodio::MixerDeviceSink,
}

impl Speaker {
    pub fn open() -> Result<Self, DeviceError> {
        let sink = rodio::DeviceSinkBuilder::open_default_sink().map_err(|_| DeviceError::NoOutput)?;
        Ok(Self { sink })
    }

    /// A short high tone, not waited for: "I am listening" for someone who
    /// pressed the talk button.
    pub fn beep(&self) {
        use rodio::Source;
        let tone = rodio::source::SineWave::new(880.0).take_duration(Duration::from_millis(150));
        self.sink.mixer().add(tone.amplify(0.2));
    }

    /// Plays a WAV file to its end. A speaker that stops taking samples
    /// (unplugged, or the sound server gone) is an error once the file has
    /// had its length and a margin to play, not a wait forever.
    pub fn play(&self, path: &Path) -> Result<(), DeviceError> {
        let failed = |message: String| DeviceError::Play { path: path.to_path_buf(), message };
        let length = hound::WavReader::open(path)
            .map(|wav| Duration::from_secs_f64(f64::from(wav.duration()) / f64::from(wav.spec().sample_rate.max(1))))
            .unwrap_or(Duration::from_secs(60));
        let file = std::fs::File::open(path).map_err(|e| failed(e.to_string()))?;
        let player = rodio::play(self.sink.mixer(), BufReader::new(file)).map_err(|e| failed(e.to_string()))?;
        let deadline = Instant::now() + length + STALL_MARGIN;
        while !player.empty() {
            if Instant::now() >= deadline {
                player.stop();
                return Err(failed("the speaker stopped playing (device or sound server gone)".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

/// Past a file's length, how long a speaker may lag before it counts as gone.
const STALL_MARGIN: Duration = Duration::from_secs(2);
