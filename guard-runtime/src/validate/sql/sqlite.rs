//! The SQLite reader: SQLite itself prepares the statement against the
//! tool's schema (an in-memory database holding only the `CREATE`
//! statements), and its authorizer reports every table and column read or
//! written, every function, pragma and attach, exactly as SQLite resolved
//! them. Nothing is executed: the statement is only prepared.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

use super::reading::{Function, Kind, Reading, Table};
use super::{Violation, unparseable};

/// What the authorizer saw while one statement was prepared.
#[derive(Default)]
struct Seen {
    tables: Vec<Table>,
    functions: Vec<Function>,
    recursive: bool,
    select: bool,
    other: bool,
    insert: bool,
    update: bool,
    delete: bool,
}

struct Prepared {
    connection: Connection,
    seen: Arc<Mutex<Seen>>,
}

/// The tool's schema and a pool of connections holding it.
pub(super) struct Schema {
    ddl: String,
    pool: Mutex<Vec<Prepared>>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

impl Schema {
    pub(super) fn new(ddl: &str) -> Result<Self, String> {
        let schema = Schema {
            ddl: ddl.to_owned(),
            pool: Mutex::new(Vec::new()),
        };
        let first = schema.connect()?;
        schema.give_back(first);
        Ok(schema)
    }

    fn connect(&self) -> Result<Prepared, String> {
        let connection = Connection::open_in_memory().map_err(|e| format!("sqlite schema: {e}"))?;
        connection
            .execute_batch(&self.ddl)
            .map_err(|e| format!("sqlite schema: {e}"))?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sink = Arc::clone(&seen);
        connection.authorizer(Some(move |context: AuthContext<'_>| {
            let mut seen = sink.lock().unwrap_or_else(PoisonError::into_inner);
            record(&mut seen, &context);
            Authorization::Allow
        }));
        Ok(Prepared { connection, seen })
    }

    fn give_back(&self, prepared: Prepared) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(prepared);
    }

    /// Prepares `sql` and reports what SQLite would do with it.
    pub(super) fn read(&self, sql: &str) -> Result<Reading, Violation> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        // Fail closed: a schema that built once but not now refuses.
        let prepared = match pooled {
            Some(prepared) => prepared,
            None => self.connect().map_err(|_| unparseable())?,
        };
        *prepared.seen.lock().unwrap_or_else(PoisonError::into_inner) = Seen::default();
        let outcome = match prepared.connection.prepare(sql) {
            Ok(statement) => Ok(statement.readonly()),
            Err(error) => Err(error),
        };
        let seen =
            std::mem::take(&mut *prepared.seen.lock().unwrap_or_else(PoisonError::into_inner));
        self.give_back(prepared);
        let readonly = match outcome {
            Ok(readonly) => readonly,
            Err(rusqlite::Error::MultipleStatement) => {
                return Err(Violation::new(
                    "sql.stacked",
                    "exactly one statement is allowed",
                ));
            }
            Err(error) => return Err(refusal(&error)),
        };
        // Only whitespace and comments: SQLite prepares no statement, and
        // every statement it does prepare asks the authorizer something.
        if !(seen.select || seen.insert || seen.update || seen.delete || seen.other) {
            return Ok(Reading::default());
        }
        let kind = if seen.other {
            Kind::Other
        } else if seen.insert {
            Kind::Insert
        } else if seen.update {
            Kind::Update
        } else if seen.delete {
            Kind::Delete
        } else if readonly {
            Kind::Query
        } else {
            Kind::Other
        };
        Ok(Reading {
            statements: 1,
            kind: Some(kind),
            tables: seen.tables,
            functions: seen.functions,
            recursive_cte: seen.recursive,
            ..Reading::default()
        })
    }
}

/// SQLite's own error, told as a refusal without echoing the query.
fn refusal(error: &rusqlite::Error) -> Violation {
    let message = error.to_string();
    if message.starts_with("no such table") {
        Violation::new(
            "sql.table_not_allowed",
            "the query reads a table the schema does not have",
        )
    } else if message.starts_with("no such function") {
        Violation::new(
            "sql.function_not_allowed",
            "the query calls a function SQLite does not have",
        )
    } else {
        unparseable()
    }
}

fn table(seen: &mut Seen, database: Option<&str>, name: &str) {
    let database = database.unwrap_or("main");
    // SQLite asks once per column: compare before allocating.
    let known = seen.tables.iter().any(|t| {
        matches!(t.parts.as_slice(), [d, n] if d.eq_ignore_ascii_case(database) && n.eq_ignore_ascii_case(name))
    });
    if !known {
        seen.tables.push(Table {
            parts: vec![database.to_lowercase(), name.to_lowercase()],
        });
    }
}

fn record(seen: &mut Seen, context: &AuthContext<'_>) {
    let database = context.database_name;
    // SQLite names a CTE, view or trigger as the accessor of the reads
    // inside it: those are reads of the database all the same, so every
    // table counts wherever it is read from; only the statement's own
    // kind comes from the top level.
    let top = context.accessor.is_none();
    match context.action {
        AuthAction::Select => seen.select = true,
        AuthAction::Read { table_name, .. } => table(seen, database, table_name),
        AuthAction::Insert { table_name } => {
            seen.insert |= top;
            table(seen, database, table_name);
        }
        AuthAction::Update { table_name, .. } => {
            seen.update |= top;
            table(seen, database, table_name);
        }
        AuthAction::Delete { table_name } => {
            seen.delete |= top;
            table(seen, database, table_name);
        }
        AuthAction::Function { function_name } => {
            if !seen
                .functions
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(function_name))
            {
                seen.functions.push(Function {
                    name: function_name.to_lowercase(),
                    literals: Vec::new(),
                });
            }
        }
        AuthAction::Recursive => seen.recursive = true,
        // Table-valued pragmas (`FROM pragma_table_info('t')`) read the
        // schema; a PRAGMA statement is not a query.
        AuthAction::Pragma { .. } if !seen.select => seen.other = true,
        AuthAction::Pragma { pragma_name, .. } => {
            let name = format!("pragma_{}", pragma_name.to_lowercase());
            table(seen, database, &name);
        }
        _ => seen.other = true,
    }
}
