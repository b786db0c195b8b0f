//! Configuration, layered: built-in defaults < TOML file < `TRUSTDESK_…` environment < flags.
//! `trustdesk serve` needs none of it; every key is optional.
//!
//! The database URL is the one secret here (it may carry a password): it is held in a
//! `SecretString` while loading, can come from a file (`database_url_file`,
//! `TRUSTDESK_DATABASE_URL_FILE`) so it never sits in the environment, and is only ever shown
//! redacted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use trustdesk_channels::email::SubjectTag;
use trustdesk_domain::EmailAddress;
use trustdesk_store::DatabaseUrl;

pub const DEFAULT_DATA_DIR: &str = "./trustdesk-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// `admin@localhost` is what people expect, but a domain needs two labels to be an address we
/// accept; `.localhost` is reserved (RFC 6761), so this one can never reach a real mailbox.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@trustdesk.localhost";
const MIB: u64 = 1024 * 1024;

/// The keys read from `TRUSTDESK_<KEY>`. Other `TRUSTDESK_…` variables (test harnesses, the
/// `TRUSTDESK_CONFIG` file name itself) are left alone rather than refused.
const ENV_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "database_url_file",
    "listen",
    "admin_email",
    "max_attachment_size",
    "max_request_body",
    "max_message_body",
    "log_format",
    "log_filter",
    "mail_subject_tag",
    "mail_own_addresses",
];

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The settings trustdesk runs with, resolved and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the embedded database and attachments live (created on start for SQLite).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; Debug and Display redact the password.
    pub database: DatabaseUrl,
    pub listen: SocketAddr,
    /// The first admin agent, created on the first start.
    pub admin_email: EmailAddress,
    /// Largest single attachment, decoded, in bytes.
    pub max_attachment_size: u64,
    /// Largest request body on routes without attachments, in bytes.
    pub max_request_body: usize,
    /// Largest request body for posting a message (attachments travel base64-encoded in it).
    pub max_message_body: usize,
    pub log_format: LogFormat,
    /// A `tracing` filter (`info`, `trustdesk_server=debug,info`); `RUST_LOG` wins when set.
    pub log_filter: String,
    /// The ticket tag in our mails' subjects, `{number}` standing for the ticket number.
    pub mail_subject_tag: SubjectTag,
    /// The desk's own addresses: mail from them is never a customer's (it would loop).
    pub mail_own_addresses: Vec<EmailAddress>,
}

/// Values given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: Box<figment::Error>,
    },
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("cannot read database_url_file {path}: {source}")]
    SecretFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    DatabaseUrl(#[from] trustdesk_store::InvalidDatabaseUrl),
}

/// The shape of the merged layers, before checking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: PathBuf,
    database_url: Option<SecretString>,
    database_url_file: Option<PathBuf>,
    listen: String,
    admin_email: String,
    max_attachment_size: u64,
    max_request_body: u64,
    max_message_body: u64,
    log_format: LogFormat,
    log_filter: String,
    mail_subject_tag: String,
    mail_own_addresses: String,
}

