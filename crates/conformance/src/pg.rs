//! PostgreSQL for tests: every test gets a fresh, empty database of its own on a real server,
//! dropped when the test is done. The server is the one `TRUSTDESK_TEST_PG_URL` names, else the
//! local default one, else a private throw-away cluster started from the installed server
//! binaries. When none of these can be had the test fails and says what to install: a test
//! run that silently skipped PostgreSQL would prove nothing about it.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// An admin URL (a superuser, database `postgres`) of the server tests should use.
pub const ENV_URL: &str = "TRUSTDESK_TEST_PG_URL";
/// Tried when `TRUSTDESK_TEST_PG_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Every database the harness creates carries this prefix, then its creation time in seconds,
/// so leftovers of crashed runs can be recognised and dropped by later runs.
pub const DATABASE_PREFIX: &str = "trustdesk_test_";
/// Leftover test databases older than this are dropped; younger ones may belong to a run that
/// is still going on in another process.
const LEFTOVER_AGE: Duration = Duration::from_secs(60 * 60);
/// On a server on this machine, a test database whose creating process is gone is dropped
/// sooner. Not at once: a process in another PID namespace (a container) looks gone too.
const ORPHAN_AGE: Duration = Duration::from_secs(10 * 60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `pg_ctl` may take to start the private cluster.
const START_TIMEOUT_SECS: &str = "120";
const INSTALL_HINT: &str = "install the server binaries with `apt-get install postgresql` \
     (or point TRUSTDESK_TEST_PG_URL at a PostgreSQL server)";

/// Why no test database could be had. Shown as the test's failure message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessError(String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

fn fail(msg: impl Into<String>) -> HarnessError {
    HarnessError(msg.into())
}

/// A database that exists for one test. Dropping it drops the database in the background
/// (best effort, also when the test panicked; connections still open to it are terminated):
/// PostgreSQL checkpoints on every DROP DATABASE, which would otherwise add seconds to each
/// test. A drop the process did not get to send before it exited is done by a later run's
/// leftover clean-up. [`TestDatabase::drop_database`] drops at once and reports.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL of the new database, same server and user as the admin URL.
    pub url: String,
    /// The database's name (`trustdesk_test_…`).
    pub name: String,
    admin_url: String,
    dropped: bool,
}

impl TestDatabase {
    /// Drops the database now, waiting for the server to finish.
    pub async fn drop_database(mut self) -> Result<(), HarnessError> {
        self.dropped = true;
        let mut conn = connect(&self.admin_url).await?;
        let result = drop_database(&mut conn, &self.name)
            .await
            .map_err(|e| fail(format!("DROP DATABASE {}: {e}", self.name)));
        let _ = conn.close().await;
        result
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.dropped {
            drop_in_background(self.admin_url.clone(), self.name.clone());
        }
    }
}

/// Hands a drop to the process's dropper thread, which sends each DROP DATABASE on its own
/// connection as soon as it can. Once sent, the server completes it even if this process
/// exits meanwhile.
fn drop_in_background(admin_url: String, name: String) {
    type Job = (String, String);
    static DROPPER: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Job>> =
        std::sync::OnceLock::new();
    let sender = DROPPER.get_or_init(|| {
        let (sender, mut jobs) = tokio::sync::mpsc::unbounded_channel::<Job>();
        // A runtime of its own: test runtimes end with their test, often before the drop.
        let _ = std::thread::Builder::new()
            .name("test-db-dropper".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    while let Some((admin, name)) = jobs.recv().await {
                        tokio::spawn(async move {
                            if let Ok(mut conn) = connect(&admin).await {
                                let _ = drop_database(&mut conn, &name).await;
                                let _ = conn.close().await;
                            }
                        });
                    }
                });
            });
        sender
    });
    // Without a dropper thread the database stays until a later run clears leftovers.
    let _ = sender.send((admin_url, name));
}

