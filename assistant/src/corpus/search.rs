//! Lexical search over the corpus: BM25 on two token streams (see
//! [`super::normalize`]), one document per entry and language, hits grouped
//! by entry.
//!
//! BM25 is a few lines over a corpus of hundreds of entries; a search engine
//! crate (tantivy) would add minutes of build and megabytes of binary on the
//! kiosk for no gain at this size.
//!
//! Each hit carries two numbers: `score` (BM25, comparable within one query)
//! and `coverage` in [0, 1]: the share of the query's information (IDF mass)
//! that the entry matched. Words the corpus has never seen count fully against
//! coverage, so "how do I fly a plane" covers little even if "how" matches.
//! The assistant refuses below a coverage threshold.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::entry::{Domain, Entry};
use super::lang::LangTag;
use super::normalize::{tokens, Tokens};
use super::Corpus;

/// BM25 term-frequency saturation and length normalisation (the usual values).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Consonant skeletons are ambiguous: they count for less than surface words.
const SKELETON_WEIGHT: f32 = 0.5;
/// Referral entries say whom to ask when nothing else answers: an answer that
/// matches as well should come first.
const REFERRAL_WEIGHT: f32 = 0.7;

/// What to look for, and where.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub text: &'a str,
    /// The language the question was asked in (for stemming); `None` if unknown.
    pub lang: Option<LangTag>,
    pub country: Option<&'a str>,
    pub domain: Option<Domain>,
    pub limit: usize,
}

impl<'a> Query<'a> {
    pub fn new(text: &'a str) -> Self {
        Query { text, lang: None, country: None, domain: None, limit: 5 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub domain: Domain,
    pub country: String,
    /// The language of the best-matching text of the entry.
    pub lang: String,
    pub title: String,
    pub score: f32,
    pub coverage: f32,
}

struct Doc {
    entry: usize,
    lang: String,
    title: String,
}

/// Inverted index of one token stream.
#[derive(Default)]
struct Field {
    postings: HashMap<String, Vec<(usize, u32)>>,
    lengths: Vec<u32>,
}

impl Field {
    fn add(&mut self, doc: usize, tokens: &[String]) {
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for token in tokens {
            *counts.entry(token).or_default() += 1;
        }
        for (token, count) in counts {
            self.postings.entry(token.to_string()).or_default().push((doc, count));
        }
        self.lengths.push(tokens.len() as u32);
    }

    fn idf(&self, n_docs: usize, term: &str) -> f32 {
        let n = self.postings.get(term).map_or(0, Vec::len) as f32;
        (1.0 + (n_docs as f32 - n + 0.5) / (n + 0.5)).ln()
    }

    /// BM25 per document, and the IDF mass each document matched.
    fn score(&self, terms: &[String], into: &mut HashMap<usize, (f32, f32)>) -> f32 {
        let n_docs = self.lengths.len();
        let average = self.lengths.iter().sum::<u32>() as f32 / n_docs.max(1) as f32;
        let mut total_idf = 0.0;
        for term in terms {
            let idf = self.idf(n_docs, term);
            total_idf += idf;
            for &(doc, tf) in self.postings.get(term).map_or(&[][..], Vec::as_slice) {
                let tf = tf as f32;
                let norm = K1 * (1.0 - B + B * self.lengths[doc] as f32 / average.max(1.0));
                let slot = into.entry(doc).or_default();
                slot.0 += idf * tf * (K1 + 1.0) / (tf + norm);
                slot.1 += idf;
            }
        }
        total_idf
    }
}

/// The search index of a corpus.
pub struct Index {
    entries: Vec<Entry>,
    docs: Vec<Doc>,
    surface: Field,
    skeleton: Field,
}

impl Index {
    /// Indexes every text of every entry (titles count twice, keywords and
    /// lesson items once).
    pub fn build(corpus: &Corpus) -> Self {
        let mut index =
            Index { entries: Vec::new(), docs: Vec::new(), surface: Field::default(), skeleton: Field::default() };
        for loaded in corpus.entries.values() {
            let entry = &loaded.item;
            let entry_index = index.entries.len();
            index.entries.push(entry.clone());
            for (key, text) in &entry.text {
                let tag = key.parse::<LangTag>().ok();
                let mut all = format!("{0}\n{0}\n{1}\n{2}", text.title, text.body, text.keywords.join("\n"));
                if let Some(lesson) = entry.lesson.as_ref().filter(|l| l.language == *key) {
                    all.extend(lesson.items.iter().map(|item| format!("\n{}", item.text)));
                }
                index.add(entry_index, key, &text.title, &tokens(&all, tag.as_ref()));
            }
            if let Some(lesson) = entry.lesson.as_ref().filter(|l| !entry.text.contains_key(&l.language)) {
                let tag = lesson.language.parse::<LangTag>().ok();
                let words: Vec<&str> = lesson.items.iter().map(|item| item.text.as_str()).collect();
                let title = entry.text.values().next().map_or(entry.id.as_str(), |t| t.title.as_str());
                index.add(entry_index, &lesson.language, title, &tokens(&words.join("\n"), tag.as_ref()));
            }
        }
        index
    }

    fn add(&mut self, entry: usize, lang: &str, title: &str, tokens: &Tokens) {
        let doc = self.docs.len();
        self.docs.push(Doc { entry, lang: lang.to_string(), title: title.to_string() });
        self.surface.add(doc, &tokens.surface);
        self.skeleton.add(doc, &tokens.skeleton);
    }

    /// The best entries for `query`, best first, at most `query.limit`.
    pub fn search(&self, query: &Query) -> Vec<Hit> {
        let tokens = tokens(query.text, query.lang.as_ref());
        let unique = |terms: Vec<String>| -> Vec<String> {
            let mut seen = HashSet::new();
            terms.into_iter().filter(|t| seen.insert(t.clone())).collect()
        };
        let (surface_terms, skeleton_terms) = (unique(tokens.surface), unique(tokens.skeleton));
        let mut surface = HashMap::new();
        let mut skeleton = HashMap::new();
        let surface_mass = self.surface.score(&surface_terms, &mut surface);
        let skeleton_mass = self.skeleton.score(&skeleton_terms, &mut skeleton);

        let mut best: BTreeMap<usize, Hit> = BTreeMap::new();
        for doc in surface.keys().chain(skeleton.keys()).copied().collect::<HashSet<_>>() {
            let (s_score, s_matched) = surface.get(&doc).copied().unwrap_or_default();
            let (k_score, k_matched) = skeleton.get(&doc).copied().unwrap_or_default();
            let coverage =
                (s_matched / surface_mass.max(f32::EPSILON)).max(k_matched / skeleton_mass.max(f32::EPSILON));
            let d = &self.docs[doc];
            let entry = &self.entries[d.entry];
            let prior = if entry.domain == Domain::Referral { REFERRAL_WEIGHT } else { 1.0 };
            let score = prior * (s_score + SKELETON_WEIGHT * k_score);
            let wanted = query.country.is_none_or(|c| c.eq_ignore_ascii_case(&entry.country))
                && query.domain.is_none_or(|domain| domain == entry.domain);
            if !wanted {
                continue;
            }
            let hit = Hit {
                id: entry.id.clone(),
                domain: entry.domain,
                country: entry.country.clone(),
                lang: d.lang.clone(),
                title: d.title.clone(),
                score,
                coverage: coverage.min(1.0),
            };
            match best.get(&d.entry) {
                Some(previous) if previous.score >= hit.score => {}
                _ => {
                    best.insert(d.entry, hit);
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(query.limit);
        hits
    }
}
