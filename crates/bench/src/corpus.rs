//! A believable, deterministic stream of shop-support conversations in English, Indonesian,
//! Polish and Romanian: the data behind the search and throughput benchmarks. Same seed, same
//! data, so figures from two runs (or two machines) are comparable.

use rand::Rng;
use rand::rngs::StdRng;
use trustdesk_domain::Language;

/// One language's phrase book. `{order}`, `{product}`, `{courier}`, `{days}`, `{name}` are
/// filled per message.
struct PhraseBook {
    lang: Language,
    subjects: &'static [&'static str],
    customer: &'static [&'static str],
    agent: &'static [&'static str],
    filler: &'static [&'static str],
    names: &'static [&'static str],
}

const EN: PhraseBook = PhraseBook {
    lang: Language::EN,
    subjects: &[
        "Where is my order {order}?",
        "Refund for order {order}",
        "Damaged {product} in parcel",
        "Wrong item received",
        "Missing item from order {order}",
        "Question about warranty",
        "Invoice for order {order}",
        "Cancel my order",
        "Parcel marked delivered but not received",
        "Discount code does not work",
    ],
    customer: &[
        "Hello, I ordered the {product} {days} days ago (order {order}) and it still has not arrived. The {courier} tracking has not moved since Monday.",
        "I would like a refund for order {order}. The {product} stopped working after two days.",
        "The box arrived damaged and the {product} inside is cracked. I attach photos of the packaging.",
        "I received a different item than the one I ordered. Order {order} says {product} but I got something else.",
        "One item is missing from my parcel. I paid for two {product} and only one was in the box.",
        "Is the {product} still under warranty? I bought it last year with order {order}.",
        "Please send me an invoice with my company details for order {order}.",
        "Please cancel order {order}, I ordered the wrong size of {product}.",
        "The {courier} app says the parcel was delivered yesterday, but nobody rang and there is nothing at my door.",
        "The discount code from your newsletter gives an error at checkout.",
        "Thank you for the quick answer, {name} here again. Any news about my {product}?",
        "I am still waiting for the refund you promised {days} days ago.",
    ],
    agent: &[
        "Hi {name}, thank you for writing. I checked order {order}: the parcel left our warehouse and {courier} expects to deliver it within {days} business days.",
        "I am sorry about the damaged {product}. We will send a replacement today at no cost.",
        "Your refund for order {order} has been approved and will reach your account within 3 business days.",
        "I have asked {courier} to investigate the delivery. I will write to you again tomorrow by 10:00.",
        "The invoice for order {order} is attached. Please let us know if anything needs correcting.",
        "I cancelled order {order}; the payment will be returned to your card.",
    ],
    filler: &[
        "Best regards.",
        "Thanks in advance.",
        "Kind regards,",
        "Have a nice day.",
        "Sent from my phone.",
        "Looking forward to your reply.",
    ],
    names: &[
        "Emma", "James", "Olivia", "Liam", "Sophie", "Noah", "Grace", "Oliver",
    ],
};

