//! The PostgreSQL reader: PostgreSQL's own parser (libpg_query, built by
//! the `pg_query` crate), so every name, comment, quote and statement
//! boundary is the one PostgreSQL sees. The parse tree comes back as
//! libpg_query's JSON and is walked whole, with CTE names resolved by
//! scope.
//!
//! The tree is read through libpg_query's JSON output rather than the
//! crate's protobuf one: the same tree, at a fifth of the cost (the
//! protobuf encoder dominated a 300-character query at about 100 µs).

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_char, c_void};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::reading::{CteScope, Function, Kind, Reading, Table};
use super::{Violation, unparseable};

// libpg_query's own entry points, linked by the `pg_query` crate.
extern crate pg_query as _;

#[repr(C)]
struct ParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut c_void,
}

// Unsafe code exception 2 of 2: PostgreSQL's own parser is C
// (libpg_query); its JSON output needs the two raw calls below.
#[allow(unsafe_code)]
unsafe extern "C" {
    fn pg_query_parse(input: *const c_char) -> ParseResult;
    fn pg_query_free_parse_result(result: ParseResult);
}

/// Parses with PostgreSQL's grammar; the JSON tree, or `None` when
/// PostgreSQL would not accept the text.
#[allow(unsafe_code)]
fn parse_json(sql: &str) -> Option<String> {
    let input = CString::new(sql).ok()?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the
    // call; the result is read only while it is alive and freed once with
    // libpg_query's own free function.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let tree = if result.error.is_null() && !result.parse_tree.is_null() {
            CStr::from_ptr(result.parse_tree)
                .to_str()
                .ok()
                .map(str::to_owned)
        } else {
            None
        };
        pg_query_free_parse_result(result);
        tree
    }
}

/// A JSON value that borrows its keys and strings from the text.
enum J<'a> {
    Object(Vec<(Cow<'a, str>, J<'a>)>),
    Array(Vec<J<'a>>),
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    Other,
}

