//! `trustdesk import mail PATH…`: mail from an old system through the same intake as the
//! inbound endpoint, straight on the store. Takes mbox files, Maildir folders (Maildir++
//! subfolders included) and folders of `.eml` files (any file that is not an mbox is one mail).
//! Mail is taken in the order found (mbox order, file names sorted), one at a time, so a reply
//! always finds the ticket its original opened; a second run finds every mail a duplicate.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use trustdesk_server::intake::{Action, MailIntake};
use trustdesk_store::Actor;

/// One place mail is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file holding one mail.
    Single(PathBuf),
    /// An mbox file and how many mails it holds.
    Mbox(PathBuf, u64),
}

impl Source {
    fn count(&self) -> u64 {
        match self {
            Source::Single(_) => 1,
            Source::Mbox(_, n) => *n,
        }
    }
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// mbox files start with a `From ` separator line; a mail never does.
fn mbox_count(path: &Path) -> anyhow::Result<Option<u64>> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = [0u8; 5];
    let n = f.read(&mut head)?;
    if &head[..n] != b"From " {
        return Ok(None);
    }
    let reader = BufReader::new(File::open(path)?);
    let mut count = 0;
    for line in reader.split(b'\n') {
        if line?.starts_with(b"From ") {
            count += 1;
        }
    }
    Ok(Some(count))
}

fn file_source(path: &Path) -> anyhow::Result<Source> {
    Ok(match mbox_count(path)? {
        Some(n) => Source::Mbox(path.to_owned(), n),
        None => Source::Single(path.to_owned()),
    })
}

fn walk(path: &Path, out: &mut Vec<Source>) -> anyhow::Result<()> {
    if path.is_file() {
        out.push(file_source(path)?);
        return Ok(());
    }
    if !path.is_dir() {
        anyhow::bail!("{} is neither a file nor a folder", path.display());
    }
    if is_maildir(path) {
        // New mail after mail already seen; `tmp` holds deliveries in progress.
        for sub in ["cur", "new"] {
            for f in sorted_entries(&path.join(sub))? {
                if f.is_file() {
                    out.push(Source::Single(f));
                }
            }
        }
        // Maildir++ folders (`.Sent`, `.Archive.2024`) are maildirs inside.
        for d in sorted_entries(path)? {
            if d.is_dir() && is_maildir(&d) {
                walk(&d, out)?;
            }
        }
        return Ok(());
    }
    for entry in sorted_entries(path)? {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') && !entry.is_dir() {
            continue;
        }
        walk(&entry, out)?;
    }
    Ok(())
}

/// Everything under the paths, in the order it is taken in.
pub fn sources(paths: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    Ok(out)
}

/// Mails per action, and mails the store failed on.
#[derive(Debug, Default)]
pub struct Summary {
    pub actions: BTreeMap<&'static str, u64>,
    pub failed: u64,
}

impl Summary {
    pub fn total(&self) -> u64 {
        self.actions.values().sum::<u64>() + self.failed
    }

    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("imported {} mails:", self.total())];
        for a in Action::ALL {
            if let Some(n) = self.actions.get(a.as_str()) {
                lines.push(format!("  {:<16} {n}", a.as_str()));
            }
        }
        if self.failed > 0 {
            lines.push(format!("  {:<16} {}", "failed", self.failed));
        }
        lines
    }
}

pub async fn import(
    intake: &MailIntake,
    sources: &[Source],
    progress: bool,
) -> anyhow::Result<Summary> {
    let total: u64 = sources.iter().map(Source::count).sum();
    let bar = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} mails  {per_sec}  eta {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let actor = Actor::system();
    let mut summary = Summary::default();
    let mut take = async |raw: Vec<u8>, whence: &str| {
        match intake.ingest(raw, &actor).await {
            Ok(o) => *summary.actions.entry(o.action.as_str()).or_default() += 1,
            Err(e) => {
                summary.failed += 1;
                bar.println(format!("{whence}: not stored: {e}"));
            }
        }
        bar.inc(1);
    };
    for source in sources {
        match source {
            Source::Single(path) => {
                let raw = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                take(raw, &path.display().to_string()).await;
            }
            Source::Mbox(path, _) => {
                let reader = BufReader::new(
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
                );
                for (i, mail) in
                    mail_parser::mailbox::mbox::MessageIterator::new(reader).enumerate()
                {
                    let mail = mail.with_context(|| format!("cannot read {}", path.display()))?;
                    take(
                        mail.unwrap_contents(),
                        &format!("{} mail {}", path.display(), i + 1),
                    )
                    .await;
                }
            }
        }
    }
    bar.finish_and_clear();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mbox_maildir_and_eml_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("archive.mbox"),
            "From a@b Mon Nov 23 10:00:00 2026\nSubject: 1\n\nx\n\nFrom c@d Mon Nov 23 10:01:00 2026\nSubject: 2\n\n>From here\n",
        )
        .unwrap();
        let md = root.join("Maildir");
        for d in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
            std::fs::create_dir_all(md.join(d)).unwrap();
        }
        std::fs::write(md.join("cur/1.host:2,S"), "Subject: a\n\nx\n").unwrap();
        std::fs::write(md.join("new/2.host"), "Subject: b\n\nx\n").unwrap();
        std::fs::write(md.join("tmp/3.host"), "Subject: in delivery\n\nx\n").unwrap();
        std::fs::write(md.join("dovecot-uidlist"), "3 V1 N2\n").unwrap();
        std::fs::write(md.join(".Sent/cur/4.host:2,S"), "Subject: sent\n\nx\n").unwrap();
        std::fs::create_dir(root.join("eml")).unwrap();
        std::fs::write(root.join("eml/b.eml"), "Subject: b\n\nx\n").unwrap();
        std::fs::write(root.join("eml/a.eml"), "Subject: a\n\nx\n").unwrap();

        let found = sources(&[root.to_owned()]).unwrap();
        assert_eq!(
            found,
            [
                Source::Single(md.join("cur/1.host:2,S")),
                Source::Single(md.join("new/2.host")),
                Source::Single(md.join(".Sent/cur/4.host:2,S")),
                Source::Mbox(root.join("archive.mbox"), 2),
                Source::Single(root.join("eml/a.eml")),
                Source::Single(root.join("eml/b.eml")),
            ]
        );
    }
}