const ID: PhraseBook = PhraseBook {
    lang: Language::ID,
    subjects: &[
        "Pesanan {order} belum sampai",
        "Pengembalian dana pesanan {order}",
        "Barang rusak saat diterima",
        "Barang yang dikirim salah",
        "Ada barang yang kurang di paket",
        "Pertanyaan garansi {product}",
        "Minta faktur pesanan {order}",
        "Batalkan pesanan saya",
        "Paket tertulis terkirim tapi belum diterima",
        "Kode diskon tidak bisa dipakai",
    ],
    customer: &[
        "Halo kak, saya pesan {product} sudah {days} hari (pesanan {order}) tapi belum sampai. Resi {courier} tidak bergerak sejak Senin.",
        "Saya minta pengembalian dana untuk pesanan {order}. {product} rusak setelah dua hari dipakai.",
        "Paketnya datang dalam keadaan penyok dan {product} di dalamnya pecah. Saya lampirkan foto.",
        "Barang yang saya terima berbeda dengan pesanan. Di pesanan {order} tertulis {product}.",
        "Ada satu barang yang kurang. Saya bayar dua {product} tapi yang datang cuma satu.",
        "Apakah {product} masih bergaransi? Saya beli tahun lalu dengan pesanan {order}.",
        "Tolong kirimkan faktur atas nama perusahaan untuk pesanan {order}.",
        "Tolong batalkan pesanan {order}, saya salah pilih ukuran {product}.",
        "Di aplikasi {courier} paket sudah diterima kemarin, tapi tidak ada apa-apa di rumah.",
        "Kode diskon dari newsletter tidak bisa dipakai saat bayar.",
        "Terima kasih atas jawabannya, ini {name} lagi. Ada kabar soal {product} saya?",
        "Saya masih menunggu pengembalian dana yang dijanjikan {days} hari yang lalu.",
    ],
    agent: &[
        "Halo kak {name}, terima kasih sudah menghubungi kami. Pesanan {order} sudah dikirim dan {courier} memperkirakan tiba dalam {days} hari kerja.",
        "Mohon maaf atas {product} yang rusak. Kami kirim pengganti hari ini tanpa biaya.",
        "Pengembalian dana untuk pesanan {order} sudah disetujui dan masuk ke rekening dalam 3 hari kerja.",
        "Kami sudah minta {courier} memeriksa pengiriman. Besok jam 10 kami kabari lagi.",
        "Faktur pesanan {order} terlampir. Kabari kami jika ada yang perlu diperbaiki.",
        "Pesanan {order} sudah kami batalkan; dana akan dikembalikan.",
    ],
    filler: &[
        "Terima kasih.",
        "Mohon dibantu ya kak.",
        "Salam,",
        "Ditunggu kabarnya.",
        "Dikirim dari HP saya.",
    ],
    names: &[
        "Siti", "Budi", "Dewi", "Agus", "Rina", "Putri", "Andi", "Wulan",
    ],
};

const PL: PhraseBook = PhraseBook {
    lang: Language::PL,
    subjects: &[
        "Gdzie jest moje zamówienie {order}?",
        "Zwrot pieniędzy za zamówienie {order}",
        "Uszkodzony {product} w paczce",
        "Otrzymałem niewłaściwy produkt",
        "Brakuje produktu w zamówieniu {order}",
        "Pytanie o gwarancję",
        "Faktura do zamówienia {order}",
        "Anulowanie zamówienia",
        "Paczka oznaczona jako doręczona, ale jej nie ma",
        "Kod rabatowy nie działa",
    ],
    customer: &[
        "Dzień dobry, zamówiłem {product} {days} dni temu (zamówienie {order}) i nadal nie dotarło. Śledzenie {courier} stoi od poniedziałku.",
        "Proszę o zwrot pieniędzy za zamówienie {order}. {product} przestał działać po dwóch dniach.",
        "Paczka przyszła uszkodzona, a {product} w środku jest pęknięty. Załączam zdjęcia opakowania.",
        "Dostałem inny produkt niż zamówiłem. W zamówieniu {order} jest {product}.",
        "W paczce brakuje jednego produktu. Zapłaciłem za dwa {product}, a w pudełku był jeden.",
        "Czy {product} jest jeszcze na gwarancji? Kupiłem go w zeszłym roku, zamówienie {order}.",
        "Proszę o fakturę na firmę do zamówienia {order}.",
        "Proszę anulować zamówienie {order}, wybrałem zły rozmiar {product}.",
        "Aplikacja {courier} pokazuje, że paczka została doręczona wczoraj, ale nikt nie dzwonił i paczki nie ma.",
        "Kod rabatowy z newslettera wyświetla błąd przy płatności.",
        "Dziękuję za szybką odpowiedź, tu znowu {name}. Czy są nowe informacje o moim {product}?",
        "Nadal czekam na zwrot pieniędzy obiecany {days} dni temu.",
    ],
    agent: &[
        "Dzień dobry {name}, dziękujemy za wiadomość. Sprawdziłam zamówienie {order}: paczka opuściła magazyn, a {courier} doręczy ją w ciągu {days} dni roboczych.",
        "Przepraszamy za uszkodzony {product}. Jeszcze dziś wyślemy nowy bez dodatkowych kosztów.",
        "Zwrot pieniędzy za zamówienie {order} został zatwierdzony i wpłynie na konto w ciągu 3 dni roboczych.",
        "Poprosiłam {courier} o wyjaśnienie doręczenia. Odezwę się jutro do 10:00.",
        "W załączniku faktura do zamówienia {order}.",
        "Anulowaliśmy zamówienie {order}; płatność wróci na kartę.",
    ],
    filler: &[
        "Pozdrawiam.",
        "Z góry dziękuję.",
        "Miłego dnia.",
        "Wysłane z telefonu.",
        "Czekam na odpowiedź.",
    ],
    names: &[
        "Anna",
        "Piotr",
        "Katarzyna",
        "Tomasz",
        "Magdalena",
        "Michał",
        "Agnieszka",
        "Paweł",
    ],
};

