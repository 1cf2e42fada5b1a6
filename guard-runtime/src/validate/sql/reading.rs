//! What a reader found in a query, in the database's terms: the facts every
//! engine (sqlparser, PostgreSQL's parser, SQLite's authorizer) reports the
//! same way, so the rules are written once.

/// The kind of the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Query,
    Insert,
    Update,
    Delete,
    Merge,
    /// DDL, utility statements, `PRAGMA`, `ATTACH`, transactions, ...
    Other,
}

/// A relation the database itself reads or writes (CTE references are
/// resolved away by scope before they get here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// `[name]`, `[schema, name]` or `[catalog, schema, name]`, folded the
    /// way the dialect folds identifiers.
    pub(crate) parts: Vec<String>,
}

impl Table {
    pub(crate) fn dotted(&self) -> String {
        self.parts.join(".")
    }
}

/// A function call, wherever it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    /// The dotted name, decoded and lower-cased.
    pub(crate) name: String,
    /// Each argument's value when it is an integer literal.
    pub(crate) literals: Vec<Option<i128>>,
}

/// Everything the rules look at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    pub(crate) statements: usize,
    pub(crate) kind: Option<Kind>,
    pub(crate) tables: Vec<Table>,
    pub(crate) functions: Vec<Function>,
    pub(crate) select_into: bool,
    pub(crate) locking: bool,
    pub(crate) data_modifying_cte: bool,
    pub(crate) recursive_cte: bool,
    /// A word the database runs as a statement of its own, read by the
    /// parser as an alias (T-SQL's `SELECT * FROM t SHUTDOWN`).
    pub(crate) statement_alias: bool,
}

/// The CTEs one `WITH` declares, and which of their bodies a walk is in:
/// a body sees only the CTEs declared before it (and itself, under
/// `RECURSIVE`); the rest of the statement sees them all.
#[derive(Debug, Default)]
pub(crate) struct CteScope {
    pub(crate) names: Vec<String>,
    pub(crate) recursive: bool,
    pub(crate) inside: Option<usize>,
}

impl CteScope {
    /// Whether a bare `name` here is this scope's CTE.
    pub(crate) fn declares(&self, name: &str) -> bool {
        let visible = match self.inside {
            Some(i) if self.recursive => i + 1,
            Some(i) => i,
            None => self.names.len(),
        };
        self.names[..visible].iter().any(|n| n == name)
    }
}
