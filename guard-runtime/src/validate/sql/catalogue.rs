//! What a read-only query must not call or read, per dialect: functions
//! that sleep, touch files or the network, run code or have side effects,
//! and the system catalogues.

use super::SqlDialect;

/// Functions that sleep, read or write files, reach the network, run
/// commands, have side effects, or read tables named in a string.
const FUNCTIONS: &[&str] = &[
    // Time: sleeping and busy loops.
    "sleep",
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "benchmark",
    "waitfor",
    // Files on the database host.
    "load_file",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_stat_file",
    "pg_file_write",
    "pg_file_unlink",
    "pg_file_rename",
    "pg_file_sync",
    "pg_logdir_ls",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    // Large objects (PostgreSQL): file import/export and writes.
    "lo_import",
    "lo_export",
    "lo_from_bytea",
    "lo_put",
    "lo_unlink",
    "lo_create",
    "lo_creat",
    "lo_truncate",
    "lo_open",
    "lowrite",
    "lo_get",
    // Network and other servers.
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_send_query",
    "openrowset",
    "opendatasource",
    "openquery",
    "openxml",
    "receive_message",
    "sys_exec",
    "sys_eval",
    "load_extension",
    // Memory bombs.
    "randomblob",
    "zeroblob",
    // Side effects a read-only query must not have: sequences, locks,
    // backend control, configuration, notifications, WAL.
    "setval",
    "nextval",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "pg_advisory_unlock",
    "pg_advisory_unlock_all",
    "pg_cancel_backend",
    "pg_terminate_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_promote",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "set_config",
    "pg_notify",
    "get_lock",
    "release_lock",
    "release_all_locks",
    "master_pos_wait",
    "source_pos_wait",
    // Read a table named in a string, past any table list.
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "table_to_xml",
    "table_to_xml_and_xmlschema",
    "table_to_xmlschema",
    "cursor_to_xml",
    "database_to_xml",
    "database_to_xml_and_xmlschema",
    "database_to_xmlschema",
    "schema_to_xml",
    "schema_to_xml_and_xmlschema",
    "schema_to_xmlschema",
    "ts_stat",
    "ts_rewrite",
    // SQL Server's procedures callable from a query.
    "sp_executesql",
    "sp_makewebtask",
    "fn_xe_file_target_read_file",
    "fn_get_audit_file",
    "fn_trace_gettable",
    // Oracle's text-index and XML packages reachable from any query.
    "ctxsys",
    "httpuritype",
    "xdburitype",
    "sys",
];

/// Name prefixes of whole families: SQL Server's extended and OLE
/// procedures, Oracle's `DBMS_*` and `UTL_*` packages.
const PREFIXES: &[&str] = &["xp_", "sp_oa", "dbms_", "utl_"];

/// Whether a function (its dotted name, decoded and lower-cased) is in the
/// catalogue: any part of the name counts, so `pg_catalog.pg_sleep`,
/// `master.dbo.xp_cmdshell` and `CTXSYS.DRITHSX.SN` all match.
pub(super) fn is_dangerous(name: &str) -> bool {
    name.split('.')
        .any(|part| FUNCTIONS.contains(&part) || PREFIXES.iter().any(|p| part.starts_with(p)))
}

