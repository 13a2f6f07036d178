//! The top-level modules of `assistant/src` form a graph without cycles.
//!
//! Each module is a stage one can point at (`audio`, `asr`, `lm`, `corpus`,
//! `skills`, …): a stage may use the ones below it, never the other way round,
//! so any of them can be read, tested and replaced without dragging in the
//! rest. This test reads every `.rs` file under `assistant/src`, assigns it to
//! its top-level module (the first path component: `asr/mel.rs` is `asr`,
//! `kiosk.rs` is `kiosk`), collects the `crate::NAME` paths in its code (in
//! `use` lines, grouped `use crate::{a::x, b::y}` forms and inline paths;
//! comments and string literals are skipped) and fails with each cycle spelled
//! out, e.g. `asr -> models -> asr`. A second test keeps out a few uses known
//! to point the wrong way even without a cycle (`WRONG_WAY`: the model, `lm`,
//! knows nothing of the content).
//!
//! `lib.rs`, `main.rs` and `cli/` are the binary's edge: they may use every
//! module and are left out of the graph. `super::` paths are not followed:
//! nothing in `src` climbs out of its top-level module that way.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// Module name → the other top-level modules it refers to.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Files and folders directly under `src` that are the binary's edge, not modules of the graph.
const EDGE: [&str; 3] = ["lib", "main", "cli"];

#[test]
fn top_level_modules_have_no_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.len() > 5,
        "found only {} top-level modules under {}: is this the right folder?",
        graph.len(),
        src.display()
    );
    let cycles = find_cycles(&graph);
    assert!(
        cycles.is_empty(),
        "the top-level modules of {} depend on each other in a cycle; move the shared \
         part down into a module both can use:\n{}\n\nthe whole graph:\n{}",
        src.display(),
        cycles.iter().map(|cycle| format!("  {}", cycle.join(" -> "))).collect::<Vec<_>>().join("\n"),
        describe(&graph)
    );
    // Shown with `cargo test --test modules -- --nocapture`.
    println!("{}", describe(&graph));
}

/// Uses that point the wrong way, even where they would close no cycle: each was
/// untangled once (into `audio::vad`, `audio::filterbank` and `skills`), so it
/// stays out.
const WRONG_WAY: [(&str, &str, &str); 4] = [
    ("audio", "keywords", "voice-activity detection is audio's (audio::vad)"),
    ("models", "asr", "the mel filterbank is audio's (audio::filterbank)"),
    ("lm", "corpus", "answering from the content is a skill's (skills), not the model's"),
    ("lm", "speech", "answering from the content is a skill's (skills), not the model's"),
];

#[test]
fn no_module_uses_one_above_it() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let wrong: Vec<String> = WRONG_WAY
        .iter()
        .filter(|(from, to, _)| graph.get(*from).is_some_and(|uses| uses.contains(*to)))
        .map(|(from, to, why)| format!("  {from} -> {to}: {why}"))
        .collect();
    assert!(wrong.is_empty(), "modules use ones above them:\n{}", wrong.join("\n"));
}

/// One line per module: `asr -> audio, models`.
fn describe(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, uses)| {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            format!("  {module} -> {}", uses.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The dependency graph of the top-level modules under `src`, without the binary's edge.
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("walked from src");
        let first = relative.components().next().expect("a file has a name").as_os_str().to_string_lossy();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if EDGE.contains(&module.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        let uses = graph.entry(module.clone()).or_default();
        for used in crate_references(&strip_comments_and_strings(&text)) {
            if used != module {
                uses.insert(used);
            }
        }
    }
    // Every reference must name a module of the graph (or the edge, which would be wrong too).
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, uses) in &graph {
        for used in uses {
            assert!(
                modules.contains(used),
                "{module} refers to crate::{used}, which is not a top-level module under {}",
                src.display()
            );
        }
    }
    graph
}

/// Every `.rs` file under `folder`, in a stable order.
fn rust_files(folder: &Path, files: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(folder).unwrap_or_else(|error| panic!("cannot list {}: {error}", folder.display()));
    let mut paths: Vec<PathBuf> = entries.map(|entry| entry.expect("a readable folder entry").path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The source with comments (line, block, doc) and string and character literals
/// replaced by spaces, so that only code is searched for paths.
fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            code.push(' ');
        } else if let Some(end) = raw_string_end(&chars, i) {
            i = end;
            code.push(' ');
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            code.push(' ');
        } else if chars[i] == '\'' {
            // A character literal ('x', '\n', '\u{1F600}') or a lifetime ('a, 'static).
            if rest.get(1) == Some(&'\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                code.push(' ');
            } else if rest.get(2) == Some(&'\'') {
                i += 3;
                code.push(' ');
            } else {
                code.push('\'');
                i += 1;
            }
        } else {
            code.push(chars[i]);
            i += 1;
        }
    }
    code
}

