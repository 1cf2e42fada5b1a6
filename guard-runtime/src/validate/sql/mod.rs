//! SQL: read the way the tool's database reads it, never matched with
//! patterns. Read-only by default: exactly one query, no `SELECT ... INTO`,
//! no data-modifying CTEs, no locking clauses, no functions that sleep, touch
//! files or the network or have side effects, no system catalogues, no
//! recursive queries or huge generators, and optionally only the listed
//! tables and functions, resolved by scope the way the database resolves
//! them.
//!
//! The dialect is part of the policy: a query means what the database it is
//! sent to makes of it. Three readers report the same facts to one set of
//! rules:
//! - **PostgreSQL** (feature `postgres`): PostgreSQL's own parser
//!   (libpg_query), so `U&""` names, nested comments, dollar quotes and every
//!   syntax PostgreSQL accepts are read as PostgreSQL reads them.
//! - **SQLite** (feature `sqlite`, with [`SqlPolicy::sqlite_schema`]): the
//!   statement is prepared against the tool's schema in an in-memory
//!   database, and SQLite's authorizer reports every table, function and
//!   pragma as SQLite resolved them.
//! - **sqlparser** for the other dialects (and for PostgreSQL and SQLite
//!   without their features), with each dialect's own rules added where
//!   sqlparser does not apply them: MySQL and MariaDB executable comments
//!   (`/*!`, `/*M!`), T-SQL statement words read as aliases
//!   (`SELECT * FROM orders SHUTDOWN`).
//!
//! [`SqlDialect::Any`] is an explicit slow mode for a tool that cannot say:
//! the query is tokenised and parsed as six dialects, must be tokenised the
//! same way by all of them (a comment one dialect nests and another ends is
//! refused), and every reading that parses must pass.

// Without the `sql` feature the policy types stay (the attribute's specs
// and policy files name them) and `check` refuses every query; the
// readers and the rules they feed are not built.
#![cfg_attr(not(feature = "sql"), allow(dead_code, unused_imports))]

#[cfg(feature = "sql")]
mod bound;
mod catalogue;
#[cfg(feature = "sql")]
mod parsed;
#[cfg(feature = "postgres")]
mod postgres;
mod reading;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;
use std::str::FromStr;
#[cfg(feature = "sqlite")]
use std::sync::Arc;

#[cfg(feature = "sql")]
use sqlparser::dialect::Dialect;
#[cfg(feature = "sql")]
use sqlparser::tokenizer::{Token, Tokenizer};

use self::reading::{Kind, Reading, Table};
use super::Violation;

/// The database a query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum SqlDialect {
    /// PostgreSQL: PostgreSQL's own parser with the `postgres` feature.
    Postgres,
    /// SQLite: SQLite's own authorizer with the `sqlite` feature and a schema.
    Sqlite,
    /// MySQL.
    MySql,
    /// MariaDB (MySQL's grammar; `/*M!` comments run too).
    MariaDb,
    /// Microsoft SQL Server (T-SQL).
    MsSql,
    /// Oracle.
    Oracle,
    /// sqlparser's generic dialect.
    Generic,
    /// Snowflake.
    Snowflake,
    /// BigQuery.
    BigQuery,
    /// ClickHouse.
    ClickHouse,
    /// DuckDB.
    DuckDb,
    /// Amazon Redshift.
    Redshift,
    /// Hive.
    Hive,
    /// ANSI SQL.
    Ansi,
    /// Databricks.
    Databricks,
    /// Spark SQL.
    Spark,
    /// Teradata.
    Teradata,
    /// Unknown database: every common reading must agree and pass (slow).
    Any,
}

impl SqlDialect {
    /// Every dialect, with the names [`SqlDialect::from_name`] takes first.
    pub const ALL: [(SqlDialect, &'static str); 18] = [
        (SqlDialect::Postgres, "postgres"),
        (SqlDialect::Sqlite, "sqlite"),
        (SqlDialect::MySql, "mysql"),
        (SqlDialect::MariaDb, "mariadb"),
        (SqlDialect::MsSql, "mssql"),
        (SqlDialect::Oracle, "oracle"),
        (SqlDialect::Generic, "generic"),
        (SqlDialect::Snowflake, "snowflake"),
        (SqlDialect::BigQuery, "bigquery"),
        (SqlDialect::ClickHouse, "clickhouse"),
        (SqlDialect::DuckDb, "duckdb"),
        (SqlDialect::Redshift, "redshift"),
        (SqlDialect::Hive, "hive"),
        (SqlDialect::Ansi, "ansi"),
        (SqlDialect::Databricks, "databricks"),
        (SqlDialect::Spark, "spark"),
        (SqlDialect::Teradata, "teradata"),
        (SqlDialect::Any, "any"),
    ];

    /// `postgres` (or `postgresql`), `sqlite`, `mysql`, `mariadb`, `mssql`
    /// (or `tsql`), `oracle`, `generic`, `snowflake`, `bigquery`,
    /// `clickhouse`, `duckdb`, `redshift`, `hive`, `ansi`, `databricks`,
    /// `spark` (or `sparksql`), `teradata`, `any`; in any case.
    ///
    /// ```
    /// use guard_runtime::validate::SqlDialect;
    /// assert_eq!(SqlDialect::from_name("PostgreSQL"), Some(SqlDialect::Postgres));
    /// assert_eq!(SqlDialect::from_name("cobol"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let name = ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map_or(lower.as_str(), |(_, name)| name);
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(d, _)| *d)
    }

    /// The dialect's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(d, _)| *d == self)
            .map_or("any", |(_, n)| n)
    }

    /// The schema an unqualified name resolves to by default (`public`,
    /// `dbo`, `main`), where the dialect has a fixed one.
    fn default_schema(self) -> Option<&'static str> {
        match self {
            SqlDialect::Postgres | SqlDialect::Redshift | SqlDialect::DuckDb => Some("public"),
            SqlDialect::MsSql => Some("dbo"),
            SqlDialect::Sqlite => Some("main"),
            _ => None,
        }
    }

    fn runs_executable_comments(self) -> bool {
        matches!(
            self,
            SqlDialect::MySql | SqlDialect::MariaDb | SqlDialect::Any
        )
    }

    /// sqlparser's grammar for the dialect (stateless, so one static each).
    #[cfg(feature = "sql")]
    fn grammar(self) -> &'static dyn Dialect {
        use sqlparser::dialect::*;
        match self {
            SqlDialect::Postgres => &PostgreSqlDialect {},
            SqlDialect::Sqlite => &SQLiteDialect {},
            SqlDialect::MySql | SqlDialect::MariaDb => &MySqlDialect {},
            SqlDialect::MsSql => &MsSqlDialect {},
            SqlDialect::Oracle => &OracleDialect {},
            SqlDialect::Generic | SqlDialect::Any => &GenericDialect {},
            SqlDialect::Snowflake => &SnowflakeDialect,
            SqlDialect::BigQuery => &BigQueryDialect,
            SqlDialect::ClickHouse => &ClickHouseDialect {},
            SqlDialect::DuckDb => &DuckDbDialect {},
            SqlDialect::Redshift => &RedshiftSqlDialect {},
            SqlDialect::Hive => &HiveDialect {},
            SqlDialect::Ansi => &AnsiDialect {},
            SqlDialect::Databricks => &DatabricksDialect {},
            SqlDialect::Spark => &SparkSqlDialect {},
            SqlDialect::Teradata => &TeradataDialect {},
        }
    }
}