/// Whether a relation (its parts, lower-cased) is a system catalogue of the
/// dialect: the schemas the database keeps its own state in, and the
/// unqualified names the database finds there first.
pub(super) fn is_system(dialect: SqlDialect, parts: &[String]) -> bool {
    use SqlDialect::*;
    let (schema, name) = match parts {
        [name] => (None, name.as_str()),
        [.., schema, name] => (Some(schema.as_str()), name.as_str()),
        [] => return false,
    };
    let all = matches!(dialect, Any | Generic);
    let pg = all || matches!(dialect, Postgres | Redshift | DuckDb);
    let mysql = all || matches!(dialect, MySql | MariaDb);
    let sqlite = all || matches!(dialect, Sqlite);
    let mssql = all || matches!(dialect, MsSql);
    let oracle = all || matches!(dialect, Oracle);
    if let Some(schema) = schema {
        if schema == "information_schema" {
            return true;
        }
        if pg && matches!(schema, "pg_catalog" | "pg_toast" | "pg_temp") {
            return true;
        }
        if mysql && matches!(schema, "mysql" | "performance_schema" | "sys") {
            return true;
        }
        if mssql && matches!(schema, "sys" | "master" | "msdb" | "tempdb" | "model") {
            return true;
        }
        if oracle && matches!(schema, "sys" | "system" | "ctxsys" | "mdsys" | "xdb") {
            return true;
        }
    }
    // PostgreSQL searches pg_catalog before the search path, so an
    // unqualified `pg_shadow` is the catalogue's.
    if pg && name.starts_with("pg_") {
        return true;
    }
    if sqlite && (name.starts_with("sqlite_") || name.starts_with("pragma_")) {
        return true;
    }
    if mssql && name.starts_with("sys") && schema.is_none_or(|s| s == "dbo") {
        return true;
    }
    oracle
        && (name.starts_with("all_")
            || name.starts_with("dba_")
            || name.starts_with("user_")
            || name.starts_with("v$")
            || name.starts_with("gv$"))
}

/// How many rows or bytes a generator or string builder makes, where its
/// literal arguments say (`generate_series(1, 1e9)`, `repeat('x', 1e9)`).
pub(super) fn generated_size(name: &str, literals: &[Option<i128>]) -> Option<i128> {
    let last = name.rsplit('.').next().unwrap_or(name);
    match (last, literals) {
        ("generate_series" | "range", [Some(start), Some(stop)]) => Some((stop - start).abs()),
        ("generate_series" | "range", [Some(start), Some(stop), Some(step)]) if *step != 0 => {
            Some(((stop - start) / step).abs())
        }
        ("repeat" | "replicate" | "lpad" | "rpad", [_, Some(count), ..]) => Some(*count),
        ("space" | "zeroblob" | "randomblob", [Some(count)]) => Some(*count),
        // A width or precision of any size: `printf('%.*c', 1e9, 'x')`.
        ("printf" | "format", literals) => literals.iter().flatten().map(|n| n.abs()).max(),
        _ => None,
    }
}

/// Statement keywords of T-SQL, which runs a statement that follows another
/// without a `;`: where a parser reads one as an alias
/// (`SELECT * FROM orders SHUTDOWN`), SQL Server runs it.
pub(super) const TSQL_STATEMENTS: &[&str] = &[
    "alter",
    "backup",
    "begin",
    "break",
    "bulk",
    "checkpoint",
    "close",
    "commit",
    "continue",
    "create",
    "dbcc",
    "deallocate",
    "declare",
    "delete",
    "deny",
    "disable",
    "drop",
    "enable",
    "exec",
    "execute",
    "fetch",
    "go",
    "goto",
    "grant",
    "if",
    "insert",
    "kill",
    "merge",
    "open",
    "print",
    "raiserror",
    "readtext",
    "receive",
    "reconfigure",
    "restore",
    "return",
    "revert",
    "revoke",
    "rollback",
    "save",
    "select",
    "send",
    "set",
    "setuser",
    "shutdown",
    "throw",
    "truncate",
    "update",
    "updatetext",
    "use",
    "waitfor",
    "while",
    "with",
    "writetext",
];

#[cfg(feature = "sqlite")]
/// Whether a function's size is in its literal arguments (see
/// [`generated_size`]): readers that do not see literals must look.
pub(super) fn sized_by_literals(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    matches!(
        last,
        "generate_series"
            | "range"
            | "repeat"
            | "replicate"
            | "lpad"
            | "rpad"
            | "space"
            | "zeroblob"
            | "randomblob"
            | "printf"
            | "format"
    )
}
