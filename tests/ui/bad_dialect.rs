use guard_runtime::secure_tool;

/// Run a query.
#[secure_tool]
fn query(#[arg(sql(dialect = "cobol"))] sql: String) -> String {
    sql
}

/// Run a query in a dialect by another name, in another case.
#[secure_tool]
fn query_pg(#[arg(sql(dialect = "PostgreSQL"))] sql: String) -> String {
    sql
}

fn main() {}
