//! The one text analyzer behind search on every backend: split into words, lower-case, fold
//! diacritics ("pieniędzy" → "pieniedzy"), and stem in the languages we serve. The database's
//! own full-text index (FTS5, tsvector) only ever sees the words this module produces, so both
//! backends find the same things and no search syntax from a user reaches the database.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use frostem::{Algorithm, Stemmer};

use crate::customer::Language;

/// Words longer than this are not indexed (hashes, base64 junk, URLs run together).
const MAX_WORD_CHARS: usize = 48;
/// A query uses at most this many words; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 12;

fn served_stemmers() -> &'static [Stemmer; 4] {
    static STEMMERS: std::sync::OnceLock<[Stemmer; 4]> = std::sync::OnceLock::new();
    STEMMERS.get_or_init(|| {
        [
            Stemmer::new(Algorithm::English),
            Stemmer::new(Algorithm::Indonesian),
            Stemmer::new(Algorithm::Polish),
            Stemmer::new(Algorithm::Romanian),
        ]
    })
}

/// Lower-case words of `text`: runs of letters and digits; everything else separates.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(str::to_lowercase)
}

/// The words of `text` as written: runs of letters and digits, at most [`MAX_WORD_CHARS`].
fn raw_words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
}

/// Diacritics folded to ASCII ("ł" → "l", "ș" → "s", "ß" → "ss"); only letters and digits kept.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(&mut out, word);
    out
}

/// Appends [`fold`]`(word)` to `out` without allocating.
fn fold_into(out: &mut String, word: &str) {
    if word.is_ascii() {
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    // Transliterations carry spaces and punctuation ("北" → "Bei "): only letters and digits
    // are kept, so character by character gives what whole-string transliteration gives.
    for piece in deunicode::AsciiChars::ascii_chars(word).flatten() {
        out.extend(
            piece
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase()),
        );
    }
}

/// Appends the terms of one lower-cased word to `out`, space-separated: its folded form, then
/// its folded stems, each term once. A term is never empty.
fn push_word_terms(out: &mut String, word: &str, stemmers: &[Stemmer]) {
    // Where each term of this word starts and ends in `out`: at most 1 + 4 terms.
    let mut terms: [(usize, usize); 5] = [(0, 0); 5];
    let mut count = 0;
    let mut push = |out: &mut String, term: &str, fold_it: bool| {
        let sep = !out.is_empty();
        let before = out.len();
        if sep {
            out.push(' ');
        }
        let start = out.len();
        if fold_it {
            fold_into(out, term);
        } else {
            out.push_str(term);
        }
        let end = out.len();
        let new = &out[start..end];
        if new.is_empty() || terms[..count].iter().any(|&(s, e)| &out[s..e] == new) {
            out.truncate(before);
        } else if count < terms.len() {
            terms[count] = (start, end);
            count += 1;
        }
    };
    push(out, word, true);
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    for s in stemmers {
        push(out, &s.stem(word), true);
    }
}

/// The terms of one word, as [`push_word_terms`] writes them, remembered per thread: a
/// language's vocabulary is small next to the text written in it, so most words of a new
/// message were analysed before. Stemming every word in four languages is the analyzer's
/// main cost; a hit costs one hash look-up.
struct TermCache {
    /// Key: the stemmer set's tag byte, then the lower-cased word.
    terms: HashMap<Box<str>, Box<str>>,
    key: String,
    scratch: String,
}

/// Bounds each thread's cache (~100 bytes an entry); when full it starts over.
const MAX_CACHED_WORDS: usize = 8192;

thread_local! {
    static TERM_CACHE: RefCell<TermCache> = RefCell::new(TermCache {
        terms: HashMap::new(),
        key: String::new(),
        scratch: String::new(),
    });
}

impl TermCache {
    /// Appends the terms of the lower-cased `word` to `out` (with a leading space when `out`
    /// is not empty).
    fn push(&mut self, out: &mut String, tag: char, word: &str, stemmers: &[Stemmer]) {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            // A number is its own only term, and order numbers would only crowd the cache.
            push_word_terms(out, word, stemmers);
            return;
        }
        self.key.clear();
        self.key.push(tag);
        self.key.push_str(word);
        let terms = match self.terms.get(self.key.as_str()) {
            Some(terms) => terms,
            None => {
                self.scratch.clear();
                push_word_terms(&mut self.scratch, word, stemmers);
                if self.terms.len() >= MAX_CACHED_WORDS {
                    self.terms.clear();
                }
                self.terms
                    .entry(self.key.as_str().into())
                    .or_insert_with(|| self.scratch.as_str().into())
            }
        };
        if !terms.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(terms);
        }
    }
}

