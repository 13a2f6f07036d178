use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use awal::audio::microphone::Microphone;
use awal::audio::vad::Endpointer;
use awal::audio::{load_audio, AudioDecoder, AudioError, Recording, SAMPLE_RATE};
use awal::keywords::detector::{load_background, Background, Detector, Embedder};
use awal::keywords::embedding::{SpeechEmbedding, SPEECH_EMBEDDING};
use awal::keywords::encoder::WhisperFeatures;
use awal::keywords::enroll::{check, keep, valid_word};
use awal::keywords::eval::{leave_one_speaker_out, Trained};
use awal::keywords::features::{FeatureExtractor, Mfcc};
use awal::keywords::{load_examples, KeywordError, Vocabulary, OTHER};

use super::{print_json, Session};

#[derive(Debug, clap::Args)]
pub struct Place {
    /// The language of the keywords (ary, zgh, wol, fuc, fr…).
    #[arg(long)]
    lang: String,
    /// Where recordings are kept (default: DATA_DIR/keywords).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// What words are compared by: `mfcc`, `whisper` (the speech model's encoder)
    /// or `embedding` (the `speech-embedding` model); measured on the synthesised
    /// set, both are less accurate than MFCCs in this rule (README).
    #[arg(long, default_value = "mfcc", value_parser = ["mfcc", "whisper", "embedding"])]
    features: String,
    /// Add the trained check: a word the templates reject is taken back when a
    /// classifier over speech embeddings (model `speech-embedding`, trained here on
    /// the recordings and on background speech in LANG/_background) names it too.
    #[arg(long)]
    trained: bool,
}