/// A new, empty database with a unique name on the test server. Panics with the reason when no
/// server can be had (see the module docs for which server is used).
pub async fn fresh_database() -> TestDatabase {
    let admin = match admin_url().await {
        Ok(url) => url,
        Err(e) => panic!("no PostgreSQL server for tests: {e}"),
    };
    match create_database(&admin).await {
        Ok(db) => db,
        Err(e) => panic!("could not create a test database: {e}"),
    }
}

/// The admin URL of the server this process's tests use, chosen once per process (the first
/// call may start the private cluster). Leftover test databases are dropped on first use.
pub async fn admin_url() -> Result<String, HarnessError> {
    static CHOSEN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    CHOSEN
        .get_or_try_init(|| async {
            let explicit = std::env::var(ENV_URL).ok().filter(|u| !u.trim().is_empty());
            let url = choose_server(explicit, DEFAULT_URL, &PrivateCluster::standard()).await?;
            drop_leftovers(&url).await;
            Ok(url)
        })
        .await
        .cloned()
}

/// Which server to use: `explicit` if given (and then it must answer: falling back would hide
/// a misconfiguration), else `default` if it answers, else `cluster`, started if need be.
pub async fn choose_server(
    explicit: Option<String>,
    default: &str,
    cluster: &PrivateCluster,
) -> Result<String, HarnessError> {
    if let Some(url) = explicit {
        return match check(&url).await {
            Ok(()) => Ok(url),
            Err(e) => Err(fail(format!(
                "{ENV_URL} is set but its server does not answer: {e}"
            ))),
        };
    }
    let default_error = match check(default).await {
        Ok(()) => return Ok(default.to_owned()),
        Err(e) => e,
    };
    let cluster = cluster.clone();
    let url = tokio::task::spawn_blocking(move || cluster.ensure_running())
        .await
        .map_err(|e| fail(format!("starting the private cluster panicked: {e}")))?
        .map_err(|e| {
            fail(format!(
                "no server answers at {default} ({default_error}), and the private cluster \
                 could not be started: {e}"
            ))
        })?;
    check(&url).await.map_err(|e| {
        fail(format!(
            "the private cluster was started but does not answer at {url}: {e}"
        ))
    })?;
    Ok(url)
}

/// Creates a new, empty database on the server behind `admin_url`.
pub async fn create_database(admin_url: &str) -> Result<TestDatabase, HarnessError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{DATABASE_PREFIX}{}_{}_{}",
        unix_seconds(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let url = with_database(admin_url, &name)?;
    let mut conn = connect(admin_url).await?;
    let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    created.map_err(|e| fail(format!("CREATE DATABASE {name}: {e}")))?;
    Ok(TestDatabase {
        url,
        name,
        admin_url: admin_url.to_owned(),
        dropped: false,
    })
}

/// Drops test databases that crashed or killed runs left behind, and those whose drop the
/// process did not get to send before it exited: older than an hour, or, on a server on this
/// machine, older than ten minutes and made by a process that no longer runs. Best effort.
pub async fn drop_leftovers(admin_url: &str) {
    let Ok(mut conn) = connect(admin_url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(DATABASE_PREFIX)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    let local = is_local(admin_url) && Path::new("/proc/self").exists();
    let now = unix_seconds();
    for name in names {
        // trustdesk_test_<seconds>_<pid>_<counter>
        let mut parts = name.strip_prefix(DATABASE_PREFIX).unwrap_or("").split('_');
        let Some(created) = parts.next().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let pid = parts.next().and_then(|s| s.parse::<u32>().ok());
        let age = now.saturating_sub(created);
        let orphan = local
            && age > ORPHAN_AGE.as_secs()
            && pid.is_some_and(|p| {
                p != std::process::id() && !Path::new(&format!("/proc/{p}")).exists()
            });
        if age > LEFTOVER_AGE.as_secs() || orphan {
            let _ = drop_database(&mut conn, &name).await;
        }
    }
    let _ = conn.close().await;
}

/// Whether the server behind `url` runs on this machine (loopback or a Unix socket).
fn is_local(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let socket = parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'));
    match parsed.host() {
        // Hosts of non-special schemes such as postgres:// stay opaque: parse them here.
        Some(url::Host::Domain(d)) => {
            socket
                || d == "localhost"
                || d.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    }
}

async fn drop_database(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    // Names are ours (prefix, digits, underscores), so quoting them is enough.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(conn)
    .await
    .map(|_| ())
}

async fn connect(url: &str) -> Result<PgConnection, HarnessError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(fail(format!("connecting to {}: {e}", redact(url)))),
        Err(_) => Err(fail(format!(
            "connecting to {}: no answer within {CONNECT_TIMEOUT:?}",
            redact(url)
        ))),
    }
}