/// Other names of dialects, and the name [`SqlDialect::ALL`] gives them.
const ALIASES: [(&str, &str); 5] = [
    ("postgresql", "postgres"),
    ("pg", "postgres"),
    ("tsql", "mssql"),
    ("sqlserver", "mssql"),
    ("sparksql", "spark"),
];

/// The refusal of an unknown dialect, with every name
/// [`SqlDialect::from_name`] takes (a test keeps the list equal to `ALL`
/// and the aliases).
const UNKNOWN_DIALECT: &str = "unknown SQL dialect; expected one of: postgres, sqlite, mysql, \
     mariadb, mssql, oracle, generic, snowflake, bigquery, clickhouse, duckdb, redshift, hive, \
     ansi, databricks, spark, teradata, any, postgresql, pg, tsql, sqlserver, sparksql";

/// Whether [`SqlDialect::from_name`] takes `name`, evaluated by the
/// compiler for `#[arg(sql(dialect = ".."))]`: an unknown dialect fails
/// the build at the attribute, with the list of names.
#[doc(hidden)]
pub const fn sql_dialect(name: &str) -> &str {
    let mut i = 0;
    while i < SqlDialect::ALL.len() {
        if same_name(name, SqlDialect::ALL[i].1) {
            return name;
        }
        i += 1;
    }
    let mut i = 0;
    while i < ALIASES.len() {
        if same_name(name, ALIASES[i].0) {
            return name;
        }
        i += 1;
    }
    panic!("{}", UNKNOWN_DIALECT)
}

/// Evaluated by the compiler for every SQL argument of a `#[secure_tool]`:
/// without the `sql` feature the build fails at the parameter, rather than
/// every query being refused at run time.
#[doc(hidden)]
pub const fn sql_validator() {
    #[cfg(not(feature = "sql"))]
    panic!(
        "this argument is SQL (`#[arg(sql)]`, or a parameter named `sql` or `sql_query`): \
         enable guard-runtime's `sql` feature, or mark it `#[arg(none)]`"
    );
}

/// ASCII case-insensitive equality, in a `const fn`.
const fn same_name(a: &str, b: &str) -> bool {
    a.as_bytes().eq_ignore_ascii_case(b.as_bytes())
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SqlDialect {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, String> {
        SqlDialect::from_name(name).ok_or_else(|| format!("unknown SQL dialect `{name}`"))
    }
}

/// The dialects [`SqlDialect::Any`] reads a query as.
const ANY_READINGS: [SqlDialect; 6] = [
    SqlDialect::Generic,
    SqlDialect::MySql,
    SqlDialect::Postgres,
    SqlDialect::MsSql,
    SqlDialect::Sqlite,
    SqlDialect::Oracle,
];

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

/// Queries longer than this are refused before any parser sees them.
pub const MAX_SQL_BYTES: usize = 256 * 1024;

/// Rows a generator (`generate_series`) or bytes a string builder
/// (`repeat`) may make by default, where its literal arguments say.
pub const DEFAULT_MAX_GENERATED: u64 = 100_000;

/// Rules for an SQL argument. The dialect is required: a policy without one
/// refuses every query (`sql.no_dialect`), and a tool whose SQL argument
/// has none fails to build.
///
/// ```
/// use guard_runtime::validate::{SqlDialect, SqlPolicy};
///
/// let policy = SqlPolicy::for_dialect(SqlDialect::Postgres).tables(["orders", "customers"]);
/// # #[cfg(feature = "sql")] {
/// assert!(policy.check("SELECT id FROM orders WHERE total > 10").is_ok());
/// assert_eq!(policy.check("SELECT 1; DROP TABLE users").unwrap_err().code, "sql.stacked");
/// assert_eq!(policy.check("DELETE FROM orders").unwrap_err().code, "sql.not_read_only");
/// assert_eq!(policy.check("SELECT * FROM users").unwrap_err().code, "sql.table_not_allowed");
/// assert_eq!(policy.check("SELECT * FROM tenant2.orders").unwrap_err().code, "sql.table_not_allowed");
/// assert_eq!(policy.check("SELECT pg_sleep(10)").unwrap_err().code, "sql.dangerous_function");
/// // A CTE named like a table hides nothing: its body is checked.
/// assert_eq!(
///     policy.check("WITH orders AS (SELECT * FROM users) SELECT * FROM orders").unwrap_err().code,
///     "sql.table_not_allowed"
/// );
/// # }
/// ```
///
/// Reading SQL needs the `sql` feature (sqlparser); `postgres` and
/// `sqlite` add those databases' own readers. Without it the policy
/// types remain and [`SqlPolicy::check`] refuses every query.
#[derive(Clone)]
pub struct SqlPolicy {
    dialect: Option<SqlDialect>,
    default_schema: Option<String>,
    tables: Option<Vec<String>>,
    functions: Option<Vec<String>>,
    writes: Vec<WriteKind>,
    recursive: bool,
    max_generated: u64,
    #[cfg(feature = "sqlite")]
    sqlite: Option<Arc<sqlite::Schema>>,
}

impl fmt::Debug for SqlPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlPolicy")
            .field("dialect", &self.dialect)
            .field("default_schema", &self.default_schema)
            .field("tables", &self.tables)
            .field("functions", &self.functions)
            .field("writes", &self.writes)
            .field("recursive", &self.recursive)
            .field("max_generated", &self.max_generated)
            .finish_non_exhaustive()
    }
}

