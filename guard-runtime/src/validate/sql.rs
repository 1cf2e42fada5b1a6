//! SQL: parsed with sqlparser, never matched with patterns. Read-only by
//! default: exactly one query, no `SELECT ... INTO`, no data-modifying
//! CTEs, no locking clauses, no functions with side effects, and optionally
//! only the listed tables, checked on every table reference at any depth.
//!
//! Without a named dialect the query is parsed as each of the common
//! dialects (generic, MySQL, PostgreSQL, SQL Server, SQLite, Oracle): it
//! passes only if at least one of them parses it and none that parses it
//! sees a violation. Dialects disagree on comments (`#`, `-- ` needing a
//! space), backslash escapes and quoting, and a query that is one harmless
//! SELECT to one parser can be two statements to the database; checking every
//! reading closes that gap. Naming the database's dialect is exact and faster.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{Expr, ObjectName, Query, SetExpr, Statement, TableFactor, Visit, Visitor};
use sqlparser::dialect::Dialect;
use sqlparser::parser::Parser;

use super::Violation;

/// Functions that sleep, read or write files, reach the network or run commands.
const DANGEROUS_FUNCTIONS: [&str; 78] = [
    "sleep",
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "benchmark",
    "waitfor",
    "load_file",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "lo_import",
    "lo_export",
    "lo_from_bytea",
    "lo_put",
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "xp_cmdshell",
    "xp_dirtree",
    "xp_fileexist",
    "xp_regread",
    "sp_oacreate",
    "sp_oamethod",
    "sp_executesql",
    "openrowset",
    "opendatasource",
    "openquery",
    "utl_http",
    "utl_inaddr",
    "utl_file",
    "receive_message",
    "dbms_pipe",
    "dbms_lock",
    "randomblob",
    "zeroblob",
    "load_extension",
    "sys_exec",
    "sys_eval",
    "pg_terminate_backend",
    // Side effects a read-only query must not have: sequences, locks,
    // backend control, configuration, large objects, server files.
    "setval",
    "nextval",
    "lo_unlink",
    "lo_create",
    "lo_creat",
    "lo_truncate",
    "lo_open",
    "lowrite",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_file_write",
    "pg_file_unlink",
    "pg_file_rename",
    "pg_file_sync",
    "pg_logdir_ls",
    "pg_switch_wal",
    "pg_promote",
    "pg_create_restore_point",
    "set_config",
    "pg_notify",
    // Functions that read tables named in a string, past any table list.
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "table_to_xml",
    "table_to_xml_and_xmlschema",
    "database_to_xml",
    "database_to_xml_and_xmlschema",
    "schema_to_xml",
    // Oracle's text-index package, reachable from any query.
    "ctxsys",
];

/// Name prefixes of whole families: SQL Server's extended and OLE
/// procedures, Oracle's `DBMS_*` and `UTL_*` packages.
const DANGEROUS_PREFIXES: [&str; 4] = ["xp_", "sp_oa", "dbms_", "utl_"];

/// Whether a function name (any of its dotted parts) is in the catalogue,
/// read with PostgreSQL's `U&"..."` escapes decoded (`pg\005fsleep` is
/// `pg_sleep`).
fn is_dangerous(name: &ObjectName) -> bool {
    let name = decode_unicode_escapes(&bare(name));
    name.split('.').any(|part| {
        DANGEROUS_FUNCTIONS.contains(&part)
            || DANGEROUS_PREFIXES.iter().any(|p| part.starts_with(p))
    })
}