#[derive(Serialize)]
struct Defaults {
    data_dir: &'static str,
    listen: &'static str,
    admin_email: &'static str,
    max_attachment_size: u64,
    max_request_body: u64,
    max_message_body: u64,
    log_format: LogFormat,
    log_filter: &'static str,
    mail_subject_tag: &'static str,
    mail_own_addresses: &'static str,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            data_dir: DEFAULT_DATA_DIR,
            listen: DEFAULT_LISTEN,
            admin_email: DEFAULT_ADMIN_EMAIL,
            max_attachment_size: 25 * MIB,
            max_request_body: MIB,
            // Room for one maximal attachment base64-encoded (4/3) plus the message itself.
            max_message_body: 40 * MIB,
            log_format: LogFormat::Pretty,
            log_filter: "info",
            mail_subject_tag: SubjectTag::DEFAULT_PATTERN,
            mail_own_addresses: "",
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (which must exist when given), then the environment, then
    /// `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Defaults::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Invalid(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            // Checked on its own first so a typo names the file it is in.
            Figment::from(Serialized::defaults(Defaults::default()))
                .merge(Toml::file_exact(path))
                .extract::<RawConfig>()
                .map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    source: Box::new(e),
                })?;
            figment = figment.merge(Toml::file_exact(path));
        }
        let figment = figment
            .merge(Env::prefixed("TRUSTDESK_").only(ENV_KEYS))
            .merge(Serialized::defaults(overrides));
        let raw: RawConfig = figment.extract().map_err(Box::new)?;
        raw.resolve()
    }

    /// The defaults with `data_dir` set: what `trustdesk serve --data-dir DIR` runs with on a
    /// machine without configuration. Tests start from here.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let d = Defaults::default();
        let data_dir = data_dir.into();
        Config {
            database: DatabaseUrl::Sqlite(data_dir.join("trustdesk.db")),
            data_dir,
            listen: d
                .listen
                .parse()
                .expect("the built-in listen address is valid (tested)"),
            admin_email: EmailAddress::parse(d.admin_email)
                .expect("the built-in admin address is valid (tested)"),
            max_attachment_size: d.max_attachment_size,
            max_request_body: d.max_request_body as usize,
            max_message_body: d.max_message_body as usize,
            log_format: d.log_format,
            log_filter: d.log_filter.to_owned(),
            mail_subject_tag: SubjectTag::default(),
            mail_own_addresses: Vec::new(),
        }
    }

    /// Where attachment bytes live on the embedded backend.
    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }
}