impl Default for SqlPolicy {
    fn default() -> Self {
        SqlPolicy {
            dialect: None,
            default_schema: None,
            tables: None,
            functions: None,
            writes: Vec::new(),
            recursive: false,
            max_generated: DEFAULT_MAX_GENERATED,
            #[cfg(feature = "sqlite")]
            sqlite: None,
        }
    }
}

/// The query that passed [`SqlPolicy::check`]: its exact text (what the tool
/// sends is what was checked), the dialect it was read as, and what the
/// reading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSql {
    pub(crate) sql: String,
    pub(crate) dialect: SqlDialect,
    pub(crate) tables: Vec<String>,
    pub(crate) functions: Vec<String>,
}

impl CheckedSql {
    /// The query text, exactly as checked.
    pub fn as_str(&self) -> &str {
        &self.sql
    }

    /// The query text.
    pub fn into_string(self) -> String {
        self.sql
    }

    /// The dialect it was read as.
    pub fn dialect(&self) -> SqlDialect {
        self.dialect
    }

    /// The tables the database reads (or writes), dotted, as resolved.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    /// The functions the query calls, decoded and lower-cased.
    pub fn functions(&self) -> &[String] {
        &self.functions
    }
}

impl fmt::Display for CheckedSql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql)
    }
}

impl AsRef<str> for CheckedSql {
    fn as_ref(&self) -> &str {
        &self.sql
    }
}

impl SqlPolicy {
    /// Read-only, any table, and no dialect yet: name one with
    /// [`SqlPolicy::dialect`] before it accepts a query.
    pub fn new() -> Self {
        SqlPolicy::default()
    }

    /// Read-only, any table, queries for `dialect`.
    pub fn for_dialect(dialect: SqlDialect) -> Self {
        SqlPolicy::new().with_dialect(dialect)
    }

    /// Uses the dialect of this name (see [`SqlDialect::from_name`]).
    ///
    /// # Errors
    /// The name of an unknown dialect.
    pub fn dialect(self, name: &str) -> Result<Self, String> {
        Ok(self.with_dialect(name.parse()?))
    }

    /// Uses this dialect.
    pub fn with_dialect(mut self, dialect: SqlDialect) -> Self {
        self.dialect = Some(dialect);
        self
    }

    /// The dialect, if one is named.
    pub fn dialect_kind(&self) -> Option<SqlDialect> {
        self.dialect
    }

    /// The schema unqualified names resolve to (default: `public` for
    /// PostgreSQL, `dbo` for SQL Server, `main` for SQLite, none for MySQL,
    /// where it is the connection's database). A listed `orders` matches
    /// `orders` and `<default>.orders`, never `tenant2.orders`.
    pub fn default_schema(mut self, schema: impl Into<String>) -> Self {
        self.default_schema = Some(schema.into().to_lowercase());
        self
    }

    pub(crate) fn table_list(&self) -> Option<&[String]> {
        self.tables.as_deref()
    }

    pub(crate) fn function_list(&self) -> Option<&[String]> {
        self.functions.as_deref()
    }

    /// Only these tables (case-insensitive; `schema.table` matches exactly,
    /// `table` matches the default schema's). System catalogues
    /// (`information_schema`, `pg_catalog`, `sqlite_master`, `mysql.*`, ...)
    /// are refused unless listed.
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

    /// Only these functions (case-insensitive, matched on the whole dotted
    /// name or its last part): for tools that want plain aggregates,
    /// `functions(["count", "sum", "avg"])`. Listing a function of the
    /// catalogue permits it.
    pub fn functions<I, S>(mut self, functions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.functions = Some(
            functions
                .into_iter()
                .map(|t| t.into().to_lowercase())
                .collect(),
        );
        self
    }

    /// Also permits these write statements (still one statement, still
    /// subject to the table list and the function rules).
    pub fn write(mut self, kinds: impl IntoIterator<Item = WriteKind>) -> Self {
        self.writes = kinds.into_iter().collect();
        self
    }

    /// Permits every recursive CTE. By default one is refused unless the
    /// text shows its bound: it counts a column up by a literal step from a
    /// literal start to a literal limit (`WITH RECURSIVE t(n) AS (SELECT 1
    /// UNION ALL SELECT n + 1 FROM t WHERE n < 100)`), reads nothing but
    /// itself, and stays within [`SqlPolicy::max_generated`] levels.
    pub fn recursive(mut self, allow: bool) -> Self {
        self.recursive = allow;
        self
    }

    /// The most rows a generator (`generate_series(1, n)`) or bytes a
    /// string builder (`repeat('x', n)`) may make, where the literals say
    /// (default [`DEFAULT_MAX_GENERATED`]).
    pub fn max_generated(mut self, limit: u64) -> Self {
        self.max_generated = limit;
        self
    }