/// `\XXXX` and `\+XXXXXX` as PostgreSQL decodes them in `U&` identifiers.
/// Decoding every identifier errs on the strict side: a plain quoted name
/// with such a backslash is only ever compared against the catalogue.
fn decode_unicode_escapes(name: &str) -> String {
    if !name.contains('\\') {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (digits, skip) = match after.strip_prefix('+') {
            Some(plus) => (plus.get(..6), 7),
            None => (after.get(..4), 4),
        };
        match digits
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.extend(c.to_lowercase());
                rest = &after[skip..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Statement kinds a `write` policy can permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteKind {
    /// `INSERT`
    Insert,
    /// `UPDATE`
    Update,
    /// `DELETE`
    Delete,
    /// `MERGE`
    Merge,
}

impl WriteKind {
    /// Parses `insert`, `update`, `delete` or `merge`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "insert" => Some(WriteKind::Insert),
            "update" => Some(WriteKind::Update),
            "delete" => Some(WriteKind::Delete),
            "merge" => Some(WriteKind::Merge),
            _ => None,
        }
    }
}

/// Rules for an SQL argument.
///
/// ```
/// use guard_runtime::validate::SqlPolicy;
///
/// let policy = SqlPolicy::new().tables(["orders", "customers"]);
/// assert!(policy.check("SELECT id FROM orders WHERE total > 10").is_ok());
/// assert_eq!(policy.check("SELECT 1; DROP TABLE users").unwrap_err().code, "sql.stacked");
/// assert_eq!(policy.check("DELETE FROM orders").unwrap_err().code, "sql.not_read_only");
/// assert_eq!(policy.check("SELECT * FROM users").unwrap_err().code, "sql.table_not_allowed");
/// assert_eq!(policy.check("SELECT pg_sleep(10)").unwrap_err().code, "sql.dangerous_function");
/// ```
#[derive(Clone)]
pub struct SqlPolicy {
    dialects: Arc<[Arc<dyn Dialect + Send + Sync>]>,
    dialect_name: String,
    tables: Option<Vec<String>>,
    writes: Vec<WriteKind>,
}

impl fmt::Debug for SqlPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlPolicy")
            .field("dialect", &self.dialect_name)
            .field("tables", &self.tables)
            .field("writes", &self.writes)
            .finish()
    }
}

impl Default for SqlPolicy {
    fn default() -> Self {
        SqlPolicy {
            dialects: any_dialect(),
            dialect_name: "any".to_owned(),
            tables: None,
            writes: Vec::new(),
        }
    }
}

/// The statement that passed [`SqlPolicy::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSql {
    statement: Statement,
}

impl CheckedSql {
    /// The parsed statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }
}

/// Nesting deeper than this is refused rather than risking the stack.
const RECURSION_LIMIT: usize = 50;

impl SqlPolicy {
    /// Read-only, any table, and no dialect named: the query passes only if
    /// one common dialect (generic, MySQL, PostgreSQL, SQL Server, SQLite,
    /// Oracle) parses it and none that parses it finds a violation.
    pub fn new() -> Self {
        SqlPolicy::default()
    }

    /// Uses a named dialect: generic, mysql, postgres, sqlite, mssql
    /// (or tsql), snowflake, bigquery, clickhouse, duckdb, redshift, hive, ansi,
    /// databricks, spark, oracle, teradata; or `any` (the default, see
    /// [`SqlPolicy::new`]).
    ///
    /// # Errors
    /// The name of an unknown dialect.
    pub fn dialect(mut self, name: &str) -> Result<Self, String> {
        self.dialects = if name.eq_ignore_ascii_case("any") {
            any_dialect()
        } else {
            let dialect =
                named_dialect(name).ok_or_else(|| format!("unknown SQL dialect `{name}`"))?;
            Arc::from([dialect])
        };
        self.dialect_name = name.to_lowercase();
        Ok(self)
    }

    pub(crate) fn table_list(&self) -> Option<&[String]> {
        self.tables.as_deref()
    }

    /// Only these tables (case-insensitive; `schema.table` or `table`).
    pub fn tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tables = Some(
            tables
                .into_iter()
                .map(|t| t.into().to_lowercase())
                .collect(),
        );
        self
    }

    /// Also permits these write statements (still one statement, still
    /// subject to the table list and the function deny-list).
    pub fn write(mut self, kinds: impl IntoIterator<Item = WriteKind>) -> Self {
        self.writes = kinds.into_iter().collect();
        self
    }

    /// Checks an SQL argument.
    ///
    /// # Errors
    /// A [`Violation`] with code `sql.executable_comment`,
    /// `sql.unparseable`, `sql.empty`, `sql.stacked`, `sql.not_read_only`,
    /// `sql.select_into`, `sql.data_modifying_cte`, `sql.locking`,
    /// `sql.dangerous_function` or `sql.table_not_allowed`.
    pub fn check(&self, value: &str) -> Result<CheckedSql, Violation> {
        // MySQL runs the inside of /*! ... */ and MariaDB that of /*M! ... */;
        // every parser skips both as comments.
        if value.contains("/*!") || value.contains("/*M!") || value.contains("/*m!") {
            return Err(Violation::new(
                "sql.executable_comment",
                "MySQL and MariaDB executable comments are not allowed",
            ));
        }
        let mut accepted = None;
        for dialect in self.dialects.iter() {
            match self.check_as(&**dialect, value) {
                Ok(checked) => {
                    accepted.get_or_insert(checked);
                }
                Err(violation) if violation.code == "sql.unparseable" => {}
                // One reading that breaks a rule is enough to refuse.
                Err(violation) => return Err(violation),
            }
        }
        accepted.ok_or_else(|| Violation::new("sql.unparseable", "the SQL does not parse"))
    }

    fn check_as(&self, dialect: &dyn Dialect, value: &str) -> Result<CheckedSql, Violation> {
        let mut statements = Parser::new(dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(value)
            .and_then(|mut parser| parser.parse_statements())
            .map_err(|_| Violation::new("sql.unparseable", "the SQL does not parse"))?;
        let statement = match statements.len() {
            0 => return Err(Violation::new("sql.empty", "no SQL statement")),
            1 => statements.remove(0),
            _ => {
                return Err(Violation::new(
                    "sql.stacked",
                    "exactly one statement is allowed",
                ));
            }
        };
        let allowed_write = match &statement {
            Statement::Query(_) => true,
            Statement::Insert(_) => self.writes.contains(&WriteKind::Insert),
            Statement::Update(_) => self.writes.contains(&WriteKind::Update),
            Statement::Delete(_) => self.writes.contains(&WriteKind::Delete),
            Statement::Merge(_) => self.writes.contains(&WriteKind::Merge),
            _ => false,
        };
        if !allowed_write {
            return Err(Violation::new(
                "sql.not_read_only",
                "only a read-only query (SELECT) is allowed",
            ));
        }
        let mut rules = Rules {
            policy: self,
            ctes: Vec::new(),
            read_only: matches!(statement, Statement::Query(_)),
        };
        if let ControlFlow::Break(violation) = statement.visit(&mut rules) {
            return Err(violation);
        }
        Ok(CheckedSql { statement })
    }
}