impl RawConfig {
    fn resolve(self) -> Result<Config, ConfigError> {
        let url: Option<SecretString> = match (self.database_url, self.database_url_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid(
                    "both database_url and database_url_file are set; use one".into(),
                ));
            }
            (Some(url), None) => Some(url),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::SecretFile { path, source })?;
                Some(SecretString::from(text.trim().to_owned()))
            }
            (None, None) => None,
        };
        let database = match url {
            Some(url) => DatabaseUrl::parse(url.expose_secret())?,
            None => DatabaseUrl::Sqlite(self.data_dir.join("trustdesk.db")),
        };
        let listen = self.listen.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "listen `{}` is not an address like 127.0.0.1:8080 or [::1]:8080",
                self.listen
            ))
        })?;
        let admin_email = EmailAddress::parse(&self.admin_email)
            .map_err(|e| ConfigError::Invalid(format!("admin_email: {e}")))?;
        let size = |name: &str, v: u64| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1024)
                .ok_or_else(|| ConfigError::Invalid(format!("{name} must be at least 1024 bytes")))
        };
        let max_request_body = size("max_request_body", self.max_request_body)?;
        let max_message_body = size("max_message_body", self.max_message_body)?;
        size("max_attachment_size", self.max_attachment_size)?;
        if self.log_filter.trim().is_empty() {
            return Err(ConfigError::Invalid("log_filter is empty".into()));
        }
        let mail_subject_tag = SubjectTag::parse(&self.mail_subject_tag)
            .map_err(|e| ConfigError::Invalid(format!("mail_subject_tag: {e}")))?;
        let mail_own_addresses = self
            .mail_own_addresses
            .split([',', ' ', '\n', '\t'])
            .filter(|a| !a.is_empty())
            .map(|a| {
                EmailAddress::parse(a)
                    .map_err(|e| ConfigError::Invalid(format!("mail_own_addresses: {a}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            data_dir: self.data_dir,
            database,
            listen,
            admin_email,
            max_attachment_size: self.max_attachment_size,
            max_request_body,
            max_message_body,
            log_format: self.log_format,
            log_filter: self.log_filter,
            mail_subject_tag,
            mail_own_addresses,
        })
    }
}

#[cfg(test)]
// figment's Jail hands closures its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    // Loads with a clean environment: figment's Jail isolates env and cwd per closure.
    fn load_in_jail(
        setup: impl FnOnce(&mut figment::Jail) -> figment::error::Result<()>,
        file: Option<&str>,
        overrides: Overrides,
    ) -> Result<Config, String> {
        let mut out = Err(String::new());
        figment::Jail::expect_with(|jail| {
            setup(jail)?;
            out = Config::load(file.map(Path::new), &overrides).map_err(|e| e.to_string());
            Ok(())
        });
        out
    }

    #[test]
    fn no_configuration_at_all() {
        let c = load_in_jail(|_| Ok(()), None, Overrides::default()).unwrap();
        assert_eq!(c.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_DATA_DIR).join("trustdesk.db"))
        );
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.admin_email.as_str(), DEFAULT_ADMIN_EMAIL);
        let built_in = Config::with_data_dir(DEFAULT_DATA_DIR);
        assert_eq!(built_in.database, c.database);
        assert_eq!(built_in.listen, c.listen);
        assert_eq!(c.max_attachment_size, 25 * MIB);
        assert_eq!(c.mail_subject_tag, SubjectTag::default());
        assert!(c.mail_own_addresses.is_empty());
        assert_eq!(
            c.blob_dir(),
            PathBuf::from(DEFAULT_DATA_DIR).join("attachments")
        );
    }

    #[test]
    fn layers_file_then_env_then_flags() {
        let setup = |jail: &mut figment::Jail| {
            jail.create_file(
                "td.toml",
                r#"
                data_dir = "/from/file"
                listen = "127.0.0.1:7000"
                log_format = "json"
                max_attachment_size = 2048
                "#,
            )?;
            jail.set_env("TRUSTDESK_LISTEN", "127.0.0.1:7001");
            jail.set_env("TRUSTDESK_MAIL_SUBJECT_TAG", "[shop #{number}]");
            jail.set_env(
                "TRUSTDESK_MAIL_OWN_ADDRESSES",
                "desk@shop.example, Noreply@Shop.example",
            );
            jail.set_env("TRUSTDESK_SOMETHING_ELSE", "ignored");
            Ok(())
        };
        let c = load_in_jail(setup, Some("td.toml"), Overrides::default()).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.listen.port(), 7001, "environment beats the file");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.max_attachment_size, 2048);
        assert_eq!(c.mail_subject_tag.render(7), "[shop #7]");
        assert_eq!(c.mail_own_addresses.len(), 2);
        assert_eq!(c.mail_own_addresses[1].as_str(), "noreply@shop.example");
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite("/from/file/trustdesk.db".into()),
            "the default database follows the data directory"
        );

        let flags = Overrides {
            listen: Some("127.0.0.1:7002".into()),
            ..Overrides::default()
        };
        let c = load_in_jail(setup, Some("td.toml"), flags).unwrap();
        assert_eq!(c.listen.port(), 7002, "flags beat the environment");
    }

    #[test]
    fn database_url_from_a_file_and_redacted() {
        let setup = |jail: &mut figment::Jail| {
            jail.create_file("db-url", "postgres://td:hunter2@db/td\n")?;
            jail.set_env("TRUSTDESK_DATABASE_URL_FILE", "db-url");
            Ok(())
        };
        let c = load_in_jail(setup, None, Overrides::default()).unwrap();
        assert_eq!(
            c.database,
            DatabaseUrl::Postgres("postgres://td:hunter2@db/td".into())
        );
        assert!(!format!("{c:?}").contains("hunter2"));

        let both = |jail: &mut figment::Jail| {
            setup(jail)?;
            jail.set_env("TRUSTDESK_DATABASE_URL", "postgres://x@y/z");
            Ok(())
        };
        let e = load_in_jail(both, None, Overrides::default()).unwrap_err();
        assert!(e.contains("use one"), "{e}");
    }

    #[test]
    fn refuses_unknown_schemes_keys_and_missing_files() {
        let flags = Overrides {
            database_url: Some("mysql://root:pw@db/td".into()),
            ..Overrides::default()
        };
        let e = load_in_jail(|_| Ok(()), None, flags).unwrap_err();
        assert!(e.contains("sqlite://") && !e.contains(":pw@"), "{e}");

        let typo = |jail: &mut figment::Jail| {
            jail.create_file("td.toml", "data_dirr = \"x\"\n")?;
            Ok(())
        };
        let e = load_in_jail(typo, Some("td.toml"), Overrides::default()).unwrap_err();
        assert!(e.contains("data_dirr") && e.contains("td.toml"), "{e}");

        let e = load_in_jail(|_| Ok(()), Some("missing.toml"), Overrides::default()).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");

        let flags = Overrides {
            listen: Some("localhost".into()),
            ..Overrides::default()
        };
        let e = load_in_jail(|_| Ok(()), None, flags).unwrap_err();
        assert!(e.contains("listen"), "{e}");
    }
}
