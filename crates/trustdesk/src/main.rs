//! The `trustdesk` command: parse the command line, load the configuration, and hand over to
//! the server library. Nothing else lives here.

mod bench_ingest;
mod import;
mod mailgate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use trustdesk_domain::Role;
use trustdesk_server::auth::reveal;
use trustdesk_server::error::ErrorChain;
use trustdesk_server::intake::{IntakeSettings, MailIntake};
use trustdesk_server::{App, Config, Overrides, open_store, telemetry, tokens};

/// trustdesk: the customer-service desk for online shops that keeps its promises.
#[derive(Parser)]
#[command(name = "trustdesk", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Where the embedded database and attachments live [default: ./trustdesk-data]
    #[arg(long, global = true, env = "TRUSTDESK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://DIR/trustdesk.db]
    #[arg(
        long = "database",
        global = true,
        env = "TRUSTDESK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// A TOML file with any of the settings (flags and TRUSTDESK_… variables win over it)
    #[arg(long, global = true, env = "TRUSTDESK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and API (creates the database and the first admin on first start)
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "TRUSTDESK_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Create, list and revoke API tokens
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the OpenAPI document of the HTTP API
    Openapi,
    /// Deliver one mail from stdin to trustdesk (for an MTA's pipe transport); exits with a
    /// sysexits code: 0 stored, 75 try again later, 65 refused
    Mailgate {
        /// The server's base URL, like http://127.0.0.1:8080
        #[arg(long, env = "TRUSTDESK_URL", value_name = "URL")]
        url: String,
        /// An API token (role mailgate); prefer --token-file or TRUSTDESK_TOKEN, since
        /// command lines are visible to every local user
        #[arg(
            long,
            env = "TRUSTDESK_TOKEN",
            hide_env_values = true,
            value_name = "TOKEN",
            conflicts_with = "token_file",
            required_unless_present = "token_file"
        )]
        token: Option<String>,
        /// A file holding the API token
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
    },
    /// Take in mail from elsewhere, straight into the database
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Benchmarks: fill a database with a large data set, time searches over it
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// mbox files, Maildir folders or folders of .eml files, through the same intake as the
    /// inbound endpoint; running it again finds every mail a duplicate
    Mail {
        /// Files and folders to import, in this order
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// No progress bar (it is drawn on stderr when that is a terminal)
        #[arg(long)]
        no_progress: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fill the database with a believable multilingual data set, written through the same
    /// store calls as the API; prints the figures as the last line
    Seed {
        /// Messages in all
        #[arg(long, default_value_t = 1_000_000)]
        messages: u64,
        /// Messages per ticket
        #[arg(long, default_value_t = 4)]
        per_ticket: usize,
        /// Distinct customers the tickets are spread over
        #[arg(long, default_value_t = 50_000)]
        customers: u64,
        /// Writers at once
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seed of the generator: the same seed gives the same data set
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Deliver a folder of .eml files to a running server's inbound endpoint as MTAs do (8 at
    /// once, replies after what they answer); prints the rate and the actions
    Ingest {
        /// The folder (see make_mail_corpus.py)
        dir: PathBuf,
        /// The server's base URL
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An API token that may deliver mail
        #[arg(long, env = "TRUSTDESK_TOKEN", hide_env_values = true)]
        token: String,
        /// Deliveries at once
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Time searches as GET /api/v1/search runs them (median and p90 per query and overall)
    Search {
        /// Timed runs of each query, after one warm-up
        #[arg(long, default_value_t = 21)]
        rounds: usize,
        /// Hits per search
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// The queries [default: words of different frequencies in en, id, pl, ro]
        queries: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; its secret is printed once, as the last line
    Create {
        /// What the token is for (shown in `token list`)
        #[arg(long)]
        name: String,
        /// What the token may do
        #[arg(long, value_enum, default_value_t = RoleArg::Agent)]
        role: RoleArg,
    },
    /// List tokens (never their secrets)
    List,
    /// Revoke a token; nodes that used it in the last 10 seconds accept it until then
    Revoke {
        /// The token's id, like tok_1
        id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    /// Everything, including merging customers and managing tokens
    Admin,
    /// Read and write tickets, messages and customers
    Agent,
    /// Read only
    Viewer,
    /// Only deliver inbound mail (for `trustdesk mailgate` in an MTA); reads nothing
    Mailgate,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Agent => Role::Agent,
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Mailgate => Role::Mailgate,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Openapi => {
            print!("{}", trustdesk_server::api::openapi_json());
            return ExitCode::SUCCESS;
        }
        Command::Mailgate {
            url,
            token,
            token_file,
        } => return run_mailgate(url, token.as_deref(), token_file.as_deref()),
        _ => {}
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", ErrorChain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        data_dir: cli.global.data_dir,
        database_url: cli.global.database_url,
        listen,
    };
    let config = Config::load(cli.global.config.as_deref(), &overrides)?;
    telemetry::init(config.log_format, &config.log_filter);
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Token { command } => token(config, command).await,
        Command::Openapi | Command::Mailgate { .. } => Ok(()),
        Command::Bench { command } => bench(config, command).await,
        Command::Import { command } => import(config, command).await,
    }
}

/// Needs no configuration or database: it runs in the MTA's environment, and its exit code is
/// all the MTA reads.
fn run_mailgate(url: &str, token: Option<&str>, token_file: Option<&std::path::Path>) -> ExitCode {
    let token = match (token, token_file) {
        (Some(t), _) => t.to_owned(),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(t) => t.trim().to_owned(),
            Err(e) => {
                eprintln!("trustdesk mailgate: cannot read {}: {e}", path.display());
                return ExitCode::from(mailgate::EX_TEMPFAIL);
            }
        },
        (None, None) => {
            eprintln!("trustdesk mailgate: give --token, --token-file or TRUSTDESK_TOKEN");
            return ExitCode::from(mailgate::EX_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trustdesk mailgate: cannot start: {e}");
            return ExitCode::from(mailgate::EX_TEMPFAIL);
        }
    };
    let delivery = runtime.block_on(mailgate::deliver(url, &token));
    if delivery.code == mailgate::EX_OK {
        println!("{}", delivery.message);
    } else {
        eprintln!("{}", delivery.message);
    }
    ExitCode::from(delivery.code)
}

async fn import(config: Config, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Mail { paths, no_progress } = command;
    let sources = import::sources(&paths)?;
    let store = open_store(&config.database, &config.data_dir).await?;
    let intake = MailIntake::new(store.clone(), IntakeSettings::from(&config));
    let progress = !no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let result = import::import(&intake, &sources, progress).await;
    store.close().await;
    let summary = result.context("import failed")?;
    for line in summary.lines() {
        println!("{line}");
    }
    if summary.failed > 0 {
        anyhow::bail!(
            "{} mails could not be stored; run the import again to retry them",
            summary.failed
        );
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let data_dir = config.data_dir.clone();
    let database = config.database.to_string();
    let app = App::build(config).await?;
    let url = app.base_url();
    if let Some(admin) = app.first_admin() {
        println!("{}", admin.instructions(&url));
    }
    println!(
        "trustdesk is serving {url}/ (database {database}, data in {})",
        data_dir.display()
    );
    app.run_until_stopped().await
}

async fn bench(config: Config, command: BenchCommand) -> anyhow::Result<()> {
    if let BenchCommand::Ingest {
        dir,
        url,
        token,
        concurrency,
    } = &command
    {
        let report = bench_ingest::run(dir, url, token, *concurrency).await?;
        println!("{}", report.line());
        return Ok(());
    }
    let store = open_store(&config.database, &config.data_dir).await?;
    let result = match command {
        BenchCommand::Seed {
            messages,
            per_ticket,
            customers,
            concurrency,
            seed,
        } => {
            let opts = trustdesk_bench::SeedOptions {
                messages,
                messages_per_ticket: per_ticket,
                customers,
                concurrency,
                seed,
            };
            trustdesk_bench::seed(store.clone(), opts, |done, all| {
                eprintln!("seeded {done} of {all} messages");
            })
            .await
            .map(|report| println!("{}", report.line()))
        }
        BenchCommand::Search {
            rounds,
            limit,
            queries,
        } => {
            let queries = if queries.is_empty() {
                trustdesk_bench::corpus::SEARCH_WORDS
                    .iter()
                    .map(|w| (*w).to_owned())
                    .collect()
            } else {
                queries
            };
            trustdesk_bench::search(store.as_ref(), &queries, rounds, limit)
                .await
                .map(|report| {
                    for line in report.lines() {
                        println!("{line}");
                    }
                })
        }
        BenchCommand::Ingest { .. } => Ok(()),
    };
    store.close().await;
    result.context("benchmark failed")
}

async fn token(config: Config, command: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(&config.database, &config.data_dir).await?;
    let result = match command {
        TokenCommand::Create { name, role } => {
            tokens::create_token(store.as_ref(), &name, role.into(), None)
                .await
                .map(|issued| {
                    let t = &issued.token;
                    println!(
                        "Created token {} \"{}\" with role {}.",
                        t.id, t.name, t.role
                    );
                    println!(
                        "Its secret is shown only now; send it as Authorization: Bearer <secret>:"
                    );
                    println!("{}", reveal(&issued.secret));
                })
        }
        TokenCommand::List => tokens::list_tokens(store.as_ref()).await.map(|list| {
            println!(
                "{:<12} {:<8} {:<28} {:<28} NAME",
                "ID", "ROLE", "CREATED", "LAST USED"
            );
            for t in list {
                let last_used = t.last_used_at.map_or("-".to_owned(), |t| t.to_string());
                let state = if t.revoked_at.is_some() {
                    " (revoked)"
                } else {
                    ""
                };
                println!(
                    "{:<12} {:<8} {:<28} {:<28} {}{state}",
                    t.id.to_string(),
                    t.role.as_str(),
                    t.created_at.to_string(),
                    last_used,
                    t.name
                );
            }
        }),
        TokenCommand::Revoke { id } => tokens::revoke_token(store.as_ref(), &id)
            .await
            .map(|t| println!("Revoked token {} \"{}\".", t.id, t.name)),
    };
    store.close().await;
    result.context("token command failed")
}
