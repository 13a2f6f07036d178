//! Playing replies on the kiosk's speaker (rodio on the default output).

use std::io::BufReader;
use std::path::Path;

use crate::audio::microphone::DeviceError;

pub struct Speaker {
    sink: rodio::MixerDeviceSink,
}

impl Speaker {
    pub fn open() -> Result<Self, DeviceError> {
        let sink = rodio::DeviceSinkBuilder::open_default_sink().map_err(|_| DeviceError::NoOutput)?;
        Ok(Self { sink })
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
