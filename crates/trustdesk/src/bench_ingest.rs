//! `trustdesk bench ingest DIR`: delivers a spool of `.eml` files to a running server's inbound
//! endpoint the way MTAs do — several deliveries at once, one request per mail, mails answering
//! a Message-ID of the spool after the others (replies arrive later than what they answer) —
//! and reports the rate and what the intake did. A native client, so the figure measures the
//! server rather than the load generator.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;

pub struct Report {
    pub mails: usize,
    pub secs: f64,
    pub actions: BTreeMap<String, u64>,
    pub failures: u64,
}

impl Report {
    pub fn line(&self) -> String {
        let actions: Vec<String> = self
            .actions
            .iter()
            .map(|(a, n)| format!("{a}={n}"))
            .collect();
        format!(
            "emails_per_sec={:.1} emails={} secs={:.3} failures={} {}",
            self.mails as f64 / self.secs,
            self.mails,
            self.secs,
            self.failures,
            actions.join(" ")
        )
    }
}

fn header_ids(raw: &[u8], name: &str) -> Vec<String> {
    let Some(mail) = mail_parser::MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    let value = match name {
        "Message-ID" => mail.message_id().map(|s| vec![s.to_owned()]),
        _ => {
            let v = mail.in_reply_to();
            v.as_text_list()
                .map(|l| l.iter().map(|s| s.to_string()).collect())
                .or_else(|| v.as_text().map(|t| vec![t.to_owned()]))
        }
    };
    value.unwrap_or_default()
}

/// The spool in delivery order: files by name, those answering a Message-ID of the spool last.
pub fn spool(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    let raws = names
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ids: HashSet<String> = raws
        .iter()
        .flat_map(|r| header_ids(r, "Message-ID"))
        .collect();
    let (later, first): (Vec<_>, Vec<_>) = raws.into_iter().partition(|r| {
        header_ids(r, "In-Reply-To")
            .iter()
            .any(|id| ids.contains(id))
    });
    Ok(first.into_iter().chain(later).collect())
}

async fn deliver_all(
    client: &reqwest::Client,
    url: &url::Url,
    token: &str,
    mails: Vec<Vec<u8>>,
    concurrency: usize,
    report: &mut Report,
) {
    let mut results = futures::stream::iter(mails.into_iter().map(|raw| {
        let req = client
            .post(url.clone())
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "message/rfc822")
            .body(raw);
        async move {
            let res = req.send().await.ok()?;
            if !res.status().is_success() {
                return None;
            }
            let v: serde_json::Value = res.json().await.ok()?;
            v["action"].as_str().map(str::to_owned)
        }
    }))
    .buffer_unordered(concurrency.max(1));
    while let Some(r) = results.next().await {
        match r {
            Some(action) => *report.actions.entry(action).or_default() += 1,
            None => report.failures += 1,
        }
    }
}

pub async fn run(
    dir: &Path,
    base_url: &str,
    token: &str,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let url = crate::mailgate::inbound_url(base_url).map_err(anyhow::Error::msg)?;
    let mails = spool(dir)?;
    let ids: HashSet<String> = mails
        .iter()
        .flat_map(|r| header_ids(r, "Message-ID"))
        .collect();
    let split = mails
        .iter()
        .position(|r| {
            header_ids(r, "In-Reply-To")
                .iter()
                .any(|id| ids.contains(id))
        })
        .unwrap_or(mails.len());
    let mut mails = mails;
    let replies = mails.split_off(split);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .context("HTTP client")?;
    let mut report = Report {
        mails: mails.len() + replies.len(),
        secs: 0.0,
        actions: BTreeMap::new(),
        failures: 0,
    };
    let started = Instant::now();
    // Originals, then the replies to them: as the spool arrives from the outside world.
    deliver_all(&client, &url, token, mails, concurrency, &mut report).await;
    deliver_all(&client, &url, token, replies, concurrency, &mut report).await;
    report.secs = started.elapsed().as_secs_f64();
    Ok(report)
}
