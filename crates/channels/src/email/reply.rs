//! Folding quoted history and signatures away for display. The full text is always stored; an
//! agent sees what the customer wrote this time, with the rest one click away. The rules cover
//! the clients our customers use, in the languages we serve (en/id/pl/ro) and their neighbours:
//! attribution lines ("On … wrote:", "Dnia … napisał(a):", "W dniu … pisze:", "Pada … menulis:",
//! "În … a scris:", "Le … a écrit :"), Outlook's "-----Original Message-----" and "From: … Sent:"
//! blocks, `>` quoting, and signatures ("-- ", "Sent from my iPhone", "Wysłane z …",
//! "Dikirim dari …", "Trimis de pe …"). Forwarded messages are not folded: what a customer
//! forwards (an order confirmation, a courier's mail) is the point of their message.

/// Splits a text body into what is new and what is folded away (quoted history, signature).
/// The new part has no trailing whitespace; the folded part starts at the first folded line.
/// Inline replies (answers between quoted lines) stay visible; only a trailing quote is folded.
pub fn split_reply(text: &str) -> (&str, &str) {
    let lines = Lines::new(text);
    let n = lines.len();
    // With `>` quoting the answer may sit below or between the quotes, so only the trailing
    // run of quotes folds; Outlook style puts the old message unquoted under a header, and
    // everything from the header on is history.
    let (mut cut, quote_style) = match first_quote_header(&lines) {
        Some((header, header_end)) => match (header_end..n).find(|&i| !lines.blank(i)) {
            Some(i) if lines.quoted(i) => (n, true),
            _ => (header, false),
        },
        None => (n, true),
    };
    // A signature or footer under the quote hides the quote's end from the first pass.
    for _ in 0..2 {
        if quote_style {
            cut = trailing_quote_start(&lines, cut);
        }
        cut = skip_up_over_separators(&lines, cut);
        if let Some(sig) = signature_start(&lines, cut) {
            cut = skip_up_over_separators(&lines, sig);
        }
    }
    let new_end = lines.offset(cut);
    // The folded part starts at its first non-blank line; blank lines between are dropped.
    let folded_start = (cut..n).find(|&i| !lines.blank(i)).unwrap_or(n);
    (
        text[..new_end].trim_end(),
        &text[lines.offset(folded_start)..],
    )
}

/// The text's lines with their byte offsets; `quoted` means a `>` quote marker.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < text.len()),
        );
        if text.is_empty() {
            starts.clear();
        }
        Lines { text, starts }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn offset(&self, i: usize) -> usize {
        self.starts.get(i).copied().unwrap_or(self.text.len())
    }

    fn get(&self, i: usize) -> &'a str {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        self.text[self.offset(i)..end].trim_end_matches(['\n', '\r'])
    }

    /// Trimmed of spaces, tabs and the non-breaking spaces mail clients indent with.
    fn trimmed(&self, i: usize) -> &'a str {
        self.get(i)
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
    }

    fn blank(&self, i: usize) -> bool {
        self.trimmed(i).is_empty()
    }

    fn quoted(&self, i: usize) -> bool {
        self.get(i).trim_start().starts_with('>')
    }
}

/// Words that end an attribution line: "wrote" in the languages a desk in our market meets.
const WROTE: &[&str] = &[
    "wrote",
    "writes",
    "napisał",
    "napisała",
    "napisał(a)",
    "napisałeś",
    "napisałaś",
    "pisze",
    "menulis",
    "a scris",
    "a écrit",
    "schrieb",
    "ha scritto",
    "scrisse",
    "escribió",
    "escreveu",
    "schreef",
    "skrev",
    "kirjoitti",
    "írta",
    "написал",
    "написала",
    "написал(а)",
];

/// Separator lines above an old message (compared without dashes, case-insensitive).
const ORIGINAL_MESSAGE: &[&str] = &[
    "original message",
    "wiadomość oryginalna",
    "oryginalna wiadomość",
    "mesaj original",
    "mesajul original",
    "pesan asli",
    "pesan aslinya",
    "message d'origine",
    "message original",
    "ursprüngliche nachricht",
    "originalnachricht",
    "messaggio originale",
    "mensaje original",
    "mensagem original",
    "oorspronkelijk bericht",
    "oprindelig besked",
    "opprinnelig melding",
    "ursprungligt meddelande",
    "alkuperäinen viesti",
    "исходное сообщение",
    "původní zpráva",
];

