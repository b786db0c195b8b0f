//! Which of the languages we serve a customer wrote in, so the acknowledgement, the bot and the
//! agent's templates answer in it. Only en/id/pl/ro models are compiled in: all of lingua's
//! languages make a 291 MB binary, and with Malay enabled "terima kasih" comes out Malay.

use std::sync::LazyLock;

use lingua::{Language as Lingua, LanguageDetector, LanguageDetectorBuilder};
use trustdesk_domain::Language;

/// The detector is only asked about this much text: the first paragraphs decide, and a long
/// quoted thread below them would only cost time.
const MAX_CHARS: usize = 2_000;

/// Below this confidence for the best language we say "don't know" and let the caller fall
/// back to the customer's known language or the shop's default.
const MIN_CONFIDENCE: f64 = 0.5;

static DETECTOR: LazyLock<LanguageDetector> = LazyLock::new(|| {
    LanguageDetectorBuilder::from_languages(&[
        Lingua::English,
        Lingua::Indonesian,
        Lingua::Polish,
        Lingua::Romanian,
    ])
    .build()
});

/// The language of `text` among en/id/pl/ro, or `None` when the text is too short, in another
/// language, or the evidence is not clear enough.
pub fn detect_language(text: &str) -> Option<Language> {
    let sample: String = text.chars().take(MAX_CHARS).collect();
    if !sample.chars().any(char::is_alphabetic) {
        return None;
    }
    let values = DETECTOR.compute_language_confidence_values(&sample);
    let (best, confidence) = values.first()?;
    if *confidence < MIN_CONFIDENCE {
        return None;
    }
    Some(match best {
        Lingua::English => Language::EN,
        Lingua::Indonesian => Language::ID,
        Lingua::Polish => Language::PL,
        Lingua::Romanian => Language::RO,
        // Reachable when another crate in the build enables more lingua languages (features
        // unify); we still only answer with the languages we serve.
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_customer_phrases() {
        let cases = [
            ("terima kasih", Language::ID),
            (
                "Terima kasih, pesanan saya belum sampai sampai hari ini.",
                Language::ID,
            ),
            (
                "Barangnya rusak, saya mau minta pengembalian dana",
                Language::ID,
            ),
            (
                "Dzień dobry, moja paczka jeszcze nie dotarła.",
                Language::PL,
            ),
            (
                "Dzien dobry, moja paczka jeszcze nie dotarla.",
                Language::PL,
            ),
            ("Proszę o zwrot pieniędzy za uszkodzony towar", Language::PL),
            ("Prosze o zwrot pieniedzy za uszkodzony towar", Language::PL),
            ("Bună ziua, coletul meu nu a ajuns încă.", Language::RO),
            ("Buna ziua, coletul meu nu a ajuns inca.", Language::RO),
            ("Vă mulțumesc, aștept rambursarea banilor.", Language::RO),
            ("Va multumesc, astept rambursarea banilor.", Language::RO),
            ("Hello, my parcel has not arrived yet.", Language::EN),
            (
                "Where is my refund? I returned the item two weeks ago.",
                Language::EN,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_language(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn no_letters_or_other_scripts_are_unknown() {
        assert_eq!(detect_language(""), None);
        assert_eq!(detect_language("12345 !!! ??"), None);
        assert_eq!(
            detect_language("ありがとうございます、荷物はまだ届いていません。"),
            None
        );
    }
}
