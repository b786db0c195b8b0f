//! The real mail corpus (`../shared/corpus/mail`, or `$TRUSTDESK_CORPUS/mail`) through the
//! inbound endpoint: every message is stored or rejected with a reason — never a 5xx — and no
//! bounce, feedback report or automatic reply opens a ticket (so none can be acknowledged).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use futures::StreamExt;

use crate::helpers::spawn_app;

fn corpus() -> PathBuf {
    let base = std::env::var_os("TRUSTDESK_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let dir = base.join("mail");
    assert!(
        dir.is_dir(),
        "the mail corpus is missing at {} (it belongs at ../shared/corpus relative to the repository root)",
        dir.display()
    );
    dir
}

fn mail_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            mail_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "eml" || e == "box") {
            out.push(path);
        }
    }
}

/// sisimai's labels: file (relative to its folder) → bounce / feedback-report / auto-reply /
/// not-bounce.
fn sisimai_labels(dir: &Path) -> HashMap<PathBuf, String> {
    let text = std::fs::read_to_string(dir.join("category_labels.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, c)| (dir.join(f), c.trim().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_mail_is_stored_or_rejected_and_no_machine_opens_a_ticket() {
    let root = corpus();
    let mut files = Vec::new();
    mail_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 800,
        "only {} mails in the corpus",
        files.len()
    );
    let labels = sisimai_labels(&root.join("sisimai-bounces"));
    let app = spawn_app().await;

    let results: Vec<(PathBuf, u16, serde_json::Value)> =
        futures::stream::iter(files.into_iter().map(|path| {
            let app = &app;
            async move {
                let raw = std::fs::read(&path).unwrap();
                let r = app.deliver(&raw).await;
                (path, r.status.as_u16(), r.body)
            }
        }))
        .buffer_unordered(8)
        .collect()
        .await;

    let mut actions: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut machine_tickets = Vec::new();
    for (path, status, body) in &results {
        if *status != 200 {
            failures.push(format!("{}: {status} {body}", path.display()));
            continue;
        }
        let action = body["action"].as_str().unwrap_or("?").to_owned();
        if action == "rejected" {
            assert!(
                body["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{}: rejected without a reason",
                path.display()
            );
        }
        if let Some(label) = labels.get(path)
            && label != "not-bounce"
            && action == "created"
        {
            machine_tickets.push(format!("{} ({label})", path.display()));
        }
        *actions.entry(action).or_default() += 1;
    }
    println!("corpus through the inbound endpoint: {actions:?}");
    assert!(failures.is_empty(), "not stored: {failures:#?}");
    assert!(
        machine_tickets.is_empty(),
        "machine mail opened tickets: {machine_tickets:#?}"
    );
    for a in ["created", "bounce", "feedback_report", "auto_reply"] {
        assert!(
            actions.get(a).is_some_and(|n| *n > 0),
            "no {a} in {actions:?}"
        );
    }
}