/// The dialects `any` checks a query against.
fn any_dialect() -> Arc<[Arc<dyn Dialect + Send + Sync>]> {
    use sqlparser::dialect::*;
    static ANY: std::sync::OnceLock<Arc<[Arc<dyn Dialect + Send + Sync>]>> =
        std::sync::OnceLock::new();
    ANY.get_or_init(|| {
        Arc::from([
            Arc::new(GenericDialect {}) as Arc<dyn Dialect + Send + Sync>,
            Arc::new(MySqlDialect {}),
            Arc::new(PostgreSqlDialect {}),
            Arc::new(MsSqlDialect {}),
            Arc::new(SQLiteDialect {}),
            Arc::new(OracleDialect {}),
        ])
    })
    .clone()
}

/// sqlparser's `dialect_from_str` erases `Send + Sync`; this keeps them.
fn named_dialect(name: &str) -> Option<Arc<dyn Dialect + Send + Sync>> {
    use sqlparser::dialect::*;
    Some(match name.to_lowercase().as_str() {
        "generic" => Arc::new(GenericDialect {}),
        "mysql" => Arc::new(MySqlDialect {}),
        "postgres" | "postgresql" => Arc::new(PostgreSqlDialect {}),
        "sqlite" => Arc::new(SQLiteDialect {}),
        "mssql" | "tsql" => Arc::new(MsSqlDialect {}),
        "snowflake" => Arc::new(SnowflakeDialect),
        "bigquery" => Arc::new(BigQueryDialect),
        "clickhouse" => Arc::new(ClickHouseDialect {}),
        "duckdb" => Arc::new(DuckDbDialect {}),
        "redshift" => Arc::new(RedshiftSqlDialect {}),
        "hive" => Arc::new(HiveDialect {}),
        "ansi" => Arc::new(AnsiDialect {}),
        "databricks" => Arc::new(DatabricksDialect {}),
        "spark" | "sparksql" => Arc::new(SparkSqlDialect {}),
        "oracle" => Arc::new(OracleDialect {}),
        "teradata" => Arc::new(TeradataDialect {}),
        _ => return None,
    })
}

fn bare(name: &ObjectName) -> String {
    name.to_string()
        .to_lowercase()
        .replace(['"', '`', '[', ']'], "")
}

fn dangerous_function() -> Violation {
    Violation::new(
        "sql.dangerous_function",
        "functions that sleep, touch files or the network, or have side effects, are not allowed",
    )
}

struct Rules<'p> {
    policy: &'p SqlPolicy,
    ctes: Vec<String>,
    read_only: bool,
}

