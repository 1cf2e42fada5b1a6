//! The sqlparser reader: a dialect's grammar as sqlparser knows it, walked
//! with the database's scoping rules, for the dialects without an engine
//! binding (and for PostgreSQL and SQLite when theirs is not compiled in).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, ObjectNamePart,
    Query, SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, Value, Visit, Visitor,
};
use sqlparser::dialect::Dialect;
use sqlparser::parser::Parser;

use super::catalogue::TSQL_STATEMENTS;
use super::reading::{CteScope, Function, Kind, Reading, Table};
use super::{SqlDialect, Violation, unparseable};

/// Nesting deeper than this is refused rather than risking the stack.
const RECURSION_LIMIT: usize = 50;

/// sqlparser's statements for `sql`, or `None` when the grammar refuses it
/// or it nests too deep.
pub(super) fn parse(grammar: &dyn Dialect, sql: &str) -> Option<Vec<Statement>> {
    Parser::new(grammar)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statements())
        .ok()
}

/// Parses `sql` as `grammar` and reports what it reads, calls and runs.
pub(super) fn read(
    grammar: &dyn Dialect,
    flavor: SqlDialect,
    sql: &str,
) -> Result<Reading, Violation> {
    let statements = parse(grammar, sql).ok_or_else(unparseable)?;
    let mut walk = Walk {
        flavor,
        reading: Reading {
            statements: statements.len(),
            ..Reading::default()
        },
        scopes: Vec::new(),
        table_function: None,
    };
    if let Some(statement) = statements.first() {
        walk.reading.kind = Some(match statement {
            Statement::Query(_) => Kind::Query,
            Statement::Insert(_) => Kind::Insert,
            Statement::Update(_) => Kind::Update,
            Statement::Delete(_) => Kind::Delete,
            Statement::Merge(_) => Kind::Merge,
            _ => Kind::Other,
        });
        let _ = statement.visit(&mut walk);
    }
    Ok(walk.reading)
}

/// One `WITH`: the query it belongs to and its CTE bodies, to know which
/// body the visitor is in.
struct Scope {
    query: *const Query,
    bodies: Vec<*const Query>,
    ctes: CteScope,
}

struct Walk {
    flavor: SqlDialect,
    reading: Reading,
    scopes: Vec<Scope>,
    /// A table function's name, already taken as a call, not a relation.
    table_function: Option<*const ObjectName>,
}

impl Walk {
    fn fold(&self, ident: &Ident) -> String {
        let value = super::decode_unicode_escapes(&ident.value);
        // PostgreSQL keeps the case of a quoted name; the others compare
        // names without case (or fold them all one way).
        if ident.quote_style.is_some() && self.flavor == SqlDialect::Postgres {
            value
        } else {
            value.to_lowercase()
        }
    }