/// Lines that start a forwarded message: kept visible.
const FORWARDED: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "wiadomość przekazana dalej",
    "przekazana wiadomość",
    "mesaj redirecționat",
    "mesaj redirectionat",
    "pesan terusan",
    "pesan yang diteruskan",
    "weitergeleitete nachricht",
    "message transféré",
    "doorgestuurd bericht",
    "messaggio inoltrato",
    "mensaje reenviado",
    "mensagem encaminhada",
];

/// Header labels of a quoted "From: … Sent: … To: … Subject:" block; the first group names the
/// sender and must open the block.
const FROM_LABELS: &[&str] = &[
    "from",
    "von",
    "de",
    "de la",
    "van",
    "da",
    "od",
    "dari",
    "fra",
    "från",
    "lähettäjä",
    "от",
    "message du",
];
const OTHER_LABELS: &[&str] = &[
    "sent",
    "date",
    "to",
    "cc",
    "subject",
    "gesendet",
    "datum",
    "an",
    "betreff",
    "envoyé",
    "envoyé le",
    "à",
    "a",
    "objet",
    "sujet",
    "copie à",
    "verzonden",
    "aan",
    "onderwerp",
    "inviato",
    "oggetto",
    "wysłano",
    "wysłane",
    "data",
    "do",
    "temat",
    "dw",
    "dikirim",
    "tanggal",
    "kepada",
    "perihal",
    "subjek",
    "trimis",
    "către",
    "catre",
    "subiect",
    "dato",
    "til",
    "emne",
    "enviado",
    "enviada",
    "para",
    "asunto",
    "assunto",
    "skickat",
    "till",
    "ämne",
    "lähetetty",
    "vastaanottaja",
    "aihe",
    "отправлено",
    "кому",
    "тема",
    "дата",
];

/// Phrases mobile and webmail clients append; a line that is just one of these (plus a client
/// name or a link) is a signature, and what follows it is history.
const SENT_FROM: &[&str] = &[
    "sent from ",
    "sent with ",
    "sent via ",
    "get outlook for ",
    "wysłane z ",
    "wysłano z ",
    "wysłane przy użyciu ",
    "dikirim dari ",
    "dikirim melalui ",
    "dikirim dengan ",
    "trimis de pe ",
    "trimis din ",
    "trimis cu ",
    "trimis de ",
    "envoyé de mon ",
    "envoyé à partir de ",
    "envoyé depuis ",
    "von meinem ",
    "gesendet von ",
    "gesendet mit ",
    "inviato da ",
    "enviado desde ",
    "enviado do ",
    "verstuurd vanaf ",
    "verzonden vanaf ",
    "verzonden met ",
    "sendt fra ",
    "skickat från ",
    "lähetetty ",
    "отправлено с ",
];

/// Closing words that start a sign-off block.
const VALEDICTIONS: &[&str] = &[
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "with regards",
    "pozdrawiam",
    "z poważaniem",
    "pozdrowienia",
    "salam",
    "hormat saya",
    "salam hangat",
    "cu stimă",
    "cu stima",
    "cu respect",
    "cu drag",
];

/// The first line (not inside a `>` quote) that introduces quoted history, and the line after
/// its end (attribution lines wrap over up to three lines).
fn first_quote_header(lines: &Lines<'_>) -> Option<(usize, usize)> {
    for i in 0..lines.len() {
        if lines.blank(i) || lines.quoted(i) {
            continue;
        }
        if is_original_message_separator(lines.trimmed(i)) {
            return Some((i, i + 1));
        }
        if let Some(end) = header_block_end(lines, i) {
            if follows_forward_marker(lines, i) {
                continue;
            }
            return Some((i, end));
        }
        if let Some(end) = attribution_end(lines, i) {
            return Some((i, end));
        }
    }
    None
}

fn strip_decoration(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || "-_=*~—–".contains(c))
}

