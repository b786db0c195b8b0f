//! The `trustdesk` command: parse the command line, load the configuration, and hand over to
//! the server library. Nothing else lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use trustdesk_domain::Role;
use trustdesk_server::auth::reveal;
use trustdesk_server::error::ErrorChain;
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
    /// Benchmarks: fill a database with a large data set, time searches over it
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
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
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Agent => Role::Agent,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", trustdesk_server::api::openapi_json());
        return ExitCode::SUCCESS;
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
        Command::Openapi => Ok(()),
        Command::Bench { command } => bench(config, command).await,
    }
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