    /// SQLite decides: each query is prepared against this schema (the
    /// `CREATE` statements of the tool's database) in an in-memory
    /// database, and SQLite's authorizer reports what it reads and calls.
    /// Sets the dialect to SQLite.
    ///
    /// ```
    /// use guard_runtime::validate::SqlPolicy;
    ///
    /// let policy = SqlPolicy::new()
    ///     .sqlite_schema("CREATE TABLE orders (id INTEGER, total REAL); CREATE TABLE users (pw TEXT);")
    ///     .unwrap()
    ///     .tables(["orders"]);
    /// assert!(policy.check("SELECT sum(total) FROM orders").is_ok());
    /// assert_eq!(policy.check("SELECT pw FROM users").unwrap_err().code, "sql.table_not_allowed");
    /// assert_eq!(policy.check("PRAGMA writable_schema = 1").unwrap_err().code, "sql.not_read_only");
    /// ```
    ///
    /// # Errors
    /// When SQLite cannot run the schema.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub fn sqlite_schema(self, ddl: &str) -> Result<Self, String> {
        let schema = sqlite::Schema::new(ddl)?;
        let mut policy = self.with_dialect(SqlDialect::Sqlite);
        policy.sqlite = Some(Arc::new(schema));
        Ok(policy)
    }

    /// Checks an SQL argument.
    ///
    /// # Errors
    /// A [`Violation`] with code `sql.no_dialect`, `sql.too_long`,
    /// `sql.executable_comment`, `sql.ambiguous`, `sql.unparseable`,
    /// `sql.empty`, `sql.stacked`, `sql.not_read_only`, `sql.select_into`,
    /// `sql.data_modifying_cte`, `sql.locking`, `sql.recursive`,
    /// `sql.dangerous_function`, `sql.function_not_allowed`, `sql.cost`,
    /// `sql.system_table` or `sql.table_not_allowed`.
    ///
    /// Without the `sql` feature every query is refused with
    /// `sql.unavailable`: nothing here can read it.
    pub fn check(&self, value: &str) -> Result<CheckedSql, Violation> {
        #[cfg(feature = "sql")]
        return self.read_and_check(value);
        #[cfg(not(feature = "sql"))]
        {
            let _ = value;
            Err(Violation::new(
                "sql.unavailable",
                "this build reads no SQL (guard-runtime's `sql` feature is off)",
            ))
        }
    }

    #[cfg(feature = "sql")]
    fn read_and_check(&self, value: &str) -> Result<CheckedSql, Violation> {
        let Some(dialect) = self.dialect else {
            return Err(Violation::new(
                "sql.no_dialect",
                "the SQL validator has no dialect configured",
            ));
        };
        if value.len() > MAX_SQL_BYTES {
            return Err(Violation::new("sql.too_long", "the SQL is too long"));
        }
        // MySQL runs the inside of /*! ... */ and MariaDB that of /*M! ... */.
        if dialect.runs_executable_comments() && has_executable_comment(value) {
            return Err(Violation::new(
                "sql.executable_comment",
                "MySQL and MariaDB executable comments are not allowed",
            ));
        }
        let reading = match dialect {
            SqlDialect::Any => return self.check_any(value),
            #[cfg(feature = "postgres")]
            SqlDialect::Postgres => postgres::read(value)?,
            #[cfg(feature = "sqlite")]
            SqlDialect::Sqlite if self.sqlite.is_some() => {
                let mut reading = self
                    .sqlite
                    .as_ref()
                    .map_or_else(|| Err(unparseable()), |s| s.read(value))?;
                // The authorizer names functions, not their arguments: where
                // a size is in the literals, take them from the grammar's
                // reading (and refuse when that reading cannot be had).
                if reading
                    .functions
                    .iter()
                    .any(|f| catalogue::sized_by_literals(&f.name))
                {
                    reading.functions = parsed::read(dialect.grammar(), dialect, value)?.functions;
                }
                reading
            }
            _ => parsed::read(dialect.grammar(), dialect, value)?,
        };
        self.judge(dialect, &reading, value)?;
        Ok(self.checked(value, dialect, reading))
    }

    /// Every common reading must tokenise alike, and each that parses must pass.
    #[cfg(feature = "sql")]
    fn check_any(&self, value: &str) -> Result<CheckedSql, Violation> {
        let mut tokens: Option<Option<Vec<String>>> = None;
        for dialect in ANY_READINGS {
            let reading = code_tokens(dialect.grammar(), value);
            match &tokens {
                None => tokens = Some(reading),
                Some(first) if *first != reading => {
                    return Err(Violation::new(
                        "sql.ambiguous",
                        "the SQL reads differently in different dialects; configure the database's dialect",
                    ));
                }
                Some(_) => {}
            }
        }
        let mut accepted = None;
        for dialect in ANY_READINGS {
            match parsed::read(dialect.grammar(), SqlDialect::Any, value) {
                Ok(reading) => {
                    self.judge(SqlDialect::Any, &reading, value)?;
                    accepted.get_or_insert(reading);
                }
                Err(violation) if violation.code == "sql.unparseable" => {}
                Err(violation) => return Err(violation),
            }
        }
        let reading = accepted.ok_or_else(unparseable)?;
        Ok(self.checked(value, SqlDialect::Any, reading))
    }

    fn checked(&self, value: &str, dialect: SqlDialect, reading: Reading) -> CheckedSql {
        CheckedSql {
            sql: value.to_owned(),
            dialect,
            tables: reading.tables.iter().map(Table::dotted).collect(),
            functions: reading.functions.into_iter().map(|f| f.name).collect(),
        }
    }

    /// The rules, once for every reader.
    #[cfg(feature = "sql")]
    fn judge(&self, dialect: SqlDialect, reading: &Reading, sql: &str) -> Result<(), Violation> {
        match reading.statements {
            0 => return Err(Violation::new("sql.empty", "no SQL statement")),
            1 if !reading.statement_alias => {}
            _ => {
                return Err(Violation::new(
                    "sql.stacked",
                    "exactly one statement is allowed",
                ));
            }
        }
        let allowed = match reading.kind {
            Some(Kind::Query) => true,
            Some(Kind::Insert) => self.writes.contains(&WriteKind::Insert),
            Some(Kind::Update) => self.writes.contains(&WriteKind::Update),
            Some(Kind::Delete) => self.writes.contains(&WriteKind::Delete),
            Some(Kind::Merge) => self.writes.contains(&WriteKind::Merge),
            Some(Kind::Other) | None => false,
        };
        if !allowed {
            return Err(Violation::new(
                "sql.not_read_only",
                "only a read-only query (SELECT) is allowed",
            ));
        }
        if reading.select_into {
            return Err(Violation::new(
                "sql.select_into",
                "SELECT ... INTO is not allowed",
            ));
        }
        if reading.data_modifying_cte && reading.kind == Some(Kind::Query) {
            return Err(Violation::new(
                "sql.data_modifying_cte",
                "data-modifying statements inside a query are not allowed",
            ));
        }
        if reading.locking {
            return Err(Violation::new(
                "sql.locking",
                "locking clauses (FOR UPDATE, FOR SHARE) are not allowed",
            ));
        }
        if reading.recursive_cte
            && !self.recursive
            && !bound::recursion_is_bounded(dialect.grammar(), sql, self.max_generated)
        {
            return Err(Violation::new(
                "sql.recursive",
                "recursive queries are not allowed",
            ));
        }
        for function in &reading.functions {
            self.check_function(function)?;
        }
        for table in &reading.tables {
            self.check_table(dialect, table)?;
        }
        Ok(())
    }

    fn check_function(&self, function: &reading::Function) -> Result<(), Violation> {
        let last = function.name.rsplit('.').next().unwrap_or(&function.name);
        match &self.functions {
            Some(allowed) if !allowed.iter().any(|f| *f == function.name || f == last) => {
                return Err(Violation::new(
                    "sql.function_not_allowed",
                    format!("only these functions are allowed: {}", allowed.join(", ")),
                ));
            }
            None if catalogue::is_dangerous(&function.name) => {
                return Err(Violation::new(
                    "sql.dangerous_function",
                    "functions that sleep, touch files or the network, or have side effects, are not allowed",
                ));
            }
            _ => {}
        }
        match catalogue::generated_size(&function.name, &function.literals) {
            Some(size) if size > i128::from(self.max_generated) => Err(Violation::new(
                "sql.cost",
                format!(
                    "the query would generate more than {} rows or bytes",
                    self.max_generated
                ),
            )),
            _ => Ok(()),
        }
    }

    fn check_table(&self, dialect: SqlDialect, table: &Table) -> Result<(), Violation> {
        let default = self
            .default_schema
            .as_deref()
            .or_else(|| dialect.default_schema());
        let listed = self.tables.as_ref().is_some_and(|list| {
            list.iter()
                .any(|entry| names_match(entry, &table.parts, default))
        });
        if !listed && catalogue::is_system(dialect, &table.parts) {
            return Err(Violation::new(
                "sql.system_table",
                "system catalogues are not allowed",
            ));
        }
        match &self.tables {
            Some(list) if !listed => Err(Violation::new(
                "sql.table_not_allowed",
                format!("only these tables are allowed: {}", list.join(", ")),
            )),
            _ => Ok(()),
        }
    }
}