impl Rules<'_> {
    fn body(&self, body: &SetExpr) -> ControlFlow<Violation> {
        match body {
            SetExpr::Select(select) if select.into.is_some() => ControlFlow::Break(Violation::new(
                "sql.select_into",
                "SELECT ... INTO is not allowed",
            )),
            SetExpr::SetOperation { left, right, .. } => {
                self.body(left)?;
                self.body(right)
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
                if self.read_only =>
            {
                ControlFlow::Break(Violation::new(
                    "sql.data_modifying_cte",
                    "data-modifying statements inside a query are not allowed",
                ))
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Rules<'_> {
    type Break = Violation;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Violation> {
        // A query's CTEs are named before anything inside it is visited, so
        // one pass sees every CTE name before the relations that use it.
        if let Some(with) = &query.with {
            self.ctes.extend(
                with.cte_tables
                    .iter()
                    .map(|cte| cte.alias.name.value.to_lowercase()),
            );
        }
        if !query.locks.is_empty() {
            return ControlFlow::Break(Violation::new(
                "sql.locking",
                "locking clauses (FOR UPDATE, FOR SHARE) are not allowed",
            ));
        }
        self.body(&query.body)
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<Violation> {
        let Some(allowed) = &self.policy.tables else {
            return ControlFlow::Continue(());
        };
        let full = bare(relation);
        let last = full.rsplit('.').next().unwrap_or(&full).to_owned();
        let known = allowed.iter().any(|t| *t == full || *t == last) || self.ctes.contains(&full);
        if known {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(Violation::new(
                "sql.table_not_allowed",
                format!("only these tables are allowed: {}", allowed.join(", ")),
            ))
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Violation> {
        match expr {
            Expr::Function(function) if is_dangerous(&function.name) => {
                ControlFlow::Break(dangerous_function())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    /// Functions in `FROM` and `LATERAL` (`FROM pg_read_file(...)`) run as
    /// much as those in the select list.
    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Violation> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. }
                if is_dangerous(name) =>
            {
                ControlFlow::Break(dangerous_function())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(policy: &SqlPolicy, sql: &str) -> &'static str {
        match policy.check(sql) {
            Ok(_) => "ok",
            Err(v) => v.code,
        }
    }

    /// Functions wherever they stand, under escaped names, with side
    /// effects, and MariaDB's executable comments (classes from #14).
    #[test]
    fn functions_are_checked_wherever_they_appear() {
        let pg = SqlPolicy::new().dialect("postgres").unwrap();
        for sql in [
            "SELECT U&\"pg\\005fsleep\"(3)",
            "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
            "SELECT * FROM pg_read_file('/etc/hostname')",
            "SELECT 1 FROM orders, LATERAL pg_read_file('/etc/hostname') f",
            "SELECT id FROM orders WHERE 4821 = (SELECT 4821 FROM PG_SLEEP(5))",
            "SELECT setval('orders_id_seq', 1)",
            "SELECT nextval('orders_id_seq')",
            "SELECT pg_advisory_lock(1)",
            "SELECT pg_cancel_backend(42)",
            "SELECT pg_reload_conf()",
            "SELECT lo_unlink(16400)",
            "SELECT query_to_xml('select * from users', true, true, '')",
            "SELECT table_to_xml('users', true, true, '')",
            "SELECT set_config('search_path', 'evil', false)",
        ] {
            assert_eq!(code(&pg, sql), "sql.dangerous_function", "{sql}");
        }
        let oracle = SqlPolicy::new().dialect("oracle").unwrap();
        assert_eq!(
            code(&oracle, "SELECT CTXSYS.DRITHSX.SN(user, 'x') FROM dual"),
            "sql.dangerous_function"
        );
        assert_eq!(
            code(
                &oracle,
                "SELECT DBMS_PIPE.RECEIVE_MESSAGE('a', 5) FROM dual"
            ),
            "sql.dangerous_function"
        );
        for sql in [
            "SELECT id FROM orders /*M! UNION SELECT password_hash FROM users */",
            "SELECT id FROM orders /*M!50000 AND SLEEP(2) */",
        ] {
            assert_eq!(
                code(&SqlPolicy::new(), sql),
                "sql.executable_comment",
                "{sql}"
            );
        }
        for sql in [
            "SELECT * FROM generate_series(1, 10) g",
            "SELECT o.id FROM orders o, LATERAL (SELECT 1) x",
            "SELECT count(*), max(total) FROM orders",
        ] {
            assert_eq!(code(&pg, sql), "ok", "{sql}");
        }
    }

    #[test]
    fn read_only_rules() {
        let p = SqlPolicy::new();
        let cases = [
            ("SELECT name FROM users WHERE id = 1", "ok"),
            ("WITH t AS (SELECT 1 AS x) SELECT x FROM t", "ok"),
            ("SELECT a FROM t UNION SELECT b FROM u", "ok"),
            ("SELECT * FROM users WHERE name = '' OR 1=1 --'", "ok"),
            ("SELECT 'DROP TABLE users; --' AS s", "ok"),
            ("", "sql.empty"),
            ("SELEC 1", "sql.unparseable"),
            ("SELECT 1; DROP TABLE users", "sql.stacked"),
            ("SELECT 1; SELECT 2", "sql.stacked"),
            ("DROP TABLE users", "sql.not_read_only"),
            ("INSERT INTO t VALUES (1)", "sql.not_read_only"),
            ("UPDATE t SET a = 1", "sql.not_read_only"),
            ("GRANT ALL ON t TO bob", "sql.not_read_only"),
            ("SELECT * INTO backup FROM users", "sql.select_into"),
            (
                "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone",
                "sql.data_modifying_cte",
            ),
            ("SELECT * FROM t FOR UPDATE", "sql.locking"),
            (
                "SELECT * FROM t WHERE id IN (SELECT id FROM u FOR SHARE)",
                "sql.locking",
            ),
            ("SELECT pg_sleep(5)", "sql.dangerous_function"),
            (
                "SELECT * FROM t WHERE 1 = (SELECT SLEEP(5))",
                "sql.dangerous_function",
            ),
            ("SELECT load_file('/etc/passwd')", "sql.dangerous_function"),
            (
                "SELECT master.dbo.xp_cmdshell('dir')",
                "sql.dangerous_function",
            ),
            ("SELECT 1 /*!; DROP TABLE t */", "sql.executable_comment"),
        ];
        for (sql, expected) in cases {
            assert_eq!(code(&p, sql), expected, "{sql}");
        }
    }

    #[test]
    fn table_allow_list_reaches_subqueries_joins_and_ctes() {
        let p = SqlPolicy::new().tables(["orders", "customers"]);
        assert_eq!(
            code(&p, "SELECT * FROM orders o JOIN customers c ON o.c = c.id"),
            "ok"
        );
        assert_eq!(
            code(&p, "WITH big AS (SELECT * FROM orders) SELECT * FROM big"),
            "ok"
        );
        assert_eq!(code(&p, "SELECT * FROM public.orders"), "ok");
        for sql in [
            "SELECT * FROM users",
            "SELECT * FROM orders JOIN users ON 1 = 1",
            "SELECT * FROM orders WHERE id IN (SELECT id FROM users)",
            "SELECT (SELECT pw FROM users LIMIT 1) FROM orders",
            "SELECT * FROM orders UNION SELECT * FROM pg_shadow",
        ] {
            assert_eq!(code(&p, sql), "sql.table_not_allowed", "{sql}");
        }
    }

    #[test]
    fn write_mode_permits_only_the_named_kinds() {
        let p = SqlPolicy::new()
            .write([WriteKind::Insert])
            .tables(["orders"]);
        assert_eq!(code(&p, "INSERT INTO orders (id) VALUES (1)"), "ok");
        assert_eq!(
            code(&p, "INSERT INTO users (id) VALUES (1)"),
            "sql.table_not_allowed"
        );
        assert_eq!(code(&p, "DELETE FROM orders"), "sql.not_read_only");
        assert_eq!(
            code(&p, "INSERT INTO orders VALUES (1); DELETE FROM orders"),
            "sql.stacked"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let sql = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(code(&SqlPolicy::new(), &sql), "sql.unparseable");
    }

    #[test]
    fn any_dialect_refuses_what_any_reading_refuses() {
        let any = SqlPolicy::new();
        let generic = SqlPolicy::new().dialect("generic").unwrap();
        // A MySQL comment: only MySQL parses it, as one harmless query.
        let hash = "SELECT * FROM products WHERE id = 1 #";
        assert_eq!(code(&any, hash), "ok");
        assert_eq!(code(&generic, hash), "sql.unparseable");
        // To MySQL `\'` escapes the quote, so the string ends later and the
        // DELETE is a second statement; the generic reading alone misses it.
        let escaped = r"SELECT 'a\' '; DELETE FROM t; -- '";
        assert_eq!(code(&generic, escaped), "ok");
        assert_eq!(code(&any, escaped), "sql.stacked");
        assert_eq!(
            code(&SqlPolicy::new().dialect("mysql").unwrap(), escaped),
            "sql.stacked"
        );
        // MySQL needs a space after `--`: `--1` is minus minus one there.
        let dashes = "SELECT 1 --1; DROP TABLE t";
        assert_eq!(code(&generic, dashes), "ok");
        assert_eq!(code(&any, dashes), "sql.stacked");
        assert_eq!(code(&any, "SELEC 1"), "sql.unparseable");
    }

    #[test]
    fn dialects() {
        let mysql = SqlPolicy::new().dialect("mysql").unwrap();
        assert_eq!(code(&mysql, "SELECT `name` FROM `users`"), "ok");
        assert!(SqlPolicy::new().dialect("cobol").is_err());
    }
}