/// The stemmers for a document in `lang` (all served ones when unknown) and the cache tag of
/// that choice.
fn stemmers_for(lang: Option<Language>) -> (&'static [Stemmer], char) {
    let all = served_stemmers();
    match lang {
        None => (all, '*'),
        Some(Language::EN) => (&all[0..1], 'e'),
        Some(Language::ID) => (&all[1..2], 'i'),
        Some(Language::PL) => (&all[2..3], 'p'),
        Some(Language::RO) => (&all[3..4], 'r'),
        Some(_) => (&[], '-'),
    }
}

/// The text as the full-text index stores it: space-separated terms, each word as its folded
/// form followed by its stem in `lang` (in all served languages when `lang` is unknown).
pub fn index_text(text: &str, lang: Option<Language>) -> String {
    let (stemmers, tag) = stemmers_for(lang);
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    TERM_CACHE.with_borrow_mut(|cache| {
        let mut lower = String::new();
        for raw in raw_words(text) {
            cache.push(&mut out, tag, lowercase(raw, &mut lower), stemmers);
        }
    });
    out
}

/// `word` lower-cased, in `buf` unless it already is.
fn lowercase<'a>(word: &'a str, buf: &'a mut String) -> &'a str {
    if !word.is_ascii() {
        // `str::to_lowercase`, not per character: a final sigma depends on its place.
        *buf = word.to_lowercase();
        buf
    } else if word.bytes().any(|b| b.is_ascii_uppercase()) {
        buf.clear();
        buf.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        buf
    } else {
        word
    }
}

/// The terms of one lower-cased word in every served language, as a list.
fn word_terms(word: &str) -> Vec<String> {
    let mut out = String::new();
    push_word_terms(&mut out, word, served_stemmers());
    out.split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A parsed search query: every word must match; a word matches through any of its terms
/// (its folded form or its stem in any served language). Terms are plain `[a-z0-9]+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub words: Vec<Vec<String>>,
}

