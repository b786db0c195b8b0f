//! The real binary: token management, `serve` on a fresh data directory, SIGTERM → exit 0, and
//! the errors a person gets for a wrong configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn trustdesk(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("TRUSTDESK_DATABASE_URL")
        .env_remove("TRUSTDESK_CONFIG")
        .env_remove("TRUSTDESK_LISTEN")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A GET with a bearer token over plain HTTP/1.1; returns the status line.
fn http_get(addr: &str, path: &str, token: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or("").to_owned()
}

#[test]
fn token_create_then_serve_then_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let created = trustdesk(
        &data,
        &["token", "create", "--name", "ci", "--role", "admin"],
    );
    assert!(created.status.success(), "{created:?}");
    let out = stdout(&created);
    let secret = out.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("td_") && secret.len() == 67, "{out}");

    let listed = trustdesk(&data, &["token", "list"]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(stdout(&listed).contains(" ci"), "{}", stdout(&listed));
    assert!(!stdout(&listed).contains(&secret));

    let mut server = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("TRUSTDESK_DATABASE_URL")
        .env_remove("TRUSTDESK_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("serve printed where it serves")
            .unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some(rest) = line.strip_prefix("trustdesk is serving http://") {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    assert!(banner.contains("One-time password"), "{banner}");
    assert!(banner.contains("admin@trustdesk.localhost"), "{banner}");

    assert!(http_get(&addr, "/api/v1/tickets", &secret).contains(" 200 "));
    assert!(http_get(&addr, "/api/v1/tickets", "td_wrong").contains(" 401 "));

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM ends serve with exit 0");

    // The second start finds the admin and says nothing about a password.
    let revoked = trustdesk(&data, &["token", "revoke", "tok_1"]);
    assert!(revoked.status.success(), "{revoked:?}");
    assert!(stdout(&trustdesk(&data, &["token", "list"])).contains("(revoked)"));
}

#[test]
fn configuration_errors_are_clear_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = trustdesk(
        &data,
        &["serve", "--database", "mysql://root:hunter2@db/td"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    let out = trustdesk(&data, &["serve", "--config", "/nonexistent/trustdesk.toml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));

    let out = trustdesk(&data, &["token", "create", "--name", "x", "--role", "root"]);
    assert!(!out.status.success());
    let out = trustdesk(&data, &["token", "revoke", "not-an-id"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tok_"));
}

#[test]
fn bench_seed_and_search_on_a_small_data_set() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seeded = trustdesk(
        &data,
        &[
            "bench",
            "seed",
            "--messages",
            "40",
            "--customers",
            "5",
            "--concurrency",
            "4",
        ],
    );
    assert!(seeded.status.success(), "{seeded:?}");
    let last = stdout(&seeded).lines().last().unwrap_or("").to_owned();
    assert!(last.starts_with("seed tickets=10 messages=40"), "{last}");
    let searched = trustdesk(
        &data,
        &["bench", "search", "--rounds", "2", "refund", "zwrot"],
    );
    assert!(searched.status.success(), "{searched:?}");
    let out = stdout(&searched);
    assert!(
        out.contains("search q=refund total=") && out.contains("search all queries=2"),
        "{out}"
    );
}

#[test]
fn help_version_and_the_openapi_document() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["serve", "--help"],
        &["token", "--help"],
        &["token", "create", "--help"],
        &["token", "list", "--help"],
        &["token", "revoke", "--help"],
        &["openapi", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["info"]["title"], "trustdesk");
}
