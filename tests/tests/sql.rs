//! SQL against the real databases: every refused class is first run
//! unguarded against PostgreSQL, MariaDB or SQLite to show it does the harm
//! (reads `users`, sleeps, writes a file, changes a sequence, drops a
//! table), then the guard refuses it with its exact code; benign
//! text-to-SQL queries pass the guard and run.
//!
//! `scripts/test.sh` starts PostgreSQL and MariaDB on free 127.0.0.1 ports
//! and names them in `GUARD_TEST_POSTGRES_PORT` and `GUARD_TEST_MARIADB_PORT`;
//! without them these tests fail and say so.

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use guard_runtime::validate::{SqlDialect, SqlPolicy};
use guard_runtime::{BuildError, CallContext, Guard, Outcome, ToolCall, secure_tool};

const SECRET: &str = "s3cr3t-hash";

fn port(var: &str, server: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with scripts/test.sh, which starts {server} on 127.0.0.1")
    })
}

fn database() -> String {
    format!("guard_sql_{}", std::process::id())
}

/// Runs SQL through psql on the test database; stdout or stderr.
fn pg_in(db: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            "guard",
        ])
        .args([
            "-p",
            &port("GUARD_TEST_POSTGRES_PORT", "PostgreSQL"),
            "-d",
            db,
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_owned();
    if output.status.success() {
        Ok(text(output.stdout))
    } else {
        Err(text(output.stderr))
    }
}

fn pg(sql: &str) -> Result<String, String> {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        pg_in("postgres", &format!("CREATE DATABASE {}", database())).expect("create database");
        pg_in(
            &database(),
            &format!(
                "CREATE TABLE orders (id serial PRIMARY KEY, user_id int, total numeric, status text);
                 CREATE TABLE users (id int PRIMARY KEY, name text, password_hash text);
                 CREATE SCHEMA tenant2;
                 CREATE TABLE tenant2.orders (id int, secret text);
                 INSERT INTO orders (user_id, total, status) VALUES (1, 10, 'paid'), (2, 250, 'paid'), (1, 40, 'open');
                 INSERT INTO users VALUES (1, 'ada', '{SECRET}'), (2, 'bob', 'x');
                 INSERT INTO tenant2.orders VALUES (1, '{SECRET}');"
            ),
        )
        .expect("schema");
    });
    pg_in(&database(), sql)
}

fn mariadb(sql: &str) -> Result<String, String> {
    static READY: OnceLock<()> = OnceLock::new();
    let run = |db: Option<&str>, sql: &str| {
        let mut command = Command::new("mariadb");
        command
            .args([
                "--no-defaults",
                "--protocol=tcp",
                "-h",
                "127.0.0.1",
                "-u",
                "root",
            ])
            .args([
                "-P",
                &port("GUARD_TEST_MARIADB_PORT", "MariaDB"),
                "--batch",
                "--skip-column-names",
            ]);
        if let Some(db) = db {
            command.args(["-D", db]);
        }
        let output = command.args(["-e", sql]).output().expect("mariadb runs");
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_owned();
        if output.status.success() {
            Ok(text(output.stdout))
        } else {
            Err(text(output.stderr))
        }
    };
    READY.get_or_init(|| {
        run(None, &format!("CREATE DATABASE {}", database())).expect("create database");
        run(
            Some(&database()),
            &format!(
                "CREATE TABLE orders (id int PRIMARY KEY, user_id int, total decimal(10,2));
                 CREATE TABLE users (id int PRIMARY KEY, name text, password_hash text);
                 INSERT INTO orders VALUES (1, 1, 10), (2, 2, 250);
                 INSERT INTO users VALUES (1, 'ada', '{SECRET}');"
            ),
        )
        .expect("schema");
    });
    run(Some(&database()), sql)
}