const RO: PhraseBook = PhraseBook {
    lang: Language::RO,
    subjects: &[
        "Unde este comanda mea {order}?",
        "Rambursare pentru comanda {order}",
        "{product} deteriorat în colet",
        "Am primit alt produs",
        "Lipsește un produs din comanda {order}",
        "Întrebare despre garanție",
        "Factură pentru comanda {order}",
        "Anulare comandă",
        "Coletul apare livrat dar nu l-am primit",
        "Codul de reducere nu funcționează",
    ],
    customer: &[
        "Bună ziua, am comandat {product} acum {days} zile (comanda {order}) și încă nu a ajuns. Urmărirea {courier} nu s-a mișcat de luni.",
        "Aș dori rambursarea banilor pentru comanda {order}. {product} nu mai funcționează după două zile.",
        "Coletul a ajuns deteriorat și {product} din interior este crăpat. Atașez fotografii.",
        "Am primit alt produs decât cel comandat. În comanda {order} scrie {product}.",
        "Lipsește un produs din colet. Am plătit două {product} și în cutie a fost doar unul.",
        "Mai este {product} în garanție? L-am cumpărat anul trecut, comanda {order}.",
        "Vă rog să-mi trimiteți factura pe firmă pentru comanda {order}.",
        "Vă rog să anulați comanda {order}, am ales mărimea greșită la {product}.",
        "Aplicația {courier} spune că coletul a fost livrat ieri, dar nu a sunat nimeni și nu am primit nimic.",
        "Codul de reducere din newsletter dă eroare la plată.",
        "Mulțumesc pentru răspuns, sunt tot {name}. Aveți vești despre {product}?",
        "Încă aștept rambursarea promisă acum {days} zile.",
    ],
    agent: &[
        "Bună ziua {name}, vă mulțumim pentru mesaj. Comanda {order} a plecat din depozit și {courier} estimează livrarea în {days} zile lucrătoare.",
        "Ne pare rău pentru {product} deteriorat. Trimitem astăzi un produs nou, fără costuri.",
        "Rambursarea pentru comanda {order} a fost aprobată și ajunge în cont în 3 zile lucrătoare.",
        "Am cerut {courier} să verifice livrarea. Revin mâine până la ora 10.",
        "Factura pentru comanda {order} este atașată.",
        "Am anulat comanda {order}; plata va fi returnată pe card.",
    ],
    filler: &[
        "Mulțumesc.",
        "Cu stimă,",
        "O zi bună.",
        "Trimis de pe telefon.",
        "Aștept răspunsul dumneavoastră.",
    ],
    names: &[
        "Ioana",
        "Andrei",
        "Maria",
        "Mihai",
        "Elena",
        "Alexandru",
        "Ana",
        "Cristian",
    ],
};