fn is_original_message_separator(line: &str) -> bool {
    let core = strip_decoration(line).to_lowercase();
    line.len() < 80
        && (line.starts_with("--") || line.starts_with("__") || line.starts_with("——"))
        && ORIGINAL_MESSAGE.iter().any(|p| core == *p)
}

fn is_forward_marker(line: &str) -> bool {
    let core = strip_decoration(line).trim_end_matches(':').to_lowercase();
    line.len() < 80 && FORWARDED.iter().any(|p| core == *p)
}

fn follows_forward_marker(lines: &Lines<'_>, i: usize) -> bool {
    (0..i)
        .rev()
        .find(|&j| !lines.blank(j))
        .is_some_and(|j| is_forward_marker(lines.trimmed(j)))
}

/// The label of a `Label: value` line (`*From:*` and `De :` included), lower case.
fn label_of(line: &str) -> Option<String> {
    let line = line.trim_start_matches('*');
    let colon = line.find(':')?;
    if colon == 0 || colon > 24 {
        return None;
    }
    let label = line[..colon]
        .trim()
        .trim_end_matches('*')
        .trim()
        .to_lowercase();
    (!label.is_empty() && label.split_whitespace().count() <= 2).then_some(label)
}

/// A "From: … / Sent: … / To: … / Subject: …" block opening at `i`: a sender label, then at
/// least two more known labels within the next six lines (values may wrap).
fn header_block_end(lines: &Lines<'_>, i: usize) -> Option<usize> {
    let first = label_of(lines.trimmed(i))?;
    if !FROM_LABELS.contains(&first.as_str()) {
        return None;
    }
    let mut others = 0;
    let mut end = i + 1;
    for j in i + 1..(i + 7).min(lines.len()) {
        if lines.blank(j) {
            if others >= 2 {
                break;
            }
            continue;
        }
        if let Some(label) = label_of(lines.trimmed(j))
            && OTHER_LABELS.contains(&label.as_str())
        {
            others += 1;
            end = j + 1;
        }
    }
    (others >= 2).then_some(end)
}

/// An attribution line at `i` ("On Tue, 3 Mar 2026 at 10:15, Ana <ana@x> wrote:"), possibly
/// wrapped over three lines; returns the line after it.
fn attribution_end(lines: &Lines<'_>, i: usize) -> Option<usize> {
    let first = lines.trimmed(i);
    let mut joined = String::new();
    for k in 0..3 {
        let j = i + k;
        if j >= lines.len() || lines.blank(j) {
            return None;
        }
        let part = lines.trimmed(j);
        // A wrapped address may leave just ">:" on the last line.
        if k > 0 && lines.quoted(j) && part.trim_start_matches('>').trim() != ":" {
            return None;
        }
        if k > 0 {
            // Only a line that did not end a sentence and already carries a date or an address
            // continues onto the next: a paragraph's last line must not pull it in.
            if first.ends_with(['.', '!', '?'])
                || !first.chars().any(|c| c.is_ascii_digit() || c == '@')
            {
                return None;
            }
            joined.push(' ');
        }
        joined.push_str(part);
        if joined.len() > 400 {
            return None;
        }
        if is_attribution(&joined) {
            return Some(j + 1);
        }
    }
    None
}

fn is_attribution(line: &str) -> bool {
    let core = strip_decoration(line);
    let lower = core.to_lowercase();
    let ends_colon = lower.ends_with(':');
    let body = lower.trim_end_matches(':').trim_end();
    let has_digit = lower.chars().any(|c| c.is_ascii_digit());
    let has_address = lower.contains('@');
    let ends_with_verb = WROTE.iter().any(|w| body.ends_with(w));
    if ends_with_verb {
        // "On Monday John wrote:" without a date is too weak unless it names an address.
        return has_digit || has_address;
    }
    // Dateline attributions without a verb: "30.09.2017, 18.30, Ana <ana@x>:",
    // "ср, 30 апр. 2025 г. в 15:19, Ana <ana@x>:".
    ends_colon && has_digit && has_address && lower.len() < 250
}