fn code(policy: &SqlPolicy, sql: &str) -> &'static str {
    match policy.check(sql) {
        Ok(_) => "ok",
        Err(v) => v.code,
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

fn orders_only(dialect: SqlDialect) -> SqlPolicy {
    SqlPolicy::for_dialect(dialect).tables(["orders"])
}

#[test]
fn postgres_table_reads_past_the_list_leak_and_are_refused() {
    let policy = orders_only(SqlDialect::Postgres);
    for sql in [
        "WITH users AS (SELECT * FROM users) SELECT password_hash FROM users",
        "SELECT users.password_hash FROM (WITH users AS (SELECT 1 AS id) SELECT id FROM users) x, users",
        "SELECT status FROM orders UNION ALL SELECT password_hash FROM (TABLE users) u",
        "SELECT query_to_xml('select password_hash from users', true, true, '')",
        "SELECT table_to_xml('users', true, true, '')",
        "SELECT secret FROM tenant2.orders",
    ] {
        let leaked = pg(sql).unwrap();
        assert!(
            leaked.contains(SECRET),
            "unguarded, {sql} should leak: {leaked}"
        );
        let refused = code(&policy, sql);
        let expected = if sql.contains("_to_xml") {
            "sql.dangerous_function"
        } else {
            "sql.table_not_allowed"
        };
        assert_eq!(refused, expected, "{sql}");
    }
    let catalogue = "SELECT usename FROM pg_catalog.pg_user";
    assert!(pg(catalogue).unwrap().contains("guard"));
    assert_eq!(
        code(&SqlPolicy::for_dialect(SqlDialect::Postgres), catalogue),
        "sql.system_table"
    );
}

#[test]
fn postgres_escaped_and_table_functions_run_and_are_refused() {
    let policy = orders_only(SqlDialect::Postgres);
    let (slept, took) = timed(|| pg("SELECT U&\"pg\\005fsleep\"(1)"));
    slept.unwrap();
    assert!(
        took >= Duration::from_secs(1),
        "pg_sleep through U& slept {took:?}"
    );
    assert_eq!(
        code(&policy, "SELECT U&\"pg\\005fsleep\"(1)"),
        "sql.dangerous_function"
    );

    let hostname = pg("SELECT pg_read_file('/etc/hostname')").unwrap();
    assert!(!hostname.is_empty());
    for sql in [
        "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
        "SELECT * FROM pg_read_file('/etc/hostname')",
        "SELECT f FROM orders, LATERAL pg_read_file('/etc/hostname') f",
    ] {
        assert!(
            pg(sql).unwrap().contains(&hostname),
            "unguarded, {sql} reads the file"
        );
        assert_eq!(code(&policy, sql), "sql.dangerous_function", "{sql}");
    }
    // A blind probe: rows come back only if the file could be read.
    let blind = "SELECT id FROM orders WHERE 4821 = (SELECT 4821 FROM pg_read_file('/etc/hostname') x WHERE x <> '')";
    assert_eq!(pg(blind).unwrap().lines().count(), 3);
    assert_eq!(code(&policy, blind), "sql.dangerous_function");

    // Large objects write an arbitrary file on the database host.
    let target = std::env::temp_dir().join(format!("guard-lo-{}", std::process::id()));
    let _ = std::fs::remove_file(&target);
    let create = "SELECT U&\"lo\\005ffrom\\005fbytea\"(0, 'pwned')";
    let oid = pg(create).unwrap();
    let write = format!("SELECT U&\"lo\\005fexport\"({oid}, '{}')", target.display());
    pg(&write).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "pwned");
    let _ = std::fs::remove_file(&target);
    assert_eq!(code(&policy, create), "sql.dangerous_function");
    assert_eq!(code(&policy, &write), "sql.dangerous_function");
}

#[test]
fn postgres_side_effects_of_read_only_looking_queries_are_refused() {
    let policy = orders_only(SqlDialect::Postgres);
    pg("SELECT setval('orders_id_seq', 4242)").unwrap();
    assert_eq!(pg("SELECT last_value FROM orders_id_seq").unwrap(), "4242");
    let locked = pg(
        "SELECT pg_advisory_lock(77); SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
    );
    assert_eq!(locked.unwrap().lines().last(), Some("1"));
    assert_eq!(pg("SELECT pg_reload_conf()").unwrap(), "t");
    for sql in [
        "SELECT setval('orders_id_seq', 4242)",
        "SELECT nextval('orders_id_seq')",
        "SELECT pg_advisory_lock(77)",
        "SELECT pg_reload_conf()",
        "SELECT pg_cancel_backend(1)",
        "SELECT pg_terminate_backend(1)",
        "SELECT set_config('statement_timeout', '0', false)",
    ] {
        assert_eq!(code(&policy, sql), "sql.dangerous_function", "{sql}");
    }
}