impl<'a> J<'a> {
    fn get(&self, key: &str) -> Option<&J<'a>> {
        match self {
            J::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Some(J::Str(s)) => s,
            _ => "",
        }
    }

    fn items(&self) -> &[J<'a>] {
        match self {
            J::Array(items) => items,
            _ => &[],
        }
    }

    fn present(&self, key: &str) -> bool {
        match self.get(key) {
            None | Some(J::Other | J::Bool(false)) => false,
            Some(J::Array(items)) => !items.is_empty(),
            Some(_) => true,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for J<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<J<'de>, E> {
                Ok(J::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J<'de>, E> {
                Ok(J::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J<'de>, E> {
                Ok(i64::try_from(v).map_or(J::Other, J::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<J<'de>, E> {
                Ok(J::Other)
            }
            fn visit_unit<E>(self) -> Result<J<'de>, E> {
                Ok(J::Other)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(J::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    fields.push((key, map.next_value()?));
                }
                Ok(J::Object(fields))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Reads `sql` as PostgreSQL does.
pub(super) fn read(sql: &str) -> Result<Reading, Violation> {
    let text = parse_json(sql).ok_or_else(unparseable)?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    // libpg_query caps its own nesting well below this; a deeper tree is
    // refused, not followed.
    let tree = J::deserialize(&mut deserializer).map_err(|_| unparseable())?;
    let statements = tree.get("stmts").map_or(&[][..], J::items);
    let mut walk = Walk {
        reading: Reading {
            statements: statements.len(),
            ..Reading::default()
        },
        scopes: Vec::new(),
    };
    if let Some(first) = statements.first().and_then(|s| s.get("stmt")) {
        let kind = match first {
            J::Object(fields) => fields.first().map(|(k, _)| k.as_ref()),
            _ => None,
        };
        walk.reading.kind = Some(match kind {
            Some("SelectStmt") => Kind::Query,
            Some("InsertStmt") => Kind::Insert,
            Some("UpdateStmt") => Kind::Update,
            Some("DeleteStmt") => Kind::Delete,
            Some("MergeStmt") => Kind::Merge,
            _ => Kind::Other,
        });
        walk.value(first);
    }
    Ok(walk.reading)
}

const STATEMENTS: [&str; 5] = [
    "SelectStmt",
    "InsertStmt",
    "UpdateStmt",
    "DeleteStmt",
    "MergeStmt",
];

struct Walk {
    reading: Reading,
    scopes: Vec<CteScope>,
}

impl Walk {
    fn value(&mut self, value: &J<'_>) {
        match value {
            J::Object(fields) => self.object(value, fields),
            J::Array(items) => items.iter().for_each(|item| self.value(item)),
            _ => {}
        }
    }

    /// A node is told apart by its wrapper key, or by its fields where it
    /// stands directly in a typed field (`relation`, `larg`, `rel`).
    fn object(&mut self, node: &J<'_>, fields: &[(Cow<'_, str>, J<'_>)]) {
        if node.get("relname").is_some() && node.get("relpersistence").is_some() {
            self.range_var(node);
            return;
        }
        for (key, value) in fields {
            match key.as_ref() {
                k if STATEMENTS.contains(&k) => self.statement(value),
                "larg" | "rarg" => self.statement(value),
                "FuncCall" => {
                    self.function(value);
                    self.value(value);
                }
                _ => self.value(value),
            }
        }
    }

    fn range_var(&mut self, node: &J<'_>) {
        let parts: Vec<String> = ["catalogname", "schemaname", "relname"]
            .iter()
            .map(|k| node.str(k))
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

    fn function(&mut self, call: &J<'_>) {
        let name = call
            .get("funcname")
            .map(J::items)
            .unwrap_or_default()
            .iter()
            .map(|part| part.get("String").map_or("", |s| s.str("sval")))
            .collect::<Vec<_>>()
            .join(".")
            .to_lowercase();
        let literals = call
            .get("args")
            .map(J::items)
            .unwrap_or_default()
            .iter()
            .map(literal)
            .collect();
        self.reading.functions.push(Function { name, literals });
    }

    /// SELECT, INSERT, UPDATE, DELETE, MERGE: the `WITH` scope first, then
    /// the rest of the statement inside it.
    fn statement(&mut self, node: &J<'_>) {
        let J::Object(fields) = node else { return };
        if node.present("intoClause") {
            self.reading.select_into = true;
        }
        if node.present("lockingClause") {
            self.reading.locking = true;
        }
        let with = node.get("withClause");
        if let Some(with) = with {
            let recursive = matches!(with.get("recursive"), Some(J::Bool(true)));
            self.reading.recursive_cte |= recursive;
            let ctes: Vec<&J<'_>> = with
                .get("ctes")
                .map(J::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c.get("CommonTableExpr"))
                .collect();
            self.scopes.push(CteScope {
                names: ctes.iter().map(|c| c.str("ctename").to_owned()).collect(),
                recursive,
                inside: None,
            });
            for (i, cte) in ctes.iter().enumerate() {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.inside = Some(i);
                }
                if let Some(J::Object(body)) = cte.get("ctequery")
                    && body.first().is_none_or(|(k, _)| k != "SelectStmt")
                {
                    self.reading.data_modifying_cte = true;
                }
                if let Some(body) = cte.get("ctequery") {
                    self.value(body);
                }
            }
            if let Some(scope) = self.scopes.last_mut() {
                scope.inside = None;
            }
        }
        for (key, value) in fields {
            match key.as_ref() {
                "withClause" => {}
                "larg" | "rarg" => self.statement(value),
                _ => self.value(value),
            }
        }
        if with.is_some() {
            self.scopes.pop();
        }
    }
}

/// An integer literal argument (libpg_query leaves a zero out).
fn literal(arg: &J<'_>) -> Option<i128> {
    let constant = arg.get("A_Const")?;
    if let Some(ival) = constant.get("ival") {
        return Some(match ival.get("ival") {
            Some(J::Int(i)) => i128::from(*i),
            _ => 0,
        });
    }
    match constant.get("fval").map(|f| f.str("fval")) {
        Some(text) => text.parse::<f64>().ok().map(|f| f as i128),
        None => None,
    }
}