const BOOKS: [&PhraseBook; 4] = [&EN, &ID, &PL, &RO];

const PRODUCTS: &[&str] = &[
    "kettle",
    "headphones",
    "backpack",
    "phone case",
    "blender",
    "sneakers",
    "desk lamp",
    "coffee grinder",
    "power bank",
    "yoga mat",
    "batik shirt",
    "thermos",
    "wireless mouse",
    "baby stroller",
    "rice cooker",
    "air fryer",
];
const COURIERS: &[&str] = &[
    "InPost",
    "DPD",
    "DHL",
    "JNE",
    "J&T",
    "SiCepat",
    "Fan Courier",
    "Sameday",
    "Poczta Polska",
];

/// One generated conversation: who writes, in which language, and its messages (the first
/// from the customer, then alternating agent and customer).
#[derive(Debug, Clone)]
pub struct Conversation {
    pub language: Language,
    pub customer_email: String,
    pub customer_name: String,
    pub subject: String,
    pub messages: Vec<String>,
}

fn fill(template: &str, rng: &mut StdRng, order: u32, name: &str) -> String {
    let product = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
    let courier = COURIERS[rng.random_range(0..COURIERS.len())];
    let days = rng.random_range(2..15u32);
    template
        .replace("{order}", &order.to_string())
        .replace("{product}", product)
        .replace("{courier}", courier)
        .replace("{days}", &days.to_string())
        .replace("{name}", name)
}

fn pick<'a>(items: &'a [&'a str], rng: &mut StdRng) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// Conversation number `i`, with `messages` messages, drawn from `rng`. Customers repeat
/// (`customers` distinct addresses), as real shops see returning buyers.
pub fn conversation(rng: &mut StdRng, i: u64, messages: usize, customers: u64) -> Conversation {
    let book = BOOKS[rng.random_range(0..BOOKS.len())];
    let name = pick(book.names, rng);
    let customer_no = rng.random_range(0..customers.max(1));
    let order = 100_000 + (i as u32 % 900_000);
    let subject = fill(pick(book.subjects, rng), rng, order, name);
    let mut out = Vec::with_capacity(messages);
    for m in 0..messages.max(1) {
        let lines = if m % 2 == 0 {
            book.customer
        } else {
            book.agent
        };
        let mut text = fill(pick(lines, rng), rng, order, name);
        if rng.random_bool(0.5) {
            text.push_str("\n\n");
            text.push_str(pick(book.filler, rng));
        }
        if m % 2 == 0 {
            text.push('\n');
            text.push_str(name);
        }
        out.push(text);
    }
    Conversation {
        language: book.lang,
        customer_email: format!("customer{customer_no}@shopper.example"),
        customer_name: name.to_owned(),
        subject,
        messages: out,
    }
}

/// Query words of different frequencies across the four languages, for the search benchmark.
pub const SEARCH_WORDS: &[&str] = &[
    "refund",
    "zwrot",
    "rambursare",
    "pengembalian",
    "damaged",
    "uszkodzony",
    "deteriorat",
    "rusak",
    "invoice",
    "faktura",
    "warranty",
    "gwarancję",
    "garanție",
    "courier",
    "InPost",
    "Sameday",
    "kettle",
    "thermos",
    "newsletter",
    "cancel",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn same_seed_same_data_and_all_languages_appear() {
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        let mut langs = std::collections::HashSet::new();
        for i in 0..200 {
            let x = conversation(&mut a, i, 4, 50);
            let y = conversation(&mut b, i, 4, 50);
            assert_eq!(x.messages, y.messages);
            assert_eq!(x.messages.len(), 4);
            assert!(!x.subject.contains('{'), "{}", x.subject);
            assert!(x.messages.iter().all(|m| !m.contains('{')));
            langs.insert(x.language);
        }
        assert_eq!(langs.len(), 4);
    }
}
