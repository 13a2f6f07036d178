//! The mel filterbank: triangles over the bins of a power spectrum, spaced
//! evenly on the Slaney mel scale (linear below 1 kHz, logarithmic above),
//! each of unit area in Hz — librosa's `filters.mel(sr, n_fft, n_mels)`, which
//! Whisper's front end ([`crate::asr::mel`]) uses and whisper.cpp's model file
//! stores ([`crate::models::convert::ggml`]). A pure function of the sample
//! rate (Hz), FFT size (samples) and number of mel bands.

/// librosa's Slaney-style mel filterbank, row-major `[n_mels, n_fft / 2 + 1]`.
pub fn mel_filters(sample_rate: usize, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_freq = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_freq).map(|i| i as f64 * sample_rate as f64 / n_fft as f64).collect();
    let (min_mel, max_mel) = (hz_to_mel(0.0), hz_to_mel(sample_rate as f64 / 2.0));
    let mel_points: Vec<f64> =
        (0..n_mels + 2).map(|i| mel_to_hz(min_mel + (max_mel - min_mel) * i as f64 / (n_mels + 1) as f64)).collect();
    let mut filters = vec![0f32; n_mels * n_freq];
    for m in 0..n_mels {
        let (left, centre, right) = (mel_points[m], mel_points[m + 1], mel_points[m + 2]);
        // Slaney normalisation: each triangle has unit area in Hz.
        let norm = 2.0 / (right - left);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let rising = (f - left) / (centre - left);
            let falling = (right - f) / (right - centre);
            filters[m * n_freq + k] = (rising.min(falling).max(0.0) * norm) as f32;
        }
    }
    filters
}

// The Slaney mel scale: linear below 1 kHz, logarithmic above.
const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        mel * F_SP
    }
}

#[cfg(test)]
mod tests {
    use super::reference::{fixture, floats};
    use super::*;

    #[test]
    fn filterbank_triangles_cover_the_spectrum() {
        let filters = mel_filters(16_000, 400, 80);
        assert_eq!(filters.len(), 80 * 201);
        // Every filter has some weight, none is negative, and DC is unused.
        for m in 0..80 {
            let row = &filters[m * 201..(m + 1) * 201];
            assert!(row.iter().all(|&w| w >= 0.0));
            assert!(row.iter().any(|&w| w > 0.0), "filter {m} is empty");
        }
        assert_eq!(filters[0], 0.0);
        // Value of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)[1, 1] (Slaney),
        // from a NumPy transcription of librosa's formula.
        assert!((filters[201 + 1] - 0.001_990_822).abs() < 1e-8, "{}", filters[202]);
    }

    /// Against the fixture written by `scripts/mel-reference` (NumPy + librosa).
    #[test]
    fn filterbank_matches_librosa() {
        let reference = floats(&fixture("mel_filters_80.bin"));
        let ours = mel_filters(16_000, 400, 80);
        let worst = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-6, "largest difference {worst}");
    }
}

/// The fixtures written by `scripts/mel-reference` (NumPy + librosa), for the
/// filterbank's tests and the log-mel front end's.
#[cfg(test)]
pub(crate) mod reference {
    pub fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; regenerate with scripts/mel-reference", path.display()))
    }

    pub fn floats(bytes: &[u8]) -> Vec<f32> {
        bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }
}