/// Where the trailing run of quoted and blank lines starts (`end` when there is none).
fn trailing_quote_start(lines: &Lines<'_>, end: usize) -> usize {
    let mut cut = end;
    let mut saw_quote = false;
    let mut i = end;
    // A signature the sender's client put under the quote ("--\nname") folds with it.
    let sig_floor = dash_signature_start(lines, 0, end).unwrap_or(end);
    while i > 0 {
        let j = i - 1;
        if j >= sig_floor || lines.blank(j) {
            i = j;
            continue;
        }
        if lines.quoted(j) || is_lazy_continuation(lines, j) {
            saw_quote |= lines.quoted(j);
            cut = j;
            i = j;
            continue;
        }
        // The attribution above the quote folds with it (blank lines may sit between, or its
        // last wrapped line may carry the `>`).
        if saw_quote {
            let reaches_cut = |e: usize| e >= cut || (e..cut).all(|k| lines.blank(k));
            if let Some(h) = (j.saturating_sub(2)..=j)
                .find(|&h| attribution_end(lines, h).is_some_and(reaches_cut))
            {
                cut = h;
            }
        }
        break;
    }
    if saw_quote { cut } else { end }
}

/// An unquoted line that is the rest of the quoted line above it: clients that hard-wrap a
/// quote at 76 columns leave the overflow without its `>`.
fn is_lazy_continuation(lines: &Lines<'_>, j: usize) -> bool {
    if j == 0 || lines.blank(j) || !lines.quoted(j - 1) {
        return false;
    }
    let above = lines.get(j - 1).trim_end();
    above.chars().count() >= 60 && !above.ends_with(['.', '?', '!', ':'])
}

/// A "-- " signature delimiter in `from..end` with a short block under it.
fn dash_signature_start(lines: &Lines<'_>, from: usize, end: usize) -> Option<usize> {
    (tail_floor(lines, end, 13).max(from)..end).find(|&i| lines.get(i).trim() == "--")
}

/// The first line from which at most `max_lines` non-blank lines remain before `end`: a
/// signature or sign-off can only start there, which keeps the search linear on hostile input.
fn tail_floor(lines: &Lines<'_>, end: usize, max_lines: usize) -> usize {
    let mut count = 0;
    let mut i = end;
    while i > 0 {
        if !lines.blank(i - 1) {
            count += 1;
            if count > max_lines {
                return i;
            }
        }
        i -= 1;
    }
    0
}

fn is_sent_from(line: &str) -> bool {
    // Drop a trailing "<https://…>" link the client adds.
    let line = match line.find('<') {
        Some(p) if line.ends_with('>') => line[..p].trim_end(),
        _ => line,
    };
    let lower = line.to_lowercase();
    line.chars().count() <= 60
        && !line.contains([',', '.', ';', '!', '?'])
        && SENT_FROM.iter().any(|p| lower.starts_with(p))
}

fn is_valediction(line: &str) -> bool {
    let core = line.trim_end_matches([',', '!', '.', ' ']).to_lowercase();
    VALEDICTIONS.contains(&core.as_str())
}

/// The start of the signature within the visible lines `0..end`, if there is one: a mobile
/// client's "Sent from …" line (what follows is history), a "-- " block, a line of underscores
/// over a short footer, or a sign-off ("Regards,") over a name and a title.
fn signature_start(lines: &Lines<'_>, end: usize) -> Option<usize> {
    let first_content = (0..end).find(|&j| !lines.blank(j)).unwrap_or(end);
    let has_content_before = |i: usize| first_content < i;
    let short_tail = |i: usize, max_lines: usize, max_chars: usize| {
        let tail: Vec<usize> = (i + 1..end).filter(|&j| !lines.blank(j)).collect();
        tail.len() <= max_lines
            && tail
                .iter()
                .all(|&j| lines.trimmed(j).chars().count() <= max_chars)
    };
    let mobile = (0..end).find(|&i| is_sent_from(lines.trimmed(i)));
    let dashes = dash_signature_start(lines, 0, end);
    let floor = tail_floor(lines, end, 7);
    let underscores = (floor..end).find(|&i| {
        let line = lines.trimmed(i);
        line.len() >= 2 && line.chars().all(|c| c == '_') && short_tail(i, 6, 100)
    });
    let sign_off = (floor..end).find(|&i| is_valediction(lines.trimmed(i)) && short_tail(i, 4, 60));
    [mobile, dashes, underscores, sign_off]
        .into_iter()
        .flatten()
        .filter(|&i| has_content_before(i))
        .min()
}

