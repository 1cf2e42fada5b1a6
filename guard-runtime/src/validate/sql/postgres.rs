//! The PostgreSQL reader: PostgreSQL's own parser (libpg_query through
//! `pg_query`), so every name, comment, quote and statement boundary is the
//! one PostgreSQL sees. The parse tree is walked whole (every node, through
//! its serde form), with CTE names resolved by scope.

use serde_json::{Map, Value};

use super::reading::{Function, Kind, Reading, Table};
use super::{Violation, unparseable};

/// Reads `sql` as PostgreSQL does.
pub(super) fn read(sql: &str) -> Result<Reading, Violation> {
    let parsed = pg_query::parse(sql).map_err(|_| unparseable())?;
    let tree = serde_json::to_value(&parsed.protobuf).map_err(|_| unparseable())?;
    let statements = tree
        .get("stmts")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut walk = Walk {
        reading: Reading {
            statements: statements.len(),
            ..Reading::default()
        },
        scopes: Vec::new(),
    };
    if let Some(first) = statements.first().and_then(|s| s.pointer("/stmt/node")) {
        walk.reading.kind = Some(match first.as_object().and_then(|o| o.keys().next()) {
            Some(k) if k == "SelectStmt" => Kind::Query,
            Some(k) if k == "InsertStmt" => Kind::Insert,
            Some(k) if k == "UpdateStmt" => Kind::Update,
            Some(k) if k == "DeleteStmt" => Kind::Delete,
            Some(k) if k == "MergeStmt" => Kind::Merge,
            _ => Kind::Other,
        });
        walk.value(first);
    }
    Ok(walk.reading)
}

struct Scope {
    names: Vec<String>,
    recursive: bool,
    inside: Option<usize>,
}

impl Scope {
    fn declares(&self, name: &str) -> bool {
        let visible = match self.inside {
            Some(i) if self.recursive => i + 1,
            Some(i) => i,
            None => self.names.len(),
        };
        self.names[..visible].iter().any(|n| n == name)
    }
}

struct Walk {
    reading: Reading,
    scopes: Vec<Scope>,
}

fn text<'v>(map: &'v Map<String, Value>, key: &str) -> &'v str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

impl Walk {
    fn value(&mut self, value: &Value) {
        match value {
            Value::Object(map) => self.object(map),
            Value::Array(items) => items.iter().for_each(|item| self.value(item)),
            _ => {}
        }
    }

    /// Nodes are told apart by their fields, so a node is seen whether it
    /// stands in a `Node` wrapper or directly in a typed field.
    fn object(&mut self, map: &Map<String, Value>) {
        if map.contains_key("relname") && map.contains_key("relpersistence") {
            self.range_var(map);
        } else if map.contains_key("with_clause") {
            self.statement(map);
        } else {
            if let Some(Value::Object(call)) = map.get("FuncCall") {
                self.function(call);
            }
            map.values().for_each(|v| self.value(v));
        }
    }

    fn range_var(&mut self, map: &Map<String, Value>) {
        let parts: Vec<String> = ["catalogname", "schemaname", "relname"]
            .iter()
            .map(|k| text(map, k))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if let [name] = parts.as_slice()
            && self.scopes.iter().rev().any(|s| s.declares(name))
        {
            return;
        }
        self.reading.tables.push(Table { parts });
    }

    fn function(&mut self, call: &Map<String, Value>) {
        let name = call
            .get("funcname")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p.pointer("/node/String/sval").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(".")
                    .to_lowercase()
            })
            .unwrap_or_default();
        let literals = call
            .get("args")
            .and_then(Value::as_array)
            .map(|args| args.iter().map(literal).collect())
            .unwrap_or_default();
        self.reading.functions.push(Function { name, literals });
    }

    /// SELECT, INSERT, UPDATE, DELETE, MERGE: the `WITH` scope first, then
    /// the rest of the statement inside it.
    fn statement(&mut self, map: &Map<String, Value>) {
        if present(map.get("into_clause")) {
            self.reading.select_into = true;
        }
        if present(map.get("locking_clause")) {
            self.reading.locking = true;
        }
        let with = map.get("with_clause").and_then(Value::as_object);
        if let Some(with) = with {
            let recursive = with
                .get("recursive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            self.reading.recursive_cte |= recursive;
            let ctes: Vec<&Map<String, Value>> = with
                .get("ctes")
                .and_then(Value::as_array)
                .map(|ctes| {
                    ctes.iter()
                        .filter_map(|c| {
                            c.pointer("/node/CommonTableExpr")
                                .and_then(Value::as_object)
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.scopes.push(Scope {
                names: ctes.iter().map(|c| text(c, "ctename").to_owned()).collect(),
                recursive,
                inside: None,
            });
            for (i, cte) in ctes.iter().enumerate() {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.inside = Some(i);
                }
                let body = cte.get("ctequery").and_then(|q| q.get("node"));
                if let Some(Value::Object(node)) = body
                    && !node.contains_key("SelectStmt")
                {
                    self.reading.data_modifying_cte = true;
                }
                for (key, value) in cte.iter() {
                    if key != "ctename" {
                        self.value(value);
                    }
                }
            }
            if let Some(scope) = self.scopes.last_mut() {
                scope.inside = None;
            }
        }
        for (key, value) in map {
            if key != "with_clause" {
                self.value(value);
            }
        }
        if with.is_some() {
            self.scopes.pop();
        }
    }
}

fn literal(arg: &Value) -> Option<i128> {
    let constant = arg.pointer("/node/AConst/val")?;
    if let Some(i) = constant.pointer("/Ival/ival").and_then(Value::as_i64) {
        return Some(i128::from(i));
    }
    if constant.get("Ival").is_some() {
        // Zero is left out of the serde form's default-valued fields.
        return Some(0);
    }
    constant
        .pointer("/Fval/fval")
        .and_then(Value::as_str)
        .and_then(|f| f.parse::<f64>().ok())
        .map(|f| f as i128)
}
