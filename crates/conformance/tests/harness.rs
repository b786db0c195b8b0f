//! The PostgreSQL harness itself: fresh databases are real, separate and dropped; leftovers
//! of crashed runs go; a misconfigured server fails loudly; and the private throw-away
//! cluster really starts and serves when no server answers.

use sqlx::{Connection, PgConnection};
use trustdesk_conformance::pg::{
    self, DATABASE_PREFIX, PrivateCluster, admin_url, choose_server, create_database,
    drop_leftovers, fresh_database,
};

async fn connect(url: &str) -> PgConnection {
    match PgConnection::connect(url).await {
        Ok(conn) => conn,
        Err(e) => panic!("connecting to {url}: {e}"),
    }
}

async fn database_exists(admin: &str, name: &str) -> bool {
    let mut conn = connect(admin).await;
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("reading pg_database: {e}"));
    found.is_some()
}

/// A server URL nothing answers at: port 1 is privileged, unused, and never handed out as an
/// ephemeral port, so neither another test nor the private cluster can come to listen on it.
const DEAD_URL: &str = "postgres://postgres@127.0.0.1:1/postgres";

#[tokio::test]
async fn fresh_databases_are_empty_separate_and_dropped() {
    let admin = admin_url().await.unwrap_or_else(|e| panic!("{e}"));
    let a = fresh_database().await;
    let b = fresh_database().await;
    assert_ne!(a.name, b.name);
    assert!(a.name.starts_with(DATABASE_PREFIX), "{}", a.name);

    let mut conn_a = connect(&a.url).await;
    let current: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut conn_a)
        .await
        .expect("current_database");
    assert_eq!(current, a.name);
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn_a)
    .await
    .expect("count tables");
    assert_eq!(tables, 0, "a fresh database is empty");
    sqlx::raw_sql("CREATE TABLE only_in_a (x int)")
        .execute(&mut conn_a)
        .await
        .expect("create table");

    let mut conn_b = connect(&b.url).await;
    let in_b: Option<String> = sqlx::query_scalar("SELECT to_regclass('only_in_a')::text")
        .fetch_one(&mut conn_b)
        .await
        .expect("to_regclass");
    assert_eq!(in_b, None, "databases do not share tables");
    conn_b.close().await.expect("close");

    // Dropping removes the database even while a connection to it is still open.
    let name = a.name.clone();
    assert!(database_exists(&admin, &name).await);
    a.drop_database().await.expect("drop_database");
    assert!(
        !database_exists(&admin, &name).await,
        "{name} was not dropped"
    );
    drop(conn_a);

    // Going out of scope drops it too, in the background.
    let name = b.name.clone();
    drop(b);
    let mut waited = 0;
    while database_exists(&admin, &name).await {
        waited += 1;
        assert!(
            waited < 600,
            "{name} was still there a minute after its TestDatabase went"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn leftovers_older_than_an_hour_are_dropped() {
    let admin = admin_url().await.unwrap_or_else(|e| panic!("{e}"));
    let pid = std::process::id();
    // Named as a run from 1970 would have named it, and as one from now.
    let old = format!("{DATABASE_PREFIX}1000_{pid}_leftover");
    let young = create_database(&admin)
        .await
        .expect("create young database");
    let mut conn = connect(&admin).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{old}\"")))
        .execute(&mut conn)
        .await
        .expect("create old database");
    drop_leftovers(&admin).await;
    assert!(!database_exists(&admin, &old).await, "old leftover kept");
    assert!(
        database_exists(&admin, &young.name).await,
        "young database dropped"
    );
}

#[tokio::test]
async fn an_explicit_url_that_does_not_answer_fails_loudly() {
    let dead = DEAD_URL.to_owned();
    let err = choose_server(Some(dead), pg::DEFAULT_URL, &PrivateCluster::standard())
        .await
        .expect_err("a dead explicit server must not be replaced by another");
    assert!(err.to_string().contains(pg::ENV_URL), "{err}");
}

#[tokio::test]
async fn without_binaries_the_failure_names_the_package() {
    let dead = DEAD_URL.to_owned();
    let nowhere = PrivateCluster {
        dir: std::env::temp_dir().join(format!("trustdesk-no-pg-{}", std::process::id())),
        bin_dirs: Vec::new(),
    };
    let err = choose_server(None, &dead, &nowhere)
        .await
        .expect_err("no server and no binaries");
    assert!(
        err.to_string().contains("apt-get install postgresql"),
        "{err}"
    );
}

/// The path CI takes on a machine without a running server: the default server does not
/// answer, so the private cluster is started (or reused) and serves fresh databases.
#[tokio::test]
async fn the_private_cluster_serves_when_no_server_answers() {
    let dead = DEAD_URL.to_owned();
    let cluster = PrivateCluster::standard();
    let url = choose_server(None, &dead, &cluster)
        .await
        .unwrap_or_else(|e| panic!("private cluster: {e}"));
    assert_ne!(url, dead);
    assert!(url.starts_with("postgres://postgres@127.0.0.1:"), "{url}");

    let db = create_database(&url)
        .await
        .expect("database on the private cluster");
    let mut conn = connect(&db.url).await;
    let data_dir: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(&mut conn)
        .await
        .expect("data_directory");
    assert!(
        std::path::Path::new(&data_dir).starts_with(&cluster.dir),
        "served by {data_dir}, not by the private cluster in {}",
        cluster.dir.display()
    );
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .expect("listen_addresses");
    assert_eq!(listen, "127.0.0.1", "loopback only");
    conn.close().await.expect("close");

    // A second call (as a later test process would make) reuses the running cluster.
    let again = choose_server(None, &dead, &cluster)
        .await
        .unwrap_or_else(|e| panic!("private cluster again: {e}"));
    assert_eq!(again, url);
}
