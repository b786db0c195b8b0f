//! The one text analyzer behind search on every backend: split into words, lower-case, fold
//! diacritics ("pieniędzy" → "pieniedzy"), and stem in the languages we serve. The database's
//! own full-text index (FTS5, tsvector) only ever sees the words this module produces, so both
//! backends find the same things and no search syntax from a user reaches the database.

use std::collections::HashSet;

use frostem::{Algorithm, Stemmer};

use crate::customer::Language;

/// Words longer than this are not indexed (hashes, base64 junk, URLs run together).
const MAX_WORD_CHARS: usize = 48;
/// A query uses at most this many words; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 12;

fn stemmer_for(lang: Language) -> Option<Stemmer> {
    let alg = match lang {
        Language::EN => Algorithm::English,
        Language::ID => Algorithm::Indonesian,
        Language::PL => Algorithm::Polish,
        Language::RO => Algorithm::Romanian,
        _ => return None,
    };
    Some(Stemmer::new(alg))
}

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
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
        .map(str::to_lowercase)
}

/// Diacritics folded to ASCII ("ł" → "l", "ș" → "s", "ß" → "ss"); only letters and digits kept.
pub fn fold(word: &str) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    deunicode::deunicode(word)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn push_unique(out: &mut Vec<String>, seen: &mut HashSet<String>, term: String) {
    if !term.is_empty() && seen.insert(term.clone()) {
        out.push(term);
    }
}

/// The terms of one word: its folded form, then its folded stems.
fn word_terms(word: &str, stemmers: &[Stemmer]) -> Vec<String> {
    let mut out = Vec::with_capacity(1 + stemmers.len());
    let mut seen = HashSet::new();
    push_unique(&mut out, &mut seen, fold(word));
    if !word.chars().all(|c| c.is_ascii_digit()) {
        for s in stemmers {
            push_unique(&mut out, &mut seen, fold(&s.stem(word)));
        }
    }
    out
}

/// The text as the full-text index stores it: space-separated terms, each word as its folded
/// form followed by its stem in `lang` (in all served languages when `lang` is unknown).
pub fn index_text(text: &str, lang: Option<Language>) -> String {
    let one;
    let stemmers: &[Stemmer] = match lang {
        Some(l) => match stemmer_for(l) {
            Some(s) => {
                one = [s];
                &one
            }
            None => &[],
        },
        None => served_stemmers(),
    };
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for w in words(text) {
        for t in word_terms(&w, stemmers) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
    }
    out
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
            .map(|w| word_terms(&w, served_stemmers()))
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
        let lower = word.to_lowercase();
        let terms = word_terms(&lower, served_stemmers());
        self.words
            .iter()
            .any(|alts| alts.iter().any(|a| terms.contains(a)))
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

    proptest! {
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
