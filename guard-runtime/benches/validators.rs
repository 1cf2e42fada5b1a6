//! `cargo bench --bench validators`: each validator on typical inputs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::validate::{
    CommandPolicy, PathPolicy, SqlDialect, SqlPolicy, TextPolicy, UrlPolicy, check_shell_arg,
};

/// A 300-character read-only query with a join, a subquery and a CTE.
const QUERY: &str = "WITH recent AS (SELECT customer_id, SUM(total) AS spent FROM orders \
    WHERE created_at > '2026-01-01' GROUP BY customer_id) SELECT c.id, c.name, r.spent FROM \
    customers c JOIN recent r ON r.customer_id = c.id WHERE c.region IN (SELECT code FROM \
    regions WHERE active = 1) ORDER BY r.spent DESC LIMIT 50";

fn validators(c: &mut Criterion) {
    assert!((290..=310).contains(&QUERY.len()), "{}", QUERY.len());
    let path = PathPolicy::new()
        .deny([".env", "*.pem", ".git"])
        .unwrap()
        .extensions(["rs", "md"]);
    c.bench_function("path_lexical", |b| {
        b.iter(|| path.check(black_box("src/validate/path.rs")).unwrap())
    });
    let url = UrlPolicy::new();
    c.bench_function("url", |b| {
        b.iter(|| {
            url.check(black_box(
                "https://api.example.com/v1/orders?limit=50&page=2",
            ))
            .unwrap()
        })
    });
    // PostgreSQL: its own parser with the `postgres` feature, else sqlparser.
    let sql =
        SqlPolicy::for_dialect(SqlDialect::Postgres).tables(["orders", "customers", "regions"]);
    c.bench_function("sql_300_chars_postgres", |b| {
        b.iter(|| sql.check(black_box(QUERY)).unwrap())
    });
    // sqlparser's readings of the same query.
    for dialect in [SqlDialect::Sqlite, SqlDialect::MySql, SqlDialect::Generic] {
        let policy = SqlPolicy::for_dialect(dialect).tables(["orders", "customers", "regions"]);
        c.bench_function(&format!("sql_300_chars_{dialect}"), |b| {
            b.iter(|| policy.check(black_box(QUERY)).unwrap())
        });
    }
    #[cfg(feature = "sqlite")]
    {
        let authorizer = SqlPolicy::new()
            .sqlite_schema(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT);
                 CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL,
                                      created_at TEXT);
                 CREATE TABLE regions (code TEXT PRIMARY KEY, active INTEGER);",
            )
            .unwrap()
            .tables(["orders", "customers", "regions"]);
        c.bench_function("sql_300_chars_sqlite_authorizer", |b| {
            b.iter(|| authorizer.check(black_box(QUERY)).unwrap())
        });
    }
    // The explicit slow mode: six tokenisations and six parses.
    let any = SqlPolicy::for_dialect(SqlDialect::Any).tables(["orders", "customers", "regions"]);
    c.bench_function("sql_300_chars_any_dialect", |b| {
        b.iter(|| any.check(black_box(QUERY)).unwrap())
    });
    // Cost stays linear: a 64 KiB query (an IN list of 10,000 values).
    let list: Vec<String> = (0..13_000).map(|i| i.to_string()).collect();
    let big = format!("SELECT id FROM orders WHERE id IN ({})", list.join(","));
    assert!(big.len() >= 64 * 1024, "{}", big.len());
    for dialect in [SqlDialect::Postgres, SqlDialect::MySql] {
        let policy = SqlPolicy::for_dialect(dialect).tables(["orders"]);
        c.bench_function(&format!("sql_64k_{dialect}"), |b| {
            b.iter(|| policy.check(black_box(&big)).unwrap())
        });
    }
    let command = CommandPolicy::new().programs(["git", "ls", "grep"]);
    c.bench_function("command", |b| {
        b.iter(|| {
            command
                .check(black_box("git log --oneline -n 20 -- src/main.rs"))
                .unwrap()
        })
    });
    // A chain: env, then nice, then find, then its -exec program.
    let chain = CommandPolicy::new();
    c.bench_function("command_chain", |b| {
        b.iter(|| {
            chain
                .check(black_box(
                    "env LC_ALL=C nice -n 5 find . -name '*.rs' -exec wc -l {} +",
                ))
                .unwrap()
        })
    });
    let hostile = format!("git -c color.ui=false log {}", "--oneline ".repeat(400));
    c.bench_function("command_4k_words", |b| {
        b.iter(|| command.check(black_box(&hostile)).unwrap())
    });
    let ssh = UrlPolicy::new().schemes(["ssh"]);
    c.bench_function("url_non_special", |b| {
        b.iter(|| {
            ssh.check(black_box("ssh://git.example.com:2222/org/repo.git"))
                .unwrap()
        })
    });
    // Resolution beneath a root on a real tree, 4 components: no link, a
    // relative link (`lib -> src`), an absolute one (`abs -> /.../src`,
    // which only the component walk decides), and a file not yet there.
    let tree = std::env::temp_dir().join(format!("guard-bench-tree-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(tree.join("src/validate/url")).unwrap();
    std::fs::write(tree.join("src/validate/url/mod.rs"), "").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("src", tree.join("lib")).unwrap();
        std::os::unix::fs::symlink(tree.join("src"), tree.join("abs")).unwrap();
    }
    let rooted = PathPolicy::new()
        .root(&tree)
        .deny([".env", "*.pem", ".git"])
        .unwrap();
    for (name, path) in [
        ("path_resolved_4_components", "src/validate/url/mod.rs"),
        ("path_resolved_relative_link", "lib/validate/url/mod.rs"),
        ("path_resolved_absolute_link", "abs/validate/url/mod.rs"),
        ("path_resolved_new_file", "src/validate/url/new.rs"),
    ] {
        c.bench_function(name, |b| b.iter(|| rooted.check(black_box(path)).unwrap()));
    }
    let with_commands = CommandPolicy::new().paths(rooted.clone());
    c.bench_function("command_with_root", |b| {
        b.iter(|| {
            with_commands
                .check(black_box("grep -rn TODO lib/validate"))
                .unwrap()
        })
    });
    c.bench_function("shell_arg", |b| {
        b.iter(|| check_shell_arg(black_box("report-2026.txt")).unwrap())
    });
    let text = TextPolicy::new();
    let prose = "Ship the guard on Friday; the release notes are in docs/release.md. ".repeat(4);
    c.bench_function("string_hygiene_280_chars", |b| {
        b.iter(|| text.check(black_box(&prose)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = validators
}
criterion_main!(benches);