/// Where a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) starting at `start` ends, if one does.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    let previous_is_identifier = start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '_');
    if previous_is_identifier {
        return None;
    }
    let mut i = start;
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    if chars.get(i) != Some(&'"') {
        return None;
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|c| **c == '#').count() == hashes {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// The top-level modules named by `crate::NAME` paths in `code`, including each
/// name of a grouped `crate::{a::x, b::{y, z}}`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let Some(path) = rest.trim_start().strip_prefix("::") else {
            continue;
        };
        let path = path.trim_start();
        if let Some(group) = path.strip_prefix('{') {
            names.extend(group_heads(group));
        } else if let Some(name) = identifier(path) {
            names.insert(name.to_string());
        }
    }
    names
}

/// The first identifier of each item at the top level of a `{…}` group (the text after `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 0 => {
                at_item_start = false;
                if let Some(name) = identifier(&group[i..]) {
                    if name != "self" {
                        heads.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    heads
}

/// The identifier at the start of `text`, if there is one.
fn identifier(text: &str) -> Option<&str> {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    let name = &text[..end];
    let starts_well = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
    starts_well.then_some(name)
}

/// The cycles of the graph, enough of them that every edge lying on a cycle is in
/// one: for each such edge, in order, the shortest way back, written from its first
/// module back to itself (`["asr", "models", "asr"]`).
fn find_cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut cycles: Vec<Vec<String>> = Vec::new();
    let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, uses) in graph {
        for to in uses {
            if from == to || covered.contains(&(from.clone(), to.clone())) {
                continue;
            }
            let Some(way_back) = shortest_path(graph, to, from) else {
                continue;
            };
            let mut cycle = vec![from.clone()];
            cycle.extend(way_back);
            for edge in cycle.windows(2) {
                covered.insert((edge[0].clone(), edge[1].clone()));
            }
            cycles.push(cycle);
        }
    }
    cycles
}

/// The shortest path from `from` to `to` (both included), breadth first.
fn shortest_path(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(module) = queue.pop_front() {
        if module == to {
            let mut path = vec![to.to_string()];
            let mut at = to;
            while at != from {
                at = came_from[at];
                path.push(at.to_string());
            }
            path.reverse();
            return Some(path);
        }
        for next in graph.get(module).into_iter().flatten() {
            if next != from && !came_from.contains_key(next.as_str()) {
                came_from.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod finder {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph.entry(from.to_string()).or_default().insert(to.to_string());
            graph.entry(to.to_string()).or_default();
        }
        graph
    }

    #[test]
    fn spells_out_a_cycle() {
        let graph = graph(&[("asr", "audio"), ("asr", "models"), ("models", "asr"), ("keywords", "asr")]);
        assert_eq!(find_cycles(&graph), vec![vec!["asr", "models", "asr"]]);
    }

    #[test]
    fn puts_every_cyclic_edge_in_a_cycle() {
        let graph = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "x"), ("z", "a"), ("a", "c")]);
        assert_eq!(find_cycles(&graph), vec![vec!["a", "b", "c", "a"], vec!["a", "c", "a"], vec!["x", "y", "x"]]);
    }

    #[test]
    fn a_layered_graph_has_none() {
        let graph = graph(&[("kiosk", "asr"), ("kiosk", "audio"), ("asr", "audio")]);
        assert!(find_cycles(&graph).is_empty());
    }

    #[test]
    fn finds_grouped_and_inline_paths_but_not_comments() {
        let source = r##"
            use crate::{asr::mel, audio::{decode, resample}, self};
            use crate::models::Manifest;
            // use crate::lm::Model;
            /* crate::store /* nested */ crate::corpus */
            /// [`crate::dialogue`]
            fn f<'a>(x: &'a str) -> char {
                let _ = crate::keywords::detect(x);
                let _ = "crate::speech";
                let _ = r#"crate::kiosk"#;
                '"'
            }
            fn g() { let _ = crate::literacy::x(); }
        "##;
        let found = crate_references(&strip_comments_and_strings(source));
        let expected: BTreeSet<String> =
            ["asr", "audio", "models", "keywords", "literacy"].into_iter().map(String::from).collect();
        assert_eq!(found, expected);
    }
}