/// Whether a listed `table` or `schema.table` names the relation: exactly,
/// or through the default schema.
fn names_match(entry: &str, parts: &[String], default: Option<&str>) -> bool {
    let entry: Vec<&str> = entry.split('.').collect();
    if entry.len() == parts.len() && entry.iter().zip(parts).all(|(e, p)| *e == p) {
        return true;
    }
    let Some(default) = default else {
        return false;
    };
    match (entry.as_slice(), parts) {
        ([name], [schema, table]) => schema == default && table == name,
        ([schema, name], [table]) => *schema == default && table == name,
        _ => false,
    }
}

pub(super) fn unparseable() -> Violation {
    Violation::new("sql.unparseable", "the SQL does not parse")
}

/// `/*!` or `/*M!` anywhere: strings that contain one are refused too,
/// which errs on the strict side for a rare benign text.
fn has_executable_comment(value: &str) -> bool {
    memchr::memmem::find_iter(value.as_bytes(), b"/*").any(|at| {
        let rest = &value.as_bytes()[at + 2..];
        rest.first() == Some(&b'!')
            || (rest.len() > 1 && rest[0].eq_ignore_ascii_case(&b'm') && rest[1] == b'!')
    })
}

/// The tokens a dialect reads as code (whitespace and comments dropped),
/// or `None` when it cannot tokenise the text.
#[cfg(feature = "sql")]
fn code_tokens(grammar: &dyn Dialect, value: &str) -> Option<Vec<String>> {
    let tokens = Tokenizer::new(grammar, value).tokenize().ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .map(|t| t.to_string())
            .collect(),
    )
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

/// Without the feature nothing reads SQL, so every query is refused (CI
/// runs these tests with default features).
#[cfg(all(test, not(feature = "sql")))]
mod without_the_feature {
    use super::*;

    #[test]
    fn every_query_is_refused_as_unavailable() {
        let policy = SqlPolicy::for_dialect(SqlDialect::Postgres);
        for sql in ["SELECT 1", "DROP TABLE users", ""] {
            let refusal = policy.check(sql).unwrap_err();
            assert_eq!(
                (refusal.code, refusal.detail.as_str()),
                (
                    "sql.unavailable",
                    "this build reads no SQL (guard-runtime's `sql` feature is off)"
                ),
                "{sql}"
            );
        }
    }
}

#[cfg(all(test, feature = "sql"))]
mod tests {
    use super::*;

    #[test]
    fn one_list_of_dialect_names_serves_the_attribute_and_the_runtime() {
        let names: Vec<&str> = SqlDialect::ALL
            .iter()
            .map(|(_, name)| *name)
            .chain(ALIASES.iter().map(|(alias, _)| *alias))
            .collect();
        let listed = UNKNOWN_DIALECT
            .split_once(": ")
            .map(|(_, list)| list.split(", ").collect::<Vec<_>>());
        assert_eq!(listed, Some(names.clone()));
        for name in names {
            assert!(SqlDialect::from_name(name).is_some(), "{name}");
            assert_eq!(sql_dialect(&name.to_uppercase()), name.to_uppercase());
        }
    }