impl Place {
    fn dir(&self, session: &Session) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| session.data_dir.join("keywords"))
    }

    /// What the trained check is made from, when asked for.
    fn trained(&self, session: &Session) -> anyhow::Result<Option<(Embedder, Vec<Background>)>> {
        if !self.trained {
            return Ok(None);
        }
        let dir = self.dir(session);
        let (background, problems) = load_background(&dir, &self.lang)?;
        report_problems(&problems);
        if background.is_empty() {
            return Err(KeywordError::NoBackground { lang: self.lang.clone(), dir }.into());
        }
        let model = session.store.require(SPEECH_EMBEDDING)?;
        let embedding = Arc::new(SpeechEmbedding::load(&model.dir).map_err(KeywordError::from)?);
        Ok(Some((Embedder::new(embedding), background)))
    }

    fn extractor(&self, session: &Session) -> anyhow::Result<Box<dyn FeatureExtractor>> {
        Ok(match self.features.as_str() {
            "mfcc" => Box::new(Mfcc::new()),
            "embedding" => Box::new(SpeechEmbedding::load(&session.store.require(SPEECH_EMBEDDING)?.dir)?),
            _ => {
                let model = session.store.require(&session.config.models.asr)?;
                Box::new(WhisperFeatures::load(&model.dir)?)
            }
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum KeywordsCommand {
    /// Check recordings of a keyword and keep the good ones; says which to record again.
    Enroll {
        #[command(flatten)]
        place: Place,
        /// The keyword (any script): yes, ⵢⵢⴰ, waaw… With --other: what the word is (optional).
        #[arg(long, required_unless_present = "other")]
        word: Option<String>,
        /// The recordings are words that are NOT keywords: utterances nearer to them are
        /// rejected, and `eval` measures false accepts on them.
        #[arg(long)]
        other: bool,
        /// Who speaks (a number or initials, never a name); files become SPEAKER-N.wav.
        #[arg(long, default_value = "speaker")]
        speaker: String,
        /// Print only problems.
        #[arg(long)]
        quiet: bool,
        /// WAV (or any audio) files, one word each.
        #[arg(required_unless_present = "record", conflicts_with = "record")]
        files: Vec<PathBuf>,
        /// Record this many examples from the microphone instead, one at each prompt.
        #[arg(long)]
        record: Option<usize>,
    },
    /// Recognise the keywords in audio files (streamed as from a microphone).
    Match {
        #[command(flatten)]
        place: Place,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Leave-one-speaker-out accuracy, false accepts on `_other`, latency.
    Eval {
        #[command(flatten)]
        place: Place,
        /// Add white noise at this signal-to-noise ratio (dB) to each test recording.
        #[arg(long)]
        snr: Option<f32>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// JSON with every decision.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: KeywordsCommand, session: &Session) -> anyhow::Result<ExitCode> {
    match command {
        KeywordsCommand::Enroll { place, word, other, speaker, quiet, files, record } => {
            let word = match (other, word) {
                (true, Some(label)) => format!("{OTHER}/{}", valid_word(&label)?),
                (true, None) => OTHER.to_string(),
                (false, word) => valid_word(&word.unwrap_or_default())?.to_string(),
            };
            valid_word(&speaker)
                .map_err(|_| anyhow::anyhow!("`{speaker}` cannot be a speaker id: use letters, digits, `-` or `_`"))?;
            let enrolment = Enrolment { dir: place.dir(session), lang: place.lang, word, speaker, quiet };
            match record {
                Some(count) => enrolment.record(count),
                None => enrolment.files(&files),
            }
        }
        KeywordsCommand::Match { place, files, json } => {
            let dir = place.dir(session);
            let mut extractor = place.extractor(session)?;
            let mut vocabulary = vocabulary(&dir, &place.lang, extractor.as_mut(), place.trained(session)?)?;
            let mut results = Vec::new();
            for file in &files {
                for (start, end, samples) in utterances(file)? {
                    let decision = vocabulary.decide(&samples)?;
                    if !json {
                        let heard = match &decision.word {
                            Some(word) => {
                                format!("{word} (score {:.2} ≤ {:.2})", decision.score, decision.threshold)
                            }
                            None => match &decision.nearest {
                                Some(nearest) => format!(
                                    "none: rejected (nearest {nearest} at {:.2} > {:.2})",
                                    decision.score, decision.threshold
                                ),
                                None => "none: no speech".into(),
                            },
                        };
                        println!("{} [{start:.2}–{end:.2} s]: {heard}", file.display());
                    }
                    results.push(serde_json::json!({
                        "file": file, "start_s": start, "end_s": end, "word": decision.word,
                        "score": decision.score, "distance": decision.distance, "nearest": decision.nearest,
                        "threshold": decision.threshold, "runner_up": decision.runner_up,
                        "confirmed": decision.confirmed,
                    }));
                }
            }
            if json {
                print_json(&results)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        KeywordsCommand::Eval { place, snr, seed, json } => {
            let dir = place.dir(session);
            let mut extractor = place.extractor(session)?;
            let (examples, problems) = load_examples(&dir, &place.lang, extractor.as_mut())?;
            report_problems(&problems);
            if examples.iter().all(|e| e.word == OTHER) {
                return Err(KeywordError::NoVocabulary { lang: place.lang, dir }.into());
            }
            let mut trained = place.trained(session)?;
            let trained = trained.as_mut().map(|(embedder, background)| Trained { embedder, background });
            let report = leave_one_speaker_out(&examples, extractor.as_mut(), trained, snr, seed)?;
            if json {
                print_json(&report)?;
            } else {
                let noise = snr.map_or("clean".to_string(), |s| format!("white noise at {s} dB SNR"));
                println!("{} words, {} speakers, {noise}, {} features", report.words, report.speakers, place.features);
                println!(
                    "accuracy {:.1} % ({} right, {} wrong word, {} rejected)",
                    100.0 * report.accuracy,
                    report.correct,
                    report.wrong,
                    report.rejected
                );
                println!(
                    "false accepts {:.1} % ({} of {} other words)",
                    100.0 * report.false_accept_rate,
                    report.false_accepts,
                    report.others
                );
                println!(
                    "latency per decision: {:.1} ms mean, {:.1} ms max",
                    report.latency_ms_mean, report.latency_ms_max
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where and as what enrolled examples are kept.
struct Enrolment {
    dir: PathBuf,
    lang: String,
    word: String,
    speaker: String,
    quiet: bool,
}

impl Enrolment {
    /// Checks each file and keeps the good ones; exit code 1 if any must be recorded again.
    fn files(&self, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
        let mut redo = 0;
        for file in files {
            let kept = match load_audio(file) {
                Ok(recording) => self.keep_if_good(&file.display().to_string(), &recording)?,
                Err(e) => {
                    eprintln!("✗ {e} — record it again");
                    false
                }
            };
            redo += usize::from(!kept);
        }
        self.summary();
        Ok(if redo == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
    }

    /// Records `count` good examples from the microphone: each utterance cut
    /// at the end of speech is checked, and asked for again when it is not good.
    fn record(&self, count: usize) -> anyhow::Result<ExitCode> {
        let mut microphone = Microphone::open()?;
        println!("recording {count} examples of `{}` on {}", self.word, microphone.name);
        let mut endpointer = Endpointer::new(300, 5_000);
        let mut kept = 0;
        while kept < count {
            println!("{}/{count}: say `{}` now", kept + 1, self.word);
            let utterance = loop {
                let chunk = microphone.next_chunk(Duration::from_millis(500))?.unwrap_or_default();
                if let Some(utterance) = endpointer.push(&chunk).into_iter().next() {
                    break utterance;
                }
            };
            let recording = Recording { samples: utterance, source_rate: SAMPLE_RATE, source_channels: 1 };
            if self.keep_if_good(&format!("example {}", kept + 1), &recording)? {
                kept += 1;
            }
        }
        self.summary();
        Ok(ExitCode::SUCCESS)
    }

    /// Keeps `recording` if its checks pass; says what is wrong otherwise.
    fn keep_if_good(&self, name: &str, recording: &Recording) -> anyhow::Result<bool> {
        match check(recording) {
            Ok(checked) => {
                let kept = keep(&self.dir, &self.lang, &self.word, &self.speaker, &recording.samples)?;
                if !self.quiet {
                    let notes = if checked.notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", checked.notes.join("; "))
                    };
                    println!("✓ {name} → {}: {:.2} s of speech{notes}", kept.display(), checked.speech_seconds);
                }
                Ok(true)
            }
            Err(reason) => {
                eprintln!("✗ {name}: {reason} — record it again");
                Ok(false)
            }
        }
    }

    /// How many examples the word has now, and what is still missing.
    fn summary(&self) {
        let (dir, lang, word) = (&self.dir, &self.lang, &self.word);
        if word.starts_with(OTHER) {
            return;
        }
        // Counted from the files: what was kept before and now.
        let stems: Vec<String> = std::fs::read_dir(dir.join(lang).join(word))
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .map(|p| p.file_stem().unwrap_or_default().to_string_lossy().into_owned())
            .collect();
        let mut speakers: Vec<&str> =
            stems.iter().map(|s| s.rsplit_once('-').map_or(s.as_str(), |(who, _)| who)).collect();
        speakers.sort();
        speakers.dedup();
        if stems.len() < 3 {
            eprintln!(
                "! `{word}` has {} example(s): record at least 3, by different voices if you can; it is matched \
                 meanwhile, but its rejection threshold cannot be calibrated",
                stems.len()
            );
        } else if !self.quiet {
            println!("`{word}`: {} examples by {} speaker(s)", stems.len(), speakers.len());
        }
        let others = dir.join(lang).join(OTHER);
        if !others.is_dir() {
            eprintln!(
                "! no recordings of other words yet (`awal keywords enroll --other`): without them, words \
                 outside the vocabulary are often taken for keywords"
            );
        }
    }
}

fn vocabulary<'x>(
    dir: &Path,
    lang: &str,
    extractor: &'x mut dyn FeatureExtractor,
    trained: Option<(Embedder, Vec<Background>)>,
) -> anyhow::Result<Vocabulary<'x>> {
    let (examples, problems) = load_examples(dir, lang, &mut *extractor)?;
    report_problems(&problems);
    if examples.iter().all(|e| e.word == OTHER) {
        return Err(KeywordError::NoVocabulary { lang: lang.to_string(), dir: dir.to_path_buf() }.into());
    }
    let detector = match trained {
        Some((mut embedder, background)) => Some(Detector::train(&mut embedder, &examples, &background)?),
        None => None,
    };
    let vocabulary = Vocabulary::new(examples, extractor);
    Ok(match detector {
        Some(detector) => vocabulary.with_detector(detector),
        None => vocabulary,
    })
}

fn report_problems(problems: &[KeywordError]) {
    for problem in problems {
        eprintln!("awal: keywords: skipped {problem}");
    }
}

/// The utterances of a file, cut as a live microphone stream would be:
/// `(start_s, end_s, samples)`. A file without speech gives one empty utterance.
fn utterances(file: &Path) -> anyhow::Result<Vec<(f32, f32, Vec<f32>)>> {
    let mut decoder = AudioDecoder::open(file)?;
    // Keywords are short: anything past 5 s is cut (and will be rejected).
    let mut endpointer = Endpointer::new(300, 5_000);
    let mut heard = 0usize;
    let mut found = Vec::new();
    let cut = |utterance: Vec<f32>, at: usize, found: &mut Vec<(f32, f32, Vec<f32>)>| {
        let start = at.saturating_sub(utterance.len());
        found.push((start as f32 / 16_000.0, at as f32 / 16_000.0, utterance));
    };
    while let Some(chunk) = decoder.next_chunk()? {
        heard += chunk.len();
        for utterance in endpointer.push(&chunk) {
            cut(utterance, heard, &mut found);
        }
    }
    if let Some(utterance) = endpointer.finish() {
        cut(utterance, heard, &mut found);
    }
    if heard == 0 {
        // A header and no samples: said, as `transcribe` does, not matched as silence.
        return Err(AudioError::Empty { path: file.to_path_buf() }.into());
    }
    if found.is_empty() {
        found.push((0.0, heard as f32 / 16_000.0, Vec::new()));
    }
    Ok(found)
}