/// Moves a cut up over blank lines and decoration lines ("-----", "____", "====") that belong
/// to the quote below them.
fn skip_up_over_separators(lines: &Lines<'_>, mut cut: usize) -> usize {
    while cut > 0 {
        let line = lines.trimmed(cut - 1);
        let decoration = line.chars().count() >= 3 && strip_decoration(line).is_empty();
        if line.is_empty() || decoration {
            cut -= 1;
        } else {
            break;
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_we_serve() {
        let cases = [
            "Dnia 3 marca 2026 10:15 Sklep <sklep@shop.example> napisał(a):",
            "W dniu 03.03.2026 o 10:15, Sklep pisze:",
            "Pada tanggal 3 Mar 2026 pukul 10.15, Toko <toko@shop.example> menulis:",
            "În mar., 3 mar. 2026 la 10:15, Magazin <mag@shop.example> a scris:",
            "On Tue, 3 Mar 2026 at 10:15, Shop <shop@shop.example> wrote:",
            "Le mar. 3 mars 2026 à 10:15, Boutique <b@shop.example> a écrit :",
        ];
        for header in cases {
            let text = format!("Nowa treść.\n\n{header}\nStara treść.\n");
            let (new, quoted) = split_reply(&text);
            assert_eq!(new, "Nowa treść.", "{header}");
            assert!(quoted.starts_with(header), "{header}");
        }
    }

    #[test]
    fn signatures_in_our_languages() {
        for sig in [
            "Wysłane z iPhone'a",
            "Dikirim dari iPhone saya",
            "Trimis de pe iPhone-ul meu",
            "Sent from my iPhone",
        ] {
            let text = format!("Paczka nie dotarła\n\n{sig}\n");
            assert_eq!(split_reply(&text).0, "Paczka nie dotarła", "{sig}");
        }
        let text = "Dzień dobry,\nproszę o zwrot.\n\n-- \nAnna Kowalska\ntel. 600 000 000\n";
        assert_eq!(
            split_reply(text),
            (
                "Dzień dobry,\nproszę o zwrot.",
                "-- \nAnna Kowalska\ntel. 600 000 000\n"
            )
        );
    }

    #[test]
    fn outlook_blocks() {
        let text = "Terima kasih.\n\n-----Pesan Asli-----\nDari: Toko <t@x.example>\nDikirim: Senin\nKepada: saya\nPerihal: Pesanan\n\nIsi lama\n";
        assert_eq!(split_reply(text).0, "Terima kasih.");
        let text = "Mulțumesc.\n\nDe la: Magazin <m@x.example>\nTrimis: luni\nCătre: eu\nSubiect: Comanda\n\nVechi\n";
        assert_eq!(split_reply(text).0, "Mulțumesc.");
    }

    #[test]
    fn forwards_stay_visible_and_plain_text_is_untouched() {
        let text = "See below.\n\n---------- Forwarded message ---------\nFrom: Courier <c@x.example>\nDate: Mon\nSubject: Parcel\nTo: me\n\nParcel 123 delivered.\n";
        assert_eq!(split_reply(text).0, text.trim_end());
        assert_eq!(split_reply("Just one line"), ("Just one line", ""));
        assert_eq!(split_reply(""), ("", ""));
    }

    #[test]
    fn inline_answers_stay_visible() {
        let text = "On Mon, 2 Mar 2026, Shop <s@x.example> wrote:\n> Which size?\nM please.\n> Which colour?\nBlue.\n\n> Thanks\n> Shop\n";
        let (new, quoted) = split_reply(text);
        assert_eq!(
            new,
            "On Mon, 2 Mar 2026, Shop <s@x.example> wrote:\n> Which size?\nM please.\n> Which colour?\nBlue."
        );
        assert_eq!(quoted, "> Thanks\n> Shop\n");
    }
}