    fn code(policy: &SqlPolicy, sql: &str) -> &'static str {
        match policy.check(sql) {
            Ok(_) => "ok",
            Err(v) => v.code,
        }
    }

    /// The same policy, read by sqlparser's grammar for `dialect` (the path
    /// taken without the engine features).
    fn sqlparser_code(policy: &SqlPolicy, dialect: SqlDialect, sql: &str) -> &'static str {
        let result = parsed::read(dialect.grammar(), dialect, sql)
            .and_then(|reading| policy.judge(dialect, &reading, sql));
        match result {
            Ok(()) => "ok",
            Err(v) => v.code,
        }
    }

    fn pg() -> SqlPolicy {
        SqlPolicy::for_dialect(SqlDialect::Postgres)
    }

    /// Both PostgreSQL readers (the engine's parser when compiled in, and
    /// sqlparser's grammar) give the same verdict.
    fn assert_pg(policy: &SqlPolicy, sql: &str, expected: &str) {
        assert_eq!(code(policy, sql), expected, "postgres: {sql}");
        assert_eq!(
            sqlparser_code(policy, SqlDialect::Postgres, sql),
            expected,
            "sqlparser postgres: {sql}"
        );
    }

    #[test]
    fn no_dialect_refuses_everything() {
        assert_eq!(code(&SqlPolicy::new(), "SELECT 1"), "sql.no_dialect");
        assert!(SqlPolicy::new().dialect("cobol").is_err());
        assert_eq!(
            SqlPolicy::new()
                .dialect("PostgreSQL")
                .unwrap()
                .dialect_kind(),
            Some(SqlDialect::Postgres)
        );
    }

    /// Functions wherever they stand, under escaped names, with side
    /// effects (classes from #14).
    #[test]
    fn functions_are_checked_wherever_they_appear() {
        for sql in [
            "SELECT U&\"pg\\005fsleep\"(3)",
            "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
            "SELECT * FROM pg_read_file('/etc/hostname')",
            "SELECT 1 FROM orders, LATERAL pg_read_file('/etc/hostname') f",
            "SELECT id FROM orders WHERE 4821 = (SELECT 4821 FROM PG_SLEEP(5))",
            "SELECT id FROM orders ORDER BY pg_sleep(1)",
            "SELECT id FROM orders GROUP BY id HAVING count(pg_sleep(1)) > 0",
            "SELECT setval('orders_id_seq', 1)",
            "SELECT nextval('orders_id_seq')",
            "SELECT pg_advisory_lock(1)",
            "SELECT pg_cancel_backend(42)",
            "SELECT pg_terminate_backend(42)",
            "SELECT pg_reload_conf()",
            "SELECT lo_unlink(16400)",
            "SELECT lo_from_bytea(0, 'x')",
            "SELECT pg_catalog.pg_file_write('x', 'y', false)",
            "SELECT query_to_xml('select * from users', true, true, '')",
            "SELECT table_to_xml('users', true, true, '')",
            "SELECT database_to_xml(true, true, '')",
            "SELECT set_config('search_path', 'evil', false)",
            "SELECT dblink('host=evil', 'select 1')",
        ] {
            assert_pg(&pg(), sql, "sql.dangerous_function");
        }
        let oracle = SqlPolicy::for_dialect(SqlDialect::Oracle);
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
        assert_eq!(
            code(&oracle, "SELECT UTL_INADDR.get_host_name('x') FROM dual"),
            "sql.dangerous_function"
        );
        let mssql = SqlPolicy::for_dialect(SqlDialect::MsSql);
        assert_eq!(
            code(
                &mssql,
                "SELECT * FROM OPENROWSET('SQLNCLI', 'x', 'select 1')"
            ),
            "sql.dangerous_function"
        );
        for sql in [
            "SELECT * FROM generate_series(1, 10) g",
            "SELECT o.id FROM orders o, LATERAL (SELECT 1) x",
            "SELECT count(*), max(total) FROM orders",
            "SELECT coalesce(sum(total), 0) FROM orders",
        ] {
            assert_pg(&pg(), sql, "ok");
        }
    }

    #[test]
    fn function_allow_list() {
        let aggregates = pg().functions(["count", "sum", "avg"]);
        assert_pg(&aggregates, "SELECT count(*), sum(total) FROM orders", "ok");
        assert_pg(
            &aggregates,
            "SELECT upper(name) FROM orders",
            "sql.function_not_allowed",
        );
        assert_pg(
            &aggregates,
            "SELECT id FROM orders WHERE id IN (SELECT max(id) FROM orders)",
            "sql.function_not_allowed",
        );
        // Listing a catalogue function is the policy's explicit choice.
        assert_pg(&pg().functions(["nextval"]), "SELECT nextval('s')", "ok");
    }

    #[test]
    fn tables_resolve_by_scope() {
        let p = pg().tables(["orders"]);
        for sql in [
            // A CTE named like the table: its own body reads the real one.
            "WITH users AS (SELECT * FROM users) SELECT * FROM users",
            // A CTE name does not leak out of its scope.
            "SELECT x.id, users.* FROM (WITH users AS (SELECT 1 AS id) SELECT id FROM users) x, users",
            // A later CTE is not visible to an earlier one.
            "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
            "SELECT id FROM orders UNION ALL TABLE users",
            "SELECT * FROM tenant2.orders",
            "SELECT * FROM orders o JOIN users u ON u.id = o.user_id",
            "SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM users)",
            "SELECT (SELECT pw FROM users LIMIT 1) FROM orders",
        ] {
            assert_pg(&p, sql, "sql.table_not_allowed");
        }
        for sql in [
            "WITH users AS (SELECT id FROM orders) SELECT * FROM users",
            "WITH a AS (SELECT id FROM orders), b AS (SELECT id FROM a) SELECT * FROM b",
            "SELECT * FROM public.orders",
            "SELECT o.id FROM orders o, LATERAL (SELECT o.id * 2 AS d) x",
            "SELECT id, sum(total) OVER (PARTITION BY id) FROM orders",
            "SELECT id, count(*) FROM orders GROUP BY ROLLUP (id)",
            "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s)",
        ] {
            assert_pg(&p, sql, "ok");
        }
        // sqlparser's grammar does not take a bare `TABLE t`; PostgreSQL's does.
        if cfg!(feature = "postgres") {
            assert_eq!(code(&p, "TABLE orders"), "ok");
            assert_eq!(code(&p, "TABLE users"), "sql.table_not_allowed");
        }
        let tenant = pg().tables(["tenant2.orders"]);
        assert_pg(&tenant, "SELECT * FROM tenant2.orders", "ok");
        assert_pg(&tenant, "SELECT * FROM orders", "sql.table_not_allowed");
    }

    #[test]
    fn system_catalogues_are_refused_unless_listed() {
        for sql in [
            "SELECT * FROM pg_shadow",
            "SELECT * FROM pg_catalog.pg_authid",
            "SELECT table_name FROM information_schema.tables",
        ] {
            assert_pg(&pg(), sql, "sql.system_table");
        }
        assert_pg(
            &pg().tables(["information_schema.tables"]),
            "SELECT table_name FROM information_schema.tables",
            "ok",
        );
        let mysql = SqlPolicy::for_dialect(SqlDialect::MySql);
        assert_eq!(
            code(&mysql, "SELECT user, authentication_string FROM mysql.user"),
            "sql.system_table"
        );
        let sqlite = SqlPolicy::for_dialect(SqlDialect::Sqlite);
        assert_eq!(
            code(&sqlite, "SELECT sql FROM sqlite_master"),
            "sql.system_table"
        );
    }

    #[test]
    fn cost_bounds() {
        let recursive =
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r";
        assert_pg(&pg(), recursive, "sql.recursive");
        assert_pg(&pg().recursive(true), recursive, "ok");
        for bounded in [
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 100) SELECT n FROM t",
            "WITH RECURSIVE r AS (SELECT 1 AS id, 1 AS level UNION ALL SELECT r.id + 10, r.level + 1 FROM r WHERE r.level <= 3) SELECT * FROM r",
        ] {
            assert_pg(&pg(), bounded, "ok");
        }
        for unbounded in [
            // Never counts up.
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n FROM t WHERE n < 100) SELECT n FROM t",
            // Counts down, away from its limit.
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + -1 FROM t WHERE n < 100) SELECT n FROM t",
            // Joins multiply the rows of every level.
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t, orders WHERE n < 5) SELECT n FROM t",
            // The start is not in the text.
            "WITH RECURSIVE t(n) AS (SELECT min(id) FROM orders UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n FROM t",
            // Too deep.
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 100000000) SELECT n FROM t",
        ] {
            assert_pg(&pg(), unbounded, "sql.recursive");
        }
        assert_pg(
            &pg(),
            "SELECT count(*) FROM generate_series(1, 10000000000)",
            "sql.cost",
        );
        assert_pg(&pg(), "SELECT repeat('x', 1000000000)", "sql.cost");
        assert_pg(&pg(), "SELECT * FROM generate_series(1, 1000)", "ok");
        assert_pg(
            &pg().max_generated(10),
            "SELECT * FROM generate_series(1, 1000)",
            "sql.cost",
        );
    }

    #[test]
    fn read_only_rules() {
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
            ("EXPLAIN ANALYZE SELECT 1", "sql.not_read_only"),
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
            ("COPY (SELECT 1) TO PROGRAM 'id'", "sql.not_read_only"),
        ];
        for (sql, expected) in cases {
            assert_pg(&pg(), sql, expected);
        }
        let mysql = SqlPolicy::for_dialect(SqlDialect::MySql);
        assert_eq!(
            code(&mysql, "SELECT * FROM t WHERE 1 = (SELECT SLEEP(5))"),
            "sql.dangerous_function"
        );
        assert_eq!(
            code(&mysql, "SELECT load_file('/etc/passwd')"),
            "sql.dangerous_function"
        );
        assert_eq!(
            code(&mysql, "SELECT BENCHMARK(1000000, MD5('x'))"),
            "sql.dangerous_function"
        );
        let mssql = SqlPolicy::for_dialect(SqlDialect::MsSql);
        assert_eq!(
            code(&mssql, "SELECT master.dbo.xp_cmdshell('dir')"),
            "sql.dangerous_function"
        );
    }

    #[test]
    fn mysql_and_mariadb_executable_comments() {
        for dialect in [SqlDialect::MySql, SqlDialect::MariaDb, SqlDialect::Any] {
            let p = SqlPolicy::for_dialect(dialect);
            for sql in [
                "SELECT id FROM orders /*M! UNION SELECT password_hash FROM users */",
                "SELECT id FROM orders /*M!50000 AND SLEEP(2) */",
                "SELECT 1 /*!; DROP TABLE t */",
                "SELECT 1 /*!50000 UNION SELECT 2 */",
            ] {
                assert_eq!(code(&p, sql), "sql.executable_comment", "{dialect}: {sql}");
            }
        }
        // Elsewhere it is a comment and nothing more.
        assert_pg(&pg(), "SELECT 1 /*! not code here */", "ok");
    }

    #[test]
    fn tsql_statement_words_are_not_aliases() {
        let mssql = SqlPolicy::for_dialect(SqlDialect::MsSql);
        for sql in [
            "SELECT * FROM orders SHUTDOWN",
            "SELECT id checkpoint FROM orders",
        ] {
            assert_eq!(code(&mssql, sql), "sql.stacked", "{sql}");
        }
        for sql in [
            "SELECT * FROM orders EXEC('DROP TABLE orders')",
            "SELECT * FROM orders WAITFOR DELAY '0:0:5'",
        ] {
            assert_eq!(code(&mssql, sql), "sql.unparseable", "{sql}");
            assert_ne!(
                code(&SqlPolicy::for_dialect(SqlDialect::Any), sql),
                "ok",
                "{sql}"
            );
        }
        assert_eq!(code(&mssql, "SELECT TOP 5 [name] FROM orders o"), "ok");
        assert_eq!(code(&mssql, "SELECT * FROM orders [shutdown]"), "ok");
    }

    #[test]
    fn any_requires_one_reading() {
        let any = SqlPolicy::for_dialect(SqlDialect::Any);
        // PostgreSQL, SQL Server and the generic parser nest comments,
        // MySQL does not: to MySQL the DROP is a statement.
        assert_eq!(
            code(&any, "SELECT 1 /* /* */ ; DROP TABLE victim; /* */ */"),
            "sql.ambiguous"
        );
        // `#` is a comment only to MySQL; `\'` escapes only there.
        assert_eq!(
            code(&any, "SELECT * FROM products WHERE id = 1 #"),
            "sql.ambiguous"
        );
        assert_eq!(
            code(&any, r"SELECT 'a\' '; DELETE FROM t; -- '"),
            "sql.ambiguous"
        );
        // MySQL needs a space after `--`: `--1` is minus minus one there.
        assert_eq!(code(&any, "SELECT 1 --1; DROP TABLE t"), "sql.ambiguous");
        assert_eq!(code(&any, "SELEC 1"), "sql.unparseable");
        assert_eq!(code(&any, "SELECT id, name FROM users WHERE id = 1"), "ok");
        assert_eq!(code(&any, "SELECT 1; DROP TABLE t"), "sql.stacked");
        // The named dialect reads it one way, exactly.
        let mysql = SqlPolicy::for_dialect(SqlDialect::MySql);
        assert_eq!(
            code(&mysql, r"SELECT 'a\' '; DELETE FROM t; -- '"),
            "sql.stacked"
        );
        assert_eq!(code(&mysql, "SELECT `name` FROM `users`"), "ok");
    }

    #[test]
    fn write_mode_permits_only_the_named_kinds() {
        let p = pg().write([WriteKind::Insert]).tables(["orders"]);
        assert_pg(&p, "INSERT INTO orders (id) VALUES (1)", "ok");
        assert_pg(
            &p,
            "INSERT INTO users (id) VALUES (1)",
            "sql.table_not_allowed",
        );
        assert_pg(&p, "DELETE FROM orders", "sql.not_read_only");
        assert_pg(
            &p,
            "INSERT INTO orders VALUES (1); DELETE FROM orders",
            "sql.stacked",
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let sql = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        for dialect in [SqlDialect::MySql, SqlDialect::Any, SqlDialect::Sqlite] {
            assert_eq!(
                code(&SqlPolicy::for_dialect(dialect), &sql),
                "sql.unparseable",
                "{dialect}"
            );
        }
        // PostgreSQL drops redundant parentheses: to it this is `SELECT 1`.
        let flat = if cfg!(feature = "postgres") {
            "ok"
        } else {
            "sql.unparseable"
        };
        assert_eq!(code(&pg(), &sql), flat);
        // Nesting PostgreSQL keeps is refused, on a small thread stack too.
        let nested = format!("SELECT {}1{}", "(SELECT ".repeat(3000), ")".repeat(3000));
        let on_small_stack = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || code(&pg(), &nested))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(on_small_stack, "sql.unparseable");
        let huge = "x".repeat(MAX_SQL_BYTES + 1);
        assert_eq!(code(&pg(), &huge), "sql.too_long");
    }

    #[test]
    fn checked_sql_is_the_text_that_was_read() {
        let checked = pg()
            .check("SELECT id FROM orders o JOIN public.items i ON true")
            .unwrap();
        assert_eq!(
            checked.as_str(),
            "SELECT id FROM orders o JOIN public.items i ON true"
        );
        assert_eq!(checked.tables(), ["orders", "public.items"]);
        assert_eq!(checked.dialect(), SqlDialect::Postgres);
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_decides_with_its_authorizer() {
        let p = SqlPolicy::new()
            .sqlite_schema(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
                 CREATE TABLE users (id INTEGER PRIMARY KEY, pw TEXT);
                 CREATE VIEW big AS SELECT * FROM orders WHERE total > 100;",
            )
            .unwrap()
            .tables(["orders"]);
        for (sql, expected) in [
            (
                "SELECT id, total FROM orders WHERE total > 10 ORDER BY total DESC",
                "ok",
            ),
            (
                "WITH users AS (SELECT id FROM orders) SELECT * FROM users",
                "ok",
            ),
            (
                "SELECT o.id, sum(o.total) OVER (PARTITION BY o.user_id) FROM orders o",
                "ok",
            ),
            // SQLite itself calls this a circular reference.
            (
                "WITH users AS (SELECT * FROM users) SELECT * FROM users",
                "sql.unparseable",
            ),
            (
                "WITH x AS (SELECT * FROM users) SELECT * FROM x",
                "sql.table_not_allowed",
            ),
            (
                "SELECT * FROM orders JOIN users ON users.id = orders.user_id",
                "sql.table_not_allowed",
            ),
            ("SELECT * FROM main.users", "sql.table_not_allowed"),
            ("SELECT * FROM nosuch", "sql.table_not_allowed"),
            ("SELECT sql FROM sqlite_master", "sql.system_table"),
            (
                "SELECT * FROM pragma_table_info('users')",
                "sql.system_table",
            ),
            ("PRAGMA writable_schema = 1", "sql.not_read_only"),
            ("ATTACH DATABASE '/tmp/x.db' AS x", "sql.not_read_only"),
            ("DELETE FROM orders", "sql.not_read_only"),
            ("SELECT 1; DROP TABLE orders", "sql.stacked"),
            (
                "SELECT load_extension('/tmp/x.so')",
                "sql.dangerous_function",
            ),
            ("SELECT randomblob(1000000000)", "sql.dangerous_function"),
            ("SELECT length(printf('%.*c', 1000000000, 'x'))", "sql.cost"),
            ("SELECT printf('%d orders', count(*)) FROM orders", "ok"),
            ("SELECT sleep(1)", "sql.function_not_allowed"),
            (
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
                "sql.recursive",
            ),
            ("SELEC 1", "sql.unparseable"),
            ("", "sql.empty"),
        ] {
            assert_eq!(code(&p, sql), expected, "{sql}");
        }
        // A view and what it reads must both be listed: SQLite names a CTE
        // as the reader of its body the way it names a view, so a listed
        // name cannot vouch for what is read beneath it.
        assert_eq!(code(&p, "SELECT * FROM big"), "sql.table_not_allowed");
        assert_eq!(
            code(&p.clone().tables(["big"]), "SELECT * FROM big"),
            "sql.table_not_allowed"
        );
        assert_eq!(
            code(&p.clone().tables(["big", "orders"]), "SELECT * FROM big"),
            "ok"
        );
        let write = p.clone().write([WriteKind::Insert]);
        assert_eq!(
            code(&write, "INSERT INTO orders (id, total) VALUES (1, 2.5)"),
            "ok"
        );
        assert_eq!(
            code(&write, "INSERT INTO users (pw) VALUES ('x')"),
            "sql.table_not_allowed"
        );
    }
}
