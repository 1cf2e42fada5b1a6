//! `cargo bench --bench validators`: each validator on typical inputs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::validate::{
    CommandPolicy, PathPolicy, SqlPolicy, TextPolicy, UrlPolicy, check_shell_arg,
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
    let sql =
        SqlPolicy::new()
            .dialect("postgres")
            .unwrap()
            .tables(["orders", "customers", "regions"]);
    c.bench_function("sql_300_chars", |b| {
        b.iter(|| sql.check(black_box(QUERY)).unwrap())
    });
    // No dialect named: every common dialect's reading is checked.
    let any = SqlPolicy::new().tables(["orders", "customers", "regions"]);
    c.bench_function("sql_300_chars_any_dialect", |b| {
        b.iter(|| any.check(black_box(QUERY)).unwrap())
    });
    let command = CommandPolicy::new().programs(["git", "ls", "grep"]);
    c.bench_function("command", |b| {
        b.iter(|| {
            command
                .check(black_box("git log --oneline -n 20 -- src/main.rs"))
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