/// Whether a server answers at `url` with a working session.
async fn check(url: &str) -> Result<(), HarnessError> {
    let mut conn = connect(url).await?;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| fail(format!("querying {}: {e}", redact(url))))?;
    let _ = conn.close().await;
    if one == 1 {
        Ok(())
    } else {
        Err(fail(format!(
            "{} answered SELECT 1 with {one}",
            redact(url)
        )))
    }
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> Result<String, HarnessError> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| fail(format!("{} is not a URL: {e}", redact(url))))?;
    parsed.set_path(&format!("/{database}"));
    Ok(parsed.into())
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.into()
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A PostgreSQL cluster of the test runs' own: trust authentication, listening on 127.0.0.1
/// only, no durability (its data is thrown away). It is left running so that later test
/// processes reuse it instead of paying for `initdb` again; stop it with
/// `pg_ctl stop -D <dir>/data` (as the `postgres` user when running as root).
#[derive(Debug, Clone)]
pub struct PrivateCluster {
    /// Holds `data/`, the lock, the port and the server log.
    pub dir: PathBuf,
    /// Where to look for `initdb` and `pg_ctl`, best first.
    pub bin_dirs: Vec<PathBuf>,
}

/// The pair of server programs a cluster is made and run with.
#[derive(Debug)]
struct ServerBinaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
}