#[test]
fn postgres_writes_inside_a_select_happen_and_are_refused() {
    let policy = SqlPolicy::for_dialect(SqlDialect::Postgres);
    let copy = format!("SELECT * INTO stolen_{} FROM users", std::process::id());
    pg(&copy).unwrap();
    let copied = pg(&format!(
        "SELECT password_hash FROM stolen_{} WHERE id = 1",
        std::process::id()
    ));
    assert_eq!(copied.unwrap(), SECRET);
    assert_eq!(code(&policy, &copy), "sql.select_into");
    pg("CREATE TABLE IF NOT EXISTS doomed (id int); INSERT INTO doomed VALUES (1), (2)").unwrap();
    let delete = "WITH gone AS (DELETE FROM doomed RETURNING *) SELECT count(*) FROM gone";
    assert_eq!(pg(delete).unwrap(), "2");
    assert_eq!(pg("SELECT count(*) FROM doomed").unwrap(), "0");
    assert_eq!(code(&policy, delete), "sql.data_modifying_cte");
    let lock = "SELECT id FROM orders FOR UPDATE";
    pg(lock).unwrap();
    assert_eq!(code(&policy, lock), "sql.locking");
}

#[test]
fn postgres_unbounded_work_is_refused() {
    let policy = SqlPolicy::for_dialect(SqlDialect::Postgres);
    // Left alone, a recursive CTE without a bound runs until stopped.
    let endless =
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";
    let stopped = pg(&format!("SET statement_timeout = '300ms'; {endless}")).unwrap_err();
    assert!(stopped.contains("statement timeout"), "{stopped}");
    assert_eq!(code(&policy, endless), "sql.recursive");
    let generated = "SELECT count(*) FROM generate_series(1, 2000000)";
    assert_eq!(pg(generated).unwrap(), "2000000");
    assert_eq!(code(&policy, generated), "sql.cost");
}

