//! The crate's layout, checked: no two source files import each other, in
//! a circle of any length. Each folder is a stage of the pipeline; a cycle
//! would mean two stages that can only be read together. (A folder's
//! `mod.rs` re-exporting its own files, which use what it defines, is
//! the usual facade and not counted.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every source file of the library, as its module path, with its text
/// (test modules and comments cut: they may name anything).
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).expect("the source folder reads") {
            let path = entry.expect("an entry").path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "bin" {
                    let mut inner = prefix.to_vec();
                    inner.push(name);
                    walk(&path, &inner, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if !matches!(name.as_str(), "mod" | "lib") {
                    module.push(name);
                }
                let text = std::fs::read_to_string(&path).expect("a source file reads");
                out.insert(module, without_tests_and_comments(&text));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

fn without_tests_and_comments(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

/// The module paths a file names through `crate::`, `super::` and `self::`
/// (one level of `{..}` groups read).
fn named_paths(module: &Module, text: &str) -> Vec<Module> {
    let mut found = Vec::new();
    for (at, root) in ["crate::", "super::", "self::"]
        .iter()
        .flat_map(|root| text.match_indices(root).map(move |(at, _)| (at, *root)))
    {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut base: Module = match root {
            "crate::" => Vec::new(),
            "self::" => module.clone(),
            _ => module[..module.len().saturating_sub(1)].to_vec(),
        };
        let mut rest = &text[at + root.len()..];
        while let Some(after) = rest.strip_prefix("super::") {
            base.pop();
            rest = after;
        }
        loop {
            let (name, after) = ident(rest);
            if name.is_empty() {
                break;
            }
            base.push(name.to_owned());
            match after.strip_prefix("::") {
                Some(next) if next.starts_with('{') => {
                    let group = &next[1..next.find('}').unwrap_or(next.len())];
                    for item in group.split(',') {
                        let (name, _) = ident(item.trim());
                        if !name.is_empty() {
                            let mut path = base.clone();
                            path.push(name.to_owned());
                            found.push(path);
                        }
                    }
                    break;
                }
                Some(next) => rest = next,
                None => break,
            }
        }
        found.push(base);
    }
    found
}

#[test]
fn no_source_files_import_each_other_in_a_circle() {
    let modules = modules();
    let resolve = |path: &Module| {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|prefix| modules.contains_key(prefix))
    };
    let mut edges: BTreeMap<&Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, text) in &modules {
        let targets = named_paths(module, text)
            .iter()
            .filter_map(resolve)
            // A folder's `mod.rs` declares and re-exports its own files:
            // composition, not an import between stages.
            .filter(|target| !target.starts_with(module))
            .collect();
        edges.insert(module, targets);
    }
    // A file reaches itself through its imports only in a circle.
    let mut circles = Vec::new();
    for start in edges.keys() {
        let mut seen: BTreeSet<&Module> = BTreeSet::new();
        let mut stack: Vec<&Module> = edges[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next == *start {
                circles.push(start.join("::"));
                break;
            }
            if seen.insert(next) {
                stack.extend(edges.get(next).into_iter().flatten());
            }
        }
    }
    assert!(circles.is_empty(), "in an import circle: {circles:?}");
}

#[test]
fn the_reader_finds_paths_groups_and_parents() {
    let module: Module = vec!["dispatch".into(), "batch".into()];
    let text =
        "use super::approve::{ApprovalVerdict, Standings};\nuse crate::policy::rules::unavailable;";
    let found = named_paths(&module, text);
    assert!(found.contains(&vec![
        "dispatch".into(),
        "approve".into(),
        "Standings".into()
    ]));
    assert!(found.contains(&vec!["policy".into(), "rules".into(), "unavailable".into()]));
}