impl Query {
    /// Parses free text typed by a person. Operators and quotes of any search syntax are just
    /// separators here, so nothing a user types can change the query's structure.
    pub fn parse(q: &str) -> Query {
        let mut seen = HashSet::new();
        let words = words(q)
            .filter(|w| seen.insert(fold(w)))
            .take(MAX_QUERY_WORDS)
            .map(|w| word_terms(&w))
            .filter(|terms| !terms.is_empty())
            .collect();
        Query { words }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// FTS5 MATCH expression: `("a" OR "b") AND ("c")`. Terms are `[a-z0-9]+`, quoted anyway.
    pub fn to_fts5(&self) -> String {
        self.join(" AND ", " OR ", |t| format!("\"{t}\""))
    }

    /// PostgreSQL `to_tsquery('simple', …)` expression: `(a | b) & (c)`.
    pub fn to_tsquery(&self) -> String {
        self.join(" & ", " | ", |t| format!("'{t}'"))
    }

    fn join(&self, and: &str, or: &str, quote: impl Fn(&str) -> String) -> String {
        self.words
            .iter()
            .map(|terms| {
                let alts: Vec<String> = terms.iter().map(|t| quote(t)).collect();
                format!("({})", alts.join(or))
            })
            .collect::<Vec<_>>()
            .join(and)
    }

    /// Whether `word` (as written in a text) matches one of the query's words.
    fn matches_word(&self, word: &str) -> bool {
        let (stemmers, tag) = stemmers_for(None);
        let mut terms = String::new();
        TERM_CACHE.with_borrow_mut(|cache| {
            let mut lower = String::new();
            cache.push(&mut terms, tag, lowercase(word, &mut lower), stemmers);
        });
        terms
            .split(' ')
            .any(|t| self.words.iter().any(|alts| alts.iter().any(|a| a == t)))
    }

    /// About `max_chars` of `text` around the first word that matches, with the matches marked
    /// `[like this]`. Falls back to the start of the text.
    pub fn snippet(&self, text: &str, max_chars: usize) -> String {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else if let Some(s) = start.take()
                && self.matches_word(&text[s..i])
            {
                spans.push((s, i));
            }
        }
        let first = spans.first().map(|&(s, _)| s).unwrap_or(0);
        // Begin a little before the first hit, on a char boundary.
        let lead = max_chars / 4;
        let from = text[..first]
            .char_indices()
            .rev()
            .nth(lead.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let to = text[from..]
            .char_indices()
            .nth(max_chars)
            .map(|(i, _)| from + i)
            .unwrap_or(text.len());
        let mut out = String::with_capacity(to - from + 8);
        if from > 0 {
            out.push('…');
        }
        let mut pos = from;
        for &(s, e) in spans.iter().filter(|&&(s, e)| s >= from && e <= to) {
            out.push_str(&text[pos..s]);
            out.push('[');
            out.push_str(&text[s..e]);
            out.push(']');
            pos = e;
        }
        out.push_str(&text[pos..to]);
        if to < text.len() {
            out.push('…');
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matches(doc: &str, lang: Option<Language>, q: &str) -> bool {
        let indexed: HashSet<String> = index_text(doc, lang)
            .split(' ')
            .map(str::to_owned)
            .collect();
        let q = Query::parse(q);
        !q.is_empty()
            && q.words
                .iter()
                .all(|alts| alts.iter().any(|t| indexed.contains(t)))
    }

    #[test]
    fn folds_polish_and_romanian_diacritics() {
        assert_eq!(fold("pieniędzy"), "pieniedzy");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("rambursări"), "rambursari");
        assert_eq!(fold("mâine"), "maine");
        assert!(matches("Proszę o zwrot pieniedzy", None, "zwrot pieniędzy"));
        assert!(matches(
            "Proszę o zwrot pieniędzy",
            Some(Language::PL),
            "zwrot pieniedzy"
        ));
        assert!(matches(
            "Vreau rambursarea banilor",
            Some(Language::RO),
            "rambursare"
        ));
    }

    #[test]
    fn stems_in_the_served_languages() {
        assert!(matches(
            "I asked for refunds twice",
            Some(Language::EN),
            "refund"
        ));
        assert!(matches(
            "Paket saya belum dikirim",
            Some(Language::ID),
            "kirim"
        ));
        assert!(matches(
            "Zamówienie nie dotarło",
            Some(Language::PL),
            "zamówienia"
        ));
        assert!(!matches("Where is my parcel", Some(Language::EN), "refund"));
    }

    #[test]
    fn search_syntax_is_only_separators() {
        let q = Query::parse("\"refund\" OR * NEAR(a b) -x col:val");
        for alts in &q.words {
            for t in alts {
                assert!(
                    t.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                    "{t}"
                );
            }
        }
        assert!(Query::parse("\"* - ()").is_empty());
        assert_eq!(Query::parse("a b").to_fts5(), "(\"a\") AND (\"b\")");
    }

    #[test]
    fn snippet_marks_the_hit() {
        let q = Query::parse("zwrot");
        let s = q.snippet(
            "Dzień dobry, proszę o Zwrot pieniędzy za zamówienie 1043.",
            40,
        );
        assert!(s.contains("[Zwrot]"), "{s}");
    }

    /// The analyzer written the plain way (a set and new strings per word): the fast one must
    /// produce exactly its terms, or documents indexed before would stop matching.
    fn plain_index_text(text: &str, lang: Option<Language>) -> String {
        let stemmers: Vec<Stemmer> = match lang {
            None => served_stemmers().to_vec(),
            Some(l) => stemmers_for(Some(l)).0.to_vec(),
        };
        let fold_plain = |w: &str| -> String {
            if w.is_ascii() {
                return w.to_ascii_lowercase();
            }
            deunicode::deunicode(w)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let mut out: Vec<String> = Vec::new();
        for w in words(text) {
            let mut seen = HashSet::new();
            let mut terms = vec![fold_plain(&w)];
            if !w.chars().all(|c| c.is_ascii_digit()) {
                terms.extend(stemmers.iter().map(|s| fold_plain(&s.stem(&w))));
            }
            for t in terms {
                if !t.is_empty() && seen.insert(t.clone()) {
                    out.push(t);
                }
            }
        }
        out.join(" ")
    }

    #[test]
    fn same_terms_as_the_plain_analyzer() {
        for text in [
            "Proszę o zwrot pieniędzy za zamówienie 1043, ŁÓDŹ",
            "Vreau rambursarea banilor pentru comanda",
            "Paket saya belum dikirim, terima kasih",
            "Where is my parcel? REFUNDS refunded refunding",
            "ΟΔΟΣ Σίσυφος 北京 ß straße ǅ İstanbul",
        ] {
            for lang in [
                None,
                Some(Language::EN),
                Some(Language::PL),
                Some(Language::RO),
            ] {
                // Twice: the second time from the cache.
                assert_eq!(
                    index_text(text, lang),
                    plain_index_text(text, lang),
                    "{text}"
                );
                assert_eq!(
                    index_text(text, lang),
                    plain_index_text(text, lang),
                    "{text}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn fast_analyzer_matches_the_plain_one(
            s in "[a-zA-Z0-9ąćęłńóśźżăâîșțÀ-ÿΑ-ω .,!-]{0,120}",
            lang in prop::sample::select(vec![None, Some(Language::EN), Some(Language::ID),
                                              Some(Language::PL), Some(Language::RO)]),
        ) {
            prop_assert_eq!(index_text(&s, lang), plain_index_text(&s, lang));
        }

        #[test]
        fn analyzer_never_panics(s in "\\PC{0,200}") {
            let _ = index_text(&s, None);
            let q = Query::parse(&s);
            let _ = q.snippet(&s, 30);
            let _ = q.to_tsquery();
        }

        #[test]
        fn every_word_finds_its_own_text(w in "[a-zA-Ząćęłńóśźżăâîșț]{2,20}") {
            let doc = format!("x {} y", w);
            prop_assert!(matches(&doc, Some(Language::PL), &w));
        }
    }
}
