//! Playing replies on the kiosk's speaker (rodio on the default output).

use std::io::BufReader;
use std::path::Path;

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
        let tone = rodio::source::SineWave::new(880.0).take_duration(std::time::Duration::from_millis(150));
        self.sink.mixer().add(tone.amplify(0.2));
    }

    /// Plays a WAV file to its end.
    pub fn play(&self, path: &Path) -> Result<(), DeviceError> {
        let failed = |message: String| DeviceError::Play { path: path.to_path_buf(), message };
        let file = std::fs::File::open(path).map_err(|e| failed(e.to_string()))?;
        let player = rodio::play(self.sink.mixer(), BufReader::new(file)).map_err(|e| failed(e.to_string()))?;
        player.sleep_until_end();
        Ok(())
    }
}
