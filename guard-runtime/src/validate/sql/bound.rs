//! When a recursive CTE is bounded: its cost is not in the text unless the
//! recursion counts a column up from a literal to a literal limit.
//!
//! A recursive term passes when it reads only the CTE itself (no join
//! multiplies the rows per level), keeps a column `c` as `c + k` for a
//! positive literal `k`, and is filtered by `c < n` or `c <= n` for a
//! literal `n`; every non-recursive term gives `c` a literal start. The
//! depth is then at most `(n - start) / k + 1`, which must stay within the
//! generator limit. Anything else is unbounded as far as the text shows.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Cte, Expr, ObjectName, Query, Select, SelectItem, SetExpr, TableFactor, Visit,
    Visitor,
};
use sqlparser::dialect::Dialect;

use super::parsed::integer;

/// Whether every recursive CTE of `sql` (read with `grammar`) is bounded to
/// at most `limit` levels.
pub(super) fn recursion_is_bounded(grammar: &dyn Dialect, sql: &str, limit: u64) -> bool {
    let Some(statements) = super::parsed::parse(grammar, sql) else {
        return false;
    };
    let mut check = Check {
        limit: i128::from(limit),
        bounded: true,
    };
    let _ = statements.visit(&mut check);
    check.bounded
}

struct Check {
    limit: i128,
    bounded: bool,
}

impl Visitor for Check {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with
            && with.recursive
        {
            for cte in &with.cte_tables {
                if refers_to(&cte.query, &cte.alias.name.value) && !bounded(cte, self.limit) {
                    self.bounded = false;
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn refers_to(query: &Query, name: &str) -> bool {
    struct Finds<'n>(&'n str);
    impl Visitor for Finds<'_> {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
            match relation.0.as_slice() {
                [part]
                    if part
                        .as_ident()
                        .is_some_and(|i| i.value.eq_ignore_ascii_case(self.0)) =>
                {
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    query.visit(&mut Finds(name)).is_break()
}

/// The terms of a chain of UNIONs.
fn terms<'q>(body: &'q SetExpr, out: &mut Vec<&'q SetExpr>) {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            terms(left, out);
            terms(right, out);
        }
        other => out.push(other),
    }
}

fn column_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
        SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.to_lowercase()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
            parts.last().map(|i| i.value.to_lowercase())
        }
        _ => None,
    }
}

fn expr_of(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::ExprWithAlias { expr, .. } | SelectItem::UnnamedExpr(expr) => Some(expr),
        _ => None,
    }
}

fn names(expr: &Expr, column: &str) -> bool {
    match expr {
        Expr::Identifier(i) => i.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|i| i.value.eq_ignore_ascii_case(column)),
        Expr::Nested(e) => names(e, column),
        _ => false,
    }
}

/// `c + k` (or `k + c`) with a positive literal `k`.
fn step(expr: &Expr, column: &str) -> Option<i128> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Plus,
            right,
        } => {
            let k = if names(left, column) {
                integer(right)
            } else if names(right, column) {
                integer(left)
            } else {
                None
            };
            k.filter(|k| *k > 0)
        }
        Expr::Nested(e) => step(e, column),
        _ => None,
    }
}

/// The literal `n` of a `c < n` / `c <= n` conjunct of the filter.
fn limit_of(filter: &Expr, column: &str) -> Option<i128> {
    match filter {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => limit_of(left, column).or_else(|| limit_of(right, column)),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Lt | BinaryOperator::LtEq if names(left, column) => integer(right),
            BinaryOperator::Gt | BinaryOperator::GtEq if names(right, column) => integer(left),
            _ => None,
        },
        Expr::Nested(e) => limit_of(e, column),
        _ => None,
    }
}

fn reads_only_itself(select: &Select, name: &str) -> bool {
    match select.from.as_slice() {
        [one] if one.joins.is_empty() => matches!(
            &one.relation,
            TableFactor::Table { name: table, args: None, .. }
                if table.0.len() == 1
                    && table.0[0].as_ident().is_some_and(|i| i.value.eq_ignore_ascii_case(name))
        ),
        _ => false,
    }
}

fn bounded(cte: &Cte, limit: i128) -> bool {
    let name = &cte.alias.name.value;
    let mut all = Vec::new();
    terms(&cte.query.body, &mut all);
    let (recursive, anchors): (Vec<&SetExpr>, Vec<&SetExpr>) = all.into_iter().partition(|t| {
        let query = Query {
            body: Box::new((*t).clone()),
            ..(*cte.query).clone()
        };
        refers_to(&query, name)
    });
    let selects = |list: &[&SetExpr]| -> Option<Vec<Select>> {
        list.iter()
            .map(|t| match t {
                SetExpr::Select(s) => Some((**s).clone()),
                _ => None,
            })
            .collect()
    };
    let (Some(recursive), Some(anchors)) = (selects(&recursive), selects(&anchors)) else {
        return false;
    };
    let Some(first) = anchors.first() else {
        return false;
    };
    let columns: Vec<Option<String>> = if cte.alias.columns.is_empty() {
        first.projection.iter().map(column_name).collect()
    } else {
        cte.alias
            .columns
            .iter()
            .map(|c| Some(c.name.value.to_lowercase()))
            .collect()
    };
    recursive.iter().all(|term| {
        if !reads_only_itself(term, name) {
            return false;
        }
        let Some(filter) = &term.selection else {
            return false;
        };
        columns.iter().enumerate().any(|(at, column)| {
            let Some(column) = column else { return false };
            let Some(k) = term
                .projection
                .get(at)
                .and_then(expr_of)
                .and_then(|e| step(e, column))
            else {
                return false;
            };
            let Some(n) = limit_of(filter, column) else {
                return false;
            };
            let start = anchors
                .iter()
                .map(|a| a.projection.get(at).and_then(expr_of).and_then(integer))
                .collect::<Option<Vec<i128>>>()
                .and_then(|starts| starts.into_iter().min());
            start.is_some_and(|start| (n - start) / k < limit)
        })
    })
}