#[test]
fn postgres_benign_text_to_sql_passes_and_runs() {
    let policy = SqlPolicy::for_dialect(SqlDialect::Postgres).tables(["orders", "users"]);
    for sql in [
        "SELECT u.name, count(o.id) AS n, sum(o.total) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.name ORDER BY n DESC",
        "WITH big AS (SELECT * FROM orders WHERE total > 20) SELECT status, count(*) FROM big GROUP BY status",
        "SELECT id, total, rank() OVER (PARTITION BY user_id ORDER BY total DESC) FROM orders",
        "SELECT status, user_id, sum(total) FROM orders GROUP BY ROLLUP (status, user_id)",
        "SELECT u.name, last.total FROM users u, LATERAL (SELECT total FROM orders o WHERE o.user_id = u.id ORDER BY id DESC LIMIT 1) last",
        "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s)",
        "SELECT count(*) FROM generate_series(1, 100) g",
        "SELECT coalesce(max(total), 0) FROM public.orders WHERE status IN ('paid', 'open')",
        "TABLE orders",
    ] {
        assert_eq!(code(&policy, sql), "ok", "{sql}");
        pg(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[test]
fn mariadb_executable_comments_run_and_are_refused() {
    let policy = orders_only(SqlDialect::MariaDb);
    let leak = "SELECT id FROM orders WHERE id = 0 /*M! UNION SELECT password_hash FROM users */";
    assert!(mariadb(leak).unwrap().contains(SECRET));
    assert_eq!(code(&policy, leak), "sql.executable_comment");
    let sleep = "SELECT id FROM orders WHERE id = 1 /*M!50000 AND SLEEP(1) */";
    let (ran, took) = timed(|| mariadb(sleep));
    ran.unwrap();
    assert!(took >= Duration::from_secs(1), "slept {took:?}");
    assert_eq!(code(&policy, sleep), "sql.executable_comment");
    assert_eq!(
        code(&orders_only(SqlDialect::Any), leak),
        "sql.executable_comment"
    );
    // MySQL's form runs in MariaDB too.
    let mysql_form =
        "SELECT id FROM orders WHERE id = 0 /*! UNION SELECT password_hash FROM users */";
    assert!(mariadb(mysql_form).unwrap().contains(SECRET));
    assert_eq!(
        code(&orders_only(SqlDialect::MySql), mysql_form),
        "sql.executable_comment"
    );
}

#[test]
fn mariadb_nested_comment_drops_a_table_and_is_refused() {
    mariadb("CREATE TABLE victim (id int)").unwrap();
    let sql = "SELECT 1 /* /* */ ; DROP TABLE victim; /* */ */";
    let _ = mariadb(sql);
    let gone = mariadb("SELECT count(*) FROM victim").unwrap_err();
    assert!(gone.contains("doesn't exist"), "{gone}");
    assert_eq!(
        code(&SqlPolicy::for_dialect(SqlDialect::Any), sql),
        "sql.ambiguous"
    );
    // MariaDB's own reading ends the comment early, and what follows the
    // DROP does not parse.
    assert_eq!(
        code(&SqlPolicy::for_dialect(SqlDialect::MariaDb), sql),
        "sql.unparseable"
    );
    assert_eq!(
        code(
            &SqlPolicy::for_dialect(SqlDialect::MariaDb),
            "SELECT 1 /* x */ ; DROP TABLE victim"
        ),
        "sql.stacked"
    );
    // To PostgreSQL the same text is one SELECT inside nested comments.
    assert_eq!(
        code(&SqlPolicy::for_dialect(SqlDialect::Postgres), sql),
        "ok"
    );
}

#[test]
fn mariadb_catalogue_and_time_functions_are_refused() {
    let policy = SqlPolicy::for_dialect(SqlDialect::MariaDb);
    assert!(
        mariadb("SELECT user FROM mysql.user")
            .unwrap()
            .contains("root")
    );
    assert_eq!(
        code(&policy, "SELECT user FROM mysql.user"),
        "sql.system_table"
    );
    assert_eq!(
        code(&policy, "SELECT table_name FROM information_schema.tables"),
        "sql.system_table"
    );
    let (ran, took) = timed(|| mariadb("SELECT id FROM orders WHERE 1 = (SELECT SLEEP(1))"));
    ran.unwrap();
    assert!(took >= Duration::from_secs(1));
    assert_eq!(
        code(&policy, "SELECT id FROM orders WHERE 1 = (SELECT SLEEP(1))"),
        "sql.dangerous_function"
    );
    assert_eq!(
        code(&policy, "SELECT BENCHMARK(1000, MD5('x'))"),
        "sql.dangerous_function"
    );
}

#[test]
fn mariadb_benign_queries_pass_and_run() {
    let policy = SqlPolicy::for_dialect(SqlDialect::MariaDb).tables(["orders", "users"]);
    for sql in [
        "SELECT u.name, count(*) AS n FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.name",
        "WITH big AS (SELECT * FROM orders WHERE total > 20) SELECT count(*) FROM big",
        "SELECT id, total, row_number() OVER (ORDER BY total DESC) FROM orders",
        "SELECT `id` FROM `orders` WHERE total > 5 ORDER BY id LIMIT 10",
        "SELECT user_id, sum(total) FROM orders GROUP BY user_id WITH ROLLUP",
    ] {
        assert_eq!(code(&policy, sql), "ok", "{sql}");
        mariadb(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

const SQLITE_SCHEMA: &str =
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
     CREATE TABLE users (id INTEGER PRIMARY KEY, password_hash TEXT);";

#[test]
fn sqlite_harm_is_refused_by_sqlites_own_authorizer() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(SQLITE_SCHEMA).unwrap();
    db.execute("INSERT INTO users VALUES (1, ?1)", [SECRET])
        .unwrap();
    let policy = SqlPolicy::new()
        .sqlite_schema(SQLITE_SCHEMA)
        .unwrap()
        .tables(["orders"]);
    let one = |sql: &str| -> String {
        db.query_row(sql, [], |row| row.get::<_, String>(0))
            .unwrap()
    };
    // A CTE hides the real read; SQLite's authorizer still reports it.
    let hidden = "WITH x AS (SELECT password_hash FROM users) SELECT * FROM x";
    assert_eq!(one(hidden), SECRET);
    assert_eq!(code(&policy, hidden), "sql.table_not_allowed");
    let schema = "SELECT group_concat(sql) FROM sqlite_master";
    assert!(one(schema).contains("password_hash"));
    assert_eq!(code(&policy, schema), "sql.system_table");
    // ATTACH creates a file wherever it is told.
    let file = std::env::temp_dir().join(format!("guard-attach-{}.db", std::process::id()));
    let attach = format!("ATTACH DATABASE '{}' AS x", file.display());
    db.execute_batch(&format!(
        "{attach}; CREATE TABLE x.t (a); DETACH DATABASE x;"
    ))
    .unwrap();
    assert!(file.exists());
    let _ = std::fs::remove_file(&file);
    assert_eq!(code(&policy, &attach), "sql.not_read_only");
    let endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 100000";
    assert_eq!(
        db.prepare(endless)
            .unwrap()
            .query_map([], |_| Ok(()))
            .unwrap()
            .count(),
        100_000
    );
    assert_eq!(code(&policy, endless), "sql.recursive");
    // A width of any size makes a string of that size.
    let bomb = "SELECT length(printf('%.*c', 50000000, 'x'))";
    assert_eq!(
        db.query_row(bomb, [], |row| row.get::<_, i64>(0)).unwrap(),
        50_000_000
    );
    assert_eq!(code(&policy, bomb), "sql.cost");
    let benign =
        "SELECT user_id, count(*), sum(total) FROM orders GROUP BY user_id HAVING sum(total) > 0";
    assert_eq!(code(&policy, benign), "ok");
    db.prepare(benign).unwrap();
}

/// Run a read-only report on the shop database.
#[secure_tool]
fn shop_report(
    #[arg(sql(dialect = "postgres", tables = ["orders"]))] sql: String,
) -> Result<String, String> {
    pg(&sql)
}

/// A report whose database is not named.
#[secure_tool]
fn unnamed_db_report(#[arg(sql)] sql: String) -> String {
    sql
}

#[tokio::test]
async fn the_tool_runs_exactly_the_checked_query_and_refusals_never_reach_it() {
    let guard = Guard::builder().only(["shop_report"]).build().unwrap();
    let call = |args: &str| ToolCall::new("c1", "shop_report", args);
    let replies = guard
        .dispatch(
            &CallContext::new("analyst"),
            &[call(r#"{"sql":"SELECT count(*) FROM orders"}"#)],
        )
        .await;
    assert_eq!(replies[0].outcome, Outcome::Success);
    assert_eq!(replies[0].content, "3");
    let before = pg("SELECT last_value FROM orders_id_seq").unwrap();
    let replies = guard
        .dispatch(
            &CallContext::new("analyst"),
            &[call(r#"{"sql":"SELECT nextval('orders_id_seq')"}"#)],
        )
        .await;
    assert!(
        matches!(&replies[0].outcome, Outcome::UnsafeArgument { code, .. } if code == "sql.dangerous_function"),
        "{:?}",
        replies[0].outcome
    );
    assert_eq!(pg("SELECT last_value FROM orders_id_seq").unwrap(), before);
}

#[test]
fn a_tool_without_a_dialect_does_not_build() {
    let error = Guard::builder()
        .only(["unnamed_db_report"])
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, BuildError::InvalidValidator { tool, message }
            if tool == "unnamed_db_report" && message.starts_with("argument `sql` is SQL but no dialect is configured")),
        "{error:?}"
    );
    let config = guard_runtime::validate::ValidatorConfig::default()
        .sql(SqlPolicy::for_dialect(SqlDialect::Sqlite));
    Guard::builder()
        .only(["unnamed_db_report"])
        .validators(config)
        .build()
        .unwrap();
}

#[tokio::test]
async fn policy_sections_name_the_dialect_and_narrow_functions() {
    use guard_runtime::policy::{Format, Policy};
    let policy = Policy::from_str(
        r#"
[tools.unnamed_db_report]
sql = { dialect = "sqlite", functions = ["count", "generate_series"], max_generated = 10 }
"#,
        Format::Toml,
    )
    .unwrap();
    let guard = Guard::builder()
        .only(["unnamed_db_report"])
        .policy(policy)
        .build()
        .unwrap();
    let call = |sql: &str| {
        ToolCall::new(
            "c1",
            "unnamed_db_report",
            serde_json::json!({ "sql": sql }).to_string(),
        )
    };
    let ctx = CallContext::new("analyst");
    let outcome = |sql: &'static str| {
        let guard = guard.clone();
        let ctx = ctx.clone();
        let call = call(sql);
        async move {
            match guard.dispatch(&ctx, &[call]).await.remove(0).outcome {
                Outcome::Success => "ok".to_owned(),
                Outcome::UnsafeArgument { code, .. } => code,
                other => format!("{other:?}"),
            }
        }
    };
    assert_eq!(outcome("SELECT count(*) FROM orders").await, "ok");
    assert_eq!(
        outcome("SELECT max(id) FROM orders").await,
        "sql.function_not_allowed"
    );
    assert_eq!(
        outcome("SELECT count(*) FROM generate_series(1, 5)").await,
        "ok"
    );
    assert_eq!(
        outcome("SELECT count(*) FROM generate_series(1, 100)").await,
        "sql.cost"
    );
    // SQLite's reading: `#` is not a comment there.
    assert_eq!(
        outcome("SELECT id FROM orders # newest").await,
        "sql.unparseable"
    );
}