    fn parts(&self, name: &ObjectName) -> Vec<String> {
        name.0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => self.fold(ident),
                // A name computed by a function (dialect-specific) is
                // never a listed table.
                ObjectNamePart::Function(f) => format!("{}()", f.name.value.to_lowercase()),
            })
            .collect()
    }

    /// A relation: a CTE if an enclosing scope declares the bare name where
    /// the walk stands, else a table of the database.
    fn relation(&mut self, parts: Vec<String>) {
        if let [name] = parts.as_slice()
            && self
                .scopes
                .iter()
                .rev()
                .any(|scope| scope.ctes.declares(name))
        {
            return;
        }
        self.reading.tables.push(Table { parts });
    }

    fn function(&mut self, name: &ObjectName, args: &FunctionArguments) {
        let literals = match args {
            FunctionArguments::List(list) => list.args.iter().map(literal).collect(),
            _ => Vec::new(),
        };
        self.function_call(name, literals);
    }

    fn function_call(&mut self, name: &ObjectName, literals: Vec<Option<i128>>) {
        let name = self.parts(name).join(".").to_lowercase();
        self.reading.functions.push(Function { name, literals });
    }

    fn alias(&mut self, ident: &Ident) {
        if ident.quote_style.is_none()
            && matches!(self.flavor, SqlDialect::MsSql | SqlDialect::Any)
            && TSQL_STATEMENTS.contains(&ident.value.to_lowercase().as_str())
        {
            self.reading.statement_alias = true;
        }
    }

    fn body(&mut self, body: &SetExpr) {
        match body {
            SetExpr::Select(select) => {
                if select.into.is_some() {
                    self.reading.select_into = true;
                }
                for item in &select.projection {
                    if let SelectItem::ExprWithAlias { alias, .. } = item {
                        self.alias(alias);
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.body(left);
                self.body(right);
            }
            // `TABLE users` reads the table as much as `SELECT * FROM users`.
            SetExpr::Table(table) => {
                let mut parts = Vec::new();
                parts.extend(table.schema_name.iter().map(|s| s.to_lowercase()));
                parts.extend(table.table_name.iter().map(|t| t.to_lowercase()));
                if !parts.is_empty() {
                    self.relation(parts);
                }
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                self.reading.data_modifying_cte = true;
            }
            _ => {}
        }
    }
}

fn literal(arg: &FunctionArg) -> Option<i128> {
    let expr = match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))
        | FunctionArg::Named {
            arg: FunctionArgExpr::Expr(expr),
            ..
        } => expr,
        _ => return None,
    };
    integer(expr)
}

/// An integer literal, signed or in parentheses.
pub(super) fn integer(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(n, _) => n
                .parse::<i128>()
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(|f| f as i128)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => integer(expr).map(|n| -n),
        Expr::Nested(inner) => integer(inner),
        _ => None,
    }
}

impl Visitor for Walk {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let here: *const Query = query;
        if let Some(parent) = self.scopes.last_mut()
            && let Some(i) = parent.bodies.iter().position(|b| *b == here)
        {
            parent.ctes.inside = Some(i);
        }
        if let Some(with) = &query.with {
            if with.recursive {
                self.reading.recursive_cte = true;
            }
            self.scopes.push(Scope {
                query: here,
                bodies: with
                    .cte_tables
                    .iter()
                    .map(|cte| &*cte.query as *const Query)
                    .collect(),
                ctes: CteScope {
                    names: with
                        .cte_tables
                        .iter()
                        .map(|cte| self.fold(&cte.alias.name))
                        .collect(),
                    recursive: with.recursive,
                    inside: None,
                },
            });
        }
        if !query.locks.is_empty() {
            self.reading.locking = true;
        }
        self.body(&query.body);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let here: *const Query = query;
        if self.scopes.last().is_some_and(|scope| scope.query == here) {
            self.scopes.pop();
        }
        if let Some(parent) = self.scopes.last_mut()
            && parent.ctes.inside.is_some_and(|i| parent.bodies[i] == here)
        {
            parent.ctes.inside = None;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if self.table_function.take() == Some(relation as *const ObjectName) {
            return ControlFlow::Continue(());
        }
        let parts = self.parts(relation);
        self.relation(parts);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Function(function) = expr {
            self.function(&function.name, &function.args);
        }
        ControlFlow::Continue(())
    }

    /// Functions in `FROM` and `LATERAL` (`FROM pg_read_file(...)`) run as
    /// much as those in the select list.
    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(args),
                alias,
                ..
            } => {
                let literals = args.args.iter().map(literal).collect();
                self.function_call(name, literals);
                self.table_function = Some(name as *const ObjectName);
                if let Some(alias) = alias {
                    self.alias(&alias.name);
                }
            }
            TableFactor::Function { name, args, .. } => {
                let literals = args.iter().map(literal).collect();
                self.function_call(name, literals);
            }
            TableFactor::Table {
                alias: Some(alias), ..
            }
            | TableFactor::Derived {
                alias: Some(alias), ..
            } => self.alias(&alias.name),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}