impl PrivateCluster {
    /// The cluster every test process of this user shares, made with the newest server
    /// binaries installed under `/usr/lib/postgresql/*/bin` or on the `PATH`.
    pub fn standard() -> PrivateCluster {
        PrivateCluster {
            dir: std::env::temp_dir().join(format!("trustdesk-test-pg-{}", current_uid())),
            bin_dirs: installed_bin_dirs(),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn binaries(&self) -> Result<ServerBinaries, HarnessError> {
        for dir in &self.bin_dirs {
            let initdb = dir.join("initdb");
            let pg_ctl = dir.join("pg_ctl");
            if initdb.is_file() && pg_ctl.is_file() {
                return Ok(ServerBinaries { initdb, pg_ctl });
            }
        }
        let looked: Vec<String> = self
            .bin_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        Err(fail(format!(
            "no PostgreSQL server binaries (initdb, pg_ctl) found (looked in \
             /usr/lib/postgresql/*/bin and PATH: [{}]): {INSTALL_HINT}",
            looked.join(", ")
        )))
    }

    /// Starts the cluster (creating it first if need be) unless it already runs, and returns
    /// its admin URL. Blocking; safe to call from many threads and processes at once.
    pub fn ensure_running(&self) -> Result<String, HarnessError> {
        let bins = self.binaries()?;
        let as_root = current_uid() == 0;
        fs::create_dir_all(&self.dir)
            .map_err(|e| fail(format!("creating {}: {e}", self.dir.display())))?;
        if as_root {
            // initdb refuses to run as root; the cluster belongs to `postgres`, who must be
            // able to write the log next to the data directory.
            let (uid, gid) = postgres_user_ids()?;
            std::os::unix::fs::chown(&self.dir, Some(uid), Some(gid))
                .map_err(|e| fail(format!("chown {}: {e}", self.dir.display())))?;
        }
        let lock_path = self.dir.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| fail(format!("opening {}: {e}", lock_path.display())))?;
        // One process (and one thread) at a time creates or starts the cluster.
        lock.lock()
            .map_err(|e| fail(format!("locking {}: {e}", lock_path.display())))?;
        let result = self.ensure_running_locked(&bins, as_root);
        let _ = lock.unlock();
        result
    }

    fn ensure_running_locked(
        &self,
        bins: &ServerBinaries,
        as_root: bool,
    ) -> Result<String, HarnessError> {
        let data = self.data_dir();
        let major = server_major_version(&bins.pg_ctl)?;
        let existing = fs::read_to_string(data.join("PG_VERSION")).ok();
        let usable = existing.as_deref().map(str::trim) == Some(major.as_str())
            && data.join("trustdesk_port.conf").is_file();
        if usable {
            let running = self.pg_ctl(bins, as_root, &["status", "-D"], &data)?;
            if running.status.success() {
                if let Some(port) = self.recorded_port()
                    && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                {
                    return Ok(admin_url_for(port));
                }
                // Running, but not where we recorded it: restart it on a port we know.
                let _ = self.pg_ctl(bins, as_root, &["stop", "-m", "immediate", "-D"], &data);
            }
        } else {
            // Half-made by a killed run, or made by another server version.
            if existing.is_some() {
                let _ = self.pg_ctl(bins, as_root, &["stop", "-m", "immediate", "-D"], &data);
            }
            if data.exists() {
                fs::remove_dir_all(&data)
                    .map_err(|e| fail(format!("removing {}: {e}", data.display())))?;
            }
            self.init(bins, as_root)?;
        }
        self.start(bins, as_root)
    }

    fn init(&self, bins: &ServerBinaries, as_root: bool) -> Result<(), HarnessError> {
        let data = self.data_dir();
        let mut last_error = String::new();
        // C.UTF-8 keeps lower()/ILIKE Unicode-aware; a system without that locale still gets a
        // working (if ASCII-only collating) cluster.
        for locale in ["--locale=C.UTF-8", "--no-locale"] {
            let mut cmd = self.command(&bins.initdb, as_root);
            cmd.arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", locale])
                .arg("--no-sync");
            let out = run(&mut cmd, "initdb")?;
            if out.status.success() {
                let mut conf = File::options()
                    .append(true)
                    .open(data.join("postgresql.conf"))
                    .map_err(|e| fail(format!("opening postgresql.conf: {e}")))?;
                conf.write_all(CLUSTER_SETTINGS.as_bytes())
                    .map_err(|e| fail(format!("writing postgresql.conf: {e}")))?;
                return Ok(());
            }
            last_error = describe(&out);
            let _ = fs::remove_dir_all(&data);
        }
        Err(fail(format!("initdb failed: {last_error}")))
    }

    fn start(&self, bins: &ServerBinaries, as_root: bool) -> Result<String, HarnessError> {
        let data = self.data_dir();
        let log = self.dir.join("server.log");
        let mut last_error = String::new();
        // A free port can be taken by someone else between our probe and the server's bind.
        for _ in 0..3 {
            let port = free_port()?;
            fs::write(data.join("trustdesk_port.conf"), format!("port = {port}\n"))
                .map_err(|e| fail(format!("writing the port file: {e}")))?;
            let mut cmd = self.command(&bins.pg_ctl, as_root);
            cmd.args(["start", "-w", "-t", START_TIMEOUT_SECS, "-D"])
                .arg(&data)
                .arg("-l")
                .arg(&log);
            let out = run(&mut cmd, "pg_ctl start")?;
            if out.status.success() {
                fs::write(self.dir.join("port"), port.to_string())
                    .map_err(|e| fail(format!("recording the port: {e}")))?;
                return Ok(admin_url_for(port));
            }
            last_error = format!("{}; server log: {}", describe(&out), log_tail(&log));
        }
        Err(fail(format!("pg_ctl start failed: {last_error}")))
    }

    fn recorded_port(&self) -> Option<u16> {
        fs::read_to_string(self.dir.join("port"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn pg_ctl(
        &self,
        bins: &ServerBinaries,
        as_root: bool,
        args: &[&str],
        data: &Path,
    ) -> Result<Output, HarnessError> {
        let mut cmd = self.command(&bins.pg_ctl, as_root);
        cmd.args(args).arg(data);
        run(&mut cmd, "pg_ctl")
    }

    /// `program`, run as `postgres` when we are root (the server refuses to run as root).
    fn command(&self, program: &Path, as_root: bool) -> Command {
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // `postgres` may not be allowed into our working directory.
        cmd.current_dir(&self.dir);
        cmd
    }
}

/// Appended to the private cluster's postgresql.conf. Durability is off because the data is
/// thrown away; that keeps the suite fast on two cores.
const CLUSTER_SETTINGS: &str = "
# trustdesk test cluster: loopback only, throw-away data
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
include_if_exists = 'trustdesk_port.conf'
";

fn admin_url_for(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn free_port() -> Result<u16, HarnessError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| fail(format!("finding a free port: {e}")))
}

fn run(cmd: &mut Command, what: &str) -> Result<Output, HarnessError> {
    cmd.output()
        .map_err(|e| fail(format!("running {what} ({cmd:?}): {e}")))
}

fn describe(out: &Output) -> String {
    format!(
        "{}: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim(),
        String::from_utf8_lossy(&out.stdout).trim()
    )
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join(" | ")
}

/// The major version the server binaries belong to ("15"), as data/PG_VERSION records it.
fn server_major_version(pg_ctl: &Path) -> Result<String, HarnessError> {
    let out = run(Command::new(pg_ctl).arg("--version"), "pg_ctl --version")?;
    // "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .ok_or_else(|| fail(format!("unexpected `pg_ctl --version` output: {text}")))
}

/// `/usr/lib/postgresql/<version>/bin`, newest version first, then the `PATH`.
fn installed_bin_dirs() -> Vec<PathBuf> {
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    let mut dirs: Vec<PathBuf> = versioned.into_iter().map(|(_, d)| d).collect();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs
}

fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's effective user.
    fs::metadata("/proc/self")
        .map(|m| m.uid())
        .ok()
        .or_else(|| id_of(&["-u"]))
        .unwrap_or(u32::MAX)
}

fn postgres_user_ids() -> Result<(u32, u32), HarnessError> {
    match (id_of(&["-u", "postgres"]), id_of(&["-g", "postgres"])) {
        (Some(uid), Some(gid)) => Ok((uid, gid)),
        _ => Err(fail(format!(
            "running as root, so the private cluster must run as the `postgres` user, which \
             does not exist: {INSTALL_HINT}"
        ))),
    }
}

fn id_of(args: &[&str]) -> Option<u32> {
    let out = Command::new("id").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_keep_server_user_and_options() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
                "trustdesk_test_1"
            )
            .unwrap(),
            "postgres://postgres@127.0.0.1:5432/trustdesk_test_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u:p%40ss@db.internal", "x").unwrap(),
            "postgres://u:p%40ss@db.internal/x"
        );
        assert!(with_database("not a url", "x").is_err());
    }

    #[test]
    fn local_servers_are_told_apart() {
        assert!(is_local("postgres://postgres@127.0.0.1:5432/postgres"));
        assert!(is_local("postgres://postgres@localhost/postgres"));
        assert!(is_local("postgres://postgres@[::1]:5433/postgres"));
        assert!(is_local("postgres:///postgres?host=/var/run/postgresql"));
        assert!(!is_local("postgres://postgres@db.internal:5432/postgres"));
        assert!(!is_local("postgres://postgres@10.0.0.7/postgres"));
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:1/d"),
            "postgres://u:***@h:1/d"
        );
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
    }
}
