//! `cargo xtask tidy`: the repository's own rules, checked by a program instead of by review (SQL
//! only in store modules, no panics outside tests, a `//!` paragraph atop every source file, the
//! edge's modules in layers with no circle). `cargo xtask test` runs it too, one count a rule.
//!
//! It reads the `.rs` files git lists (tracked, and untracked ones git does not ignore), so
//! `target/` and `node_modules/` are never read. It lexes Rust just enough to tell code from strings
//! and comments, and does not parse it: a rule is about what a line says, not what it means.

use crate::{Result, output};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;
use std::process::Command;

/// One source file: its path from the repository root (with `/`), and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// One place that breaks a rule, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    /// From 1; `None` when the violation is not on one line.
    pub line: Option<usize>,
    pub problem: String,
    pub advice: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.problem),
            None => write!(f, "{}: {}", self.path, self.problem),
        }
    }
}

/// One rule's result: it passed if and only if `violations` is empty.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub rule: &'static str,
    pub violations: Vec<Violation>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// What `cargo xtask tidy` prints for the rule: `ok`, or every violation and then, once each,
    /// what to do instead.
    pub fn report(&self) -> String {
        if self.passed() {
            return format!("tidy: {}: ok\n", self.rule);
        }
        let mut text = format!("tidy: {}: {} violation(s)\n", self.rule, self.violations.len());
        let mut advice: Vec<&str> = Vec::new();
        for violation in &self.violations {
            text.push_str(&format!("  {violation}\n"));
            if !advice.contains(&violation.advice) {
                advice.push(violation.advice);
            }
        }
        for advice in advice {
            text.push_str(&format!("  fix: {advice}\n"));
        }
        text
    }
}

/// Checks every rule against the `.rs` files git lists under `root`.
pub fn check(root: &Path) -> Result<Vec<Outcome>> {
    Ok(check_files(&source_files(root)?))
}

/// Checks every rule against these files, in the order `cargo xtask tidy` prints them.
pub fn check_files(files: &[SourceFile]) -> Vec<Outcome> {
    let files: Vec<(&SourceFile, Lexed)> =
        files.iter().map(|file| (file, lex(&file.text))).collect();
    vec![
        Outcome { rule: "SQL only in store modules", violations: sql_outside_store(&files) },
        Outcome { rule: "no panics outside tests", violations: panics_outside_tests(&files) },
        Outcome {
            rule: "every source file opens with a //! paragraph",
            violations: missing_doc_paragraph(&files),
        },
        Outcome {
            rule: "the edge's modules form layers with no circle",
            violations: edge_layers(&files),
        },
    ]
}

/// The `.rs` files git tracks, or would track (untracked and not ignored), under `root`.
fn source_files(root: &Path) -> Result<Vec<SourceFile>> {
    let listed = output(
        Command::new("git")
            .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.rs"])
            .current_dir(root),
    )?;
    let paths: BTreeSet<&str> = listed.split('\0').filter(|path| !path.is_empty()).collect();
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_to_string(root.join(path)) {
            Ok(text) => files.push(SourceFile { path: path.to_owned(), text }),
            // Deleted in the working tree but still in the index: nothing to check.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
    }
    Ok(files)
}

// Rule 1: SQL only in store modules.

const SQL_ADVICE: &str = "SQL belongs in the capability's store module (its store.rs, or a file in \
     a store/ folder); call a store function from here instead.";

fn sql_outside_store(files: &[(&SourceFile, Lexed)]) -> Vec<Violation> {
    let outside_store =
        |path: &str| path.strip_prefix("edge/src/").is_some_and(|p| !is_store_module(p));
    files
        .iter()
        .filter(|(file, _)| outside_store(&file.path))
        .flat_map(|(file, lexed)| {
            each_line(&file.path, &lexed.lines, SQL_ADVICE, |line| {
                let mut found: Vec<String> = [".prepare(", ".batch("]
                    .into_iter()
                    .filter(|call| line.code.contains(call))
                    .map(|call| format!("SQL outside a store module: a `{call}` call"))
                    .collect();
                if let Some(sql) = sql_in_strings(&line.strings) {
                    found.push(format!("SQL outside a store module: a string with `{sql}`"));
                }
                found
            })
        })
        .collect()
}

/// A violation for each problem `find` sees on each of these lines of the file at `path`.
fn each_line(
    path: &str,
    lines: &[Line],
    advice: &'static str,
    find: impl Fn(&Line) -> Vec<String>,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        for problem in find(line) {
            violations.push(Violation {
                path: path.to_owned(),
                line: Some(index + 1),
                problem,
                advice,
            });
        }
    }
    violations
}

/// A file named `store.rs`, or any file in a folder named `store` (`inside` is relative to the
/// crate's `src/`).
fn is_store_module(inside: &str) -> bool {
    let mut parts: Vec<&str> = inside.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    name == "store.rs" || parts.contains(&"store")
}

/// The SQL keyword found in a line's string literals, if any.
fn sql_in_strings(strings: &[String]) -> Option<&'static str> {
    for text in strings {
        for keyword in ["SELECT ", "INSERT INTO", "DELETE FROM"] {
            if text.contains(keyword) {
                return Some(keyword);
            }
        }
    }
    // `UPDATE ` and then ` SET ` on the same line, possibly in a later literal of it.
    let line = strings.join(" ");
    let update = line.find("UPDATE ")?;
    line[update..].contains(" SET ").then_some("UPDATE ... SET")
}

// Rule 2: no panics outside tests.

const PANIC_ADVICE: &str = "Return a Result or an Option, or use unwrap_or/unwrap_or_default with a \
     comment on why the default is right: nothing on a request path may panic.";

fn panics_outside_tests(files: &[(&SourceFile, Lexed)]) -> Vec<Violation> {
    let in_scope = |path: &str| {
        ["shared/src/", "widget/src/", "edge/src/"].iter().any(|src| path.starts_with(src))
            && !path.split('/').any(|part| part == "tests")
    };
    files
        .iter()
        .filter(|(file, _)| in_scope(&file.path))
        .flat_map(|(file, lexed)| {
            each_line(&file.path, &lexed.lines[..lexed.test_tail], PANIC_ADVICE, |line| {
                panics(&line.code).iter().map(|what| format!("`{what}` outside a test")).collect()
            })
        })
        .collect()
}

/// The ways a line of code (strings and comments blanked) can panic: `.unwrap()`, `.expect(` and the
/// panicking macros. `unwrap_or`, `unwrap_or_default`, `unwrap_or_else` and `expect_err` do not.
fn panics(code: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> =
        [".unwrap()", ".expect("].into_iter().filter(|call| code.contains(call)).collect();
    for (name, shown) in [
        ("panic", "panic!"),
        ("unreachable", "unreachable!"),
        ("todo", "todo!"),
        ("unimplemented", "unimplemented!"),
    ] {
        let called = code.match_indices(name).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = code[at + name.len()..].trim_start();
            !before.is_some_and(is_ident_char)
                && after
                    .strip_prefix('!')
                    .is_some_and(|args| args.trim_start().starts_with(['(', '[', '{']))
        });
        if called {
            found.push(shown);
        }
    }
    found
}

// Rule 3: every source file opens with a `//!` paragraph.

const DOC_ADVICE: &str = "Open the file with a `//!` paragraph: what lives here and what does not.";

fn missing_doc_paragraph(files: &[(&SourceFile, Lexed)]) -> Vec<Violation> {
    files
        .iter()
        .filter(|(file, _)| !file.text.lines().next().is_some_and(|line| line.starts_with("//!")))
        .map(|(file, _)| Violation {
            path: file.path.clone(),
            line: Some(1),
            problem: "the first line is not a `//!` comment".to_owned(),
            advice: DOC_ADVICE,
        })
        .collect()
}

// Rule 4: the edge's modules form layers with no circle.

const CIRCLE_ADVICE: &str = "Break the circle: move what both sides need into a module they can \
     both depend on (base, or the capability's model), so dependencies point one way.";
const LAYER_ADVICE: &str = "Point the dependency down: base depends only on base, http on base and \
     http, a capability on base, http and other capabilities; move what is shared down into base or \
     http, or move the code that needs a higher layer up into router.";
const API_ADVICE: &str = "Only router wires a capability's HTTP API: call the capability's model or \
     store from here instead (the capability's own mod.rs may declare and re-export its api).";

/// A module of the edge: its path from the crate root (`[]` for `lib.rs`).
type Module = Vec<String>;

fn module_name(module: &[String]) -> String {
    if module.is_empty() { "crate".to_owned() } else { module.join("::") }
}

/// Where a module refers to another: the referring module, the path as written out (groups
/// expanded), and its file and line.
#[derive(Debug, Clone)]
struct Reference {
    by: String,
    written: String,
    path: String,
    line: usize,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} uses `{}` at {}:{}", self.by, self.written, self.path, self.line)
    }
}

/// The module a file of `edge/src` is: `lib.rs` the crate root, `a/mod.rs` and `a.rs` are `a`,
/// `a/b.rs` is `a::b`.
fn edge_module(path: &str) -> Option<Module> {
    let inside = path.strip_prefix("edge/src/")?.strip_suffix(".rs")?;
    if inside == "lib" {
        return Some(Vec::new());
    }
    let mut module: Module = inside.split('/').map(str::to_owned).collect();
    if module.last().is_some_and(|last| last == "mod") {
        module.pop();
    }
    (!module.is_empty() && module.iter().all(|part| !part.is_empty())).then_some(module)
}

fn edge_layers(files: &[(&SourceFile, Lexed)]) -> Vec<Violation> {
    let modules: BTreeMap<Module, (&SourceFile, &Lexed)> = files
        .iter()
        .filter_map(|(file, lexed)| Some((edge_module(&file.path)?, (*file, lexed))))
        .collect();
    let edges = module_edges(&modules);
    let mut violations = circles_among_modules(&modules, &edges);
    violations.extend(circles_among_folders(&modules, &edges));
    violations.extend(layering(&edges));
    violations.extend(api_references(&edges));
    violations
}

/// Every module-to-module reference, the first place each is made. A path resolves to the longest
/// prefix of it that is a module file; `crate::OPENAPI` is the crate root.
fn module_edges(
    modules: &BTreeMap<Module, (&SourceFile, &Lexed)>,
) -> BTreeMap<(Module, Module), Reference> {
    let mut edges = BTreeMap::new();
    for (from, (file, lexed)) in modules {
        for (path, line) in crate_paths(&lexed.lines[..lexed.test_tail]) {
            let Some(absolute) = absolute_path(from, &path) else { continue };
            let to = (0..=absolute.len())
                .rev()
                .map(|length| absolute[..length].to_vec())
                .find(|prefix| prefix.is_empty() || modules.contains_key(prefix))
                .unwrap_or_default();
            if &to != from {
                edges.entry((from.clone(), to)).or_insert_with(|| Reference {
                    by: module_name(from),
                    written: path.join("::"),
                    path: file.path.clone(),
                    line,
                });
            }
        }
    }
    edges
}

/// `crate::a::b` or `super::super::c` as a path from the crate root, for a path written in `from`.
fn absolute_path(from: &[String], path: &[String]) -> Option<Module> {
    let (first, rest) = path.split_first()?;
    if first == "crate" {
        return Some(rest.to_vec());
    }
    let mut base = from.to_vec();
    let mut rest = path;
    while let Some(("super", after)) = rest.split_first().map(|(s, after)| (s.as_str(), after)) {
        base.pop()?;
        rest = after;
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn circles_among_modules(
    modules: &BTreeMap<Module, (&SourceFile, &Lexed)>,
    edges: &BTreeMap<(Module, Module), Reference>,
) -> Vec<Violation> {
    let mut graph: Graph = modules.keys().map(|m| (module_name(m), BTreeSet::new())).collect();
    let mut places = BTreeMap::new();
    for ((from, to), reference) in edges {
        let (from, to) = (module_name(from), module_name(to));
        graph.entry(from.clone()).or_default().insert(to.clone());
        places.insert((from, to), reference.clone());
    }
    circles(&graph)
        .into_iter()
        .map(|(circle, component)| {
            circle_violation("modules in a circle", &circle, &component, &places)
        })
        .collect()
}

/// Circles among top-level parts (`forms` and everything under it). A circle among parts that are
/// each one file is a circle among modules too, and is reported as that.
fn circles_among_folders(
    modules: &BTreeMap<Module, (&SourceFile, &Lexed)>,
    edges: &BTreeMap<(Module, Module), Reference>,
) -> Vec<Violation> {
    let mut graph: Graph = BTreeMap::new();
    let mut places: BTreeMap<(String, String), Reference> = BTreeMap::new();
    for ((from, to), reference) in edges {
        let (Some(top_from), Some(top_to)) = (from.first(), to.first()) else { continue };
        if top_from != top_to {
            graph.entry(top_from.clone()).or_default().insert(top_to.clone());
            places.entry((top_from.clone(), top_to.clone())).or_insert_with(|| reference.clone());
        }
    }
    let is_folder = |top: &String| modules.keys().any(|m| m.len() > 1 && m.first() == Some(top));
    circles(&graph)
        .into_iter()
        .filter(|(_, component)| component.iter().any(is_folder))
        .map(|(circle, component)| {
            circle_violation("top-level folders in a circle", &circle, &component, &places)
        })
        .collect()
}

fn circle_violation(
    what: &str,
    circle: &[String],
    component: &BTreeSet<String>,
    places: &BTreeMap<(String, String), Reference>,
) -> Violation {
    let steps: Vec<&Reference> = circle
        .windows(2)
        .filter_map(|pair| places.get(&(pair[0].clone(), pair[1].clone())))
        .collect();
    let steps_said: Vec<String> = steps.iter().map(|step| step.to_string()).collect();
    let mut problem = format!("{what}: {} ({})", circle.join(" -> "), steps_said.join(", "));
    let others: Vec<&str> =
        component.iter().filter(|m| !circle.contains(m)).map(String::as_str).collect();
    if !others.is_empty() {
        problem.push_str(&format!("; also in the same tangle: {}", others.join(", ")));
    }
    let (path, line) =
        steps.first().map_or((String::new(), None), |s| (s.path.clone(), Some(s.line)));
    Violation { path, line, problem, advice: CIRCLE_ADVICE }
}

/// The layer of a module, by its top-level name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// Knows no HTTP; depends only on base.
    Base,
    /// Depends on base and http.
    Http,
    /// Any other top-level module or folder: depends on base, http and other capabilities.
    Capability,
    /// The crate root and `router`: may depend on anything.
    Top,
}

impl Layer {
    fn of(module: &[String]) -> Layer {
        match module.first().map(String::as_str) {
            None | Some("router") => Layer::Top,
            Some("base") => Layer::Base,
            Some("http") => Layer::Http,
            Some(_) => Layer::Capability,
        }
    }

    fn may_use(self, other: Layer) -> bool {
        match self {
            Layer::Top => true,
            Layer::Capability => other != Layer::Top,
            Layer::Http => matches!(other, Layer::Base | Layer::Http),
            Layer::Base => other == Layer::Base,
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Layer::Base => "base depends only on base",
            Layer::Http => "http depends only on base and http",
            Layer::Capability => {
                "a capability depends on base, http and other capabilities, never on router or the crate root"
            }
            Layer::Top => "the top may depend on anything",
        }
    }
}

fn describe(module: &[String]) -> String {
    match Layer::of(module) {
        Layer::Top if module.is_empty() => "the crate root".to_owned(),
        Layer::Top => format!("`{}` (the router)", module_name(module)),
        Layer::Base => format!("`{}` (base)", module_name(module)),
        Layer::Http => format!("`{}` (http)", module_name(module)),
        Layer::Capability => format!("`{}` (a capability)", module_name(module)),
    }
}

fn layering(edges: &BTreeMap<(Module, Module), Reference>) -> Vec<Violation> {
    edges
        .iter()
        .filter(|((from, to), _)| !Layer::of(from).may_use(Layer::of(to)))
        .map(|((from, to), reference)| Violation {
            path: reference.path.clone(),
            line: Some(reference.line),
            problem: format!(
                "{} uses `{}`, in {}: {}",
                describe(from),
                reference.written,
                describe(to),
                Layer::of(from).rule()
            ),
            advice: LAYER_ADVICE,
        })
        .collect()
}

/// References to a module named `api` (or to one inside it) from anywhere but router, the module that
/// declares it, and the api itself.
fn api_references(edges: &BTreeMap<(Module, Module), Reference>) -> Vec<Violation> {
    let mut violations = Vec::new();
    for ((from, to), reference) in edges {
        let Some(at) = to.iter().position(|part| part == "api") else { continue };
        let (declarer, api) = (&to[..at], &to[..=at]);
        let allowed = from.first().is_some_and(|top| top == "router")
            || from.as_slice() == declarer
            || from.starts_with(api);
        if !allowed {
            violations.push(Violation {
                path: reference.path.clone(),
                line: Some(reference.line),
                problem: format!(
                    "`{}` uses `{}`, the HTTP API `{}`, which only router refers to",
                    module_name(from),
                    reference.written,
                    module_name(api)
                ),
                advice: API_ADVICE,
            });
        }
    }
    violations
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// One circle for each strongly connected component with more than one node: the shortest circle
/// through the component's first node, which starts and ends the list, and the whole component.
fn circles(graph: &Graph) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let nodes: BTreeSet<&String> = graph.keys().chain(graph.values().flatten()).collect();
    let reach: BTreeMap<&String, BTreeSet<&String>> =
        nodes.iter().map(|node| (*node, reachable(graph, node))).collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    let mut found = Vec::new();
    for node in &nodes {
        if seen.contains(node) || !reach[node].contains(node) {
            continue;
        }
        let component: BTreeSet<String> = reach[node]
            .iter()
            .filter(|other| reach[*other].contains(node))
            .map(|other| (*other).clone())
            .collect();
        seen.extend(reach[node].iter().filter(|other| component.contains(**other)));
        if let Some(circle) = shortest_circle(graph, node, &component) {
            found.push((circle, component));
        }
    }
    found
}

/// The nodes reachable from `from` in one step or more.
fn reachable<'a>(graph: &'a Graph, from: &str) -> BTreeSet<&'a String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&String> = graph.get(from).into_iter().flatten().collect();
    while let Some(node) = todo.pop() {
        if seen.insert(node) {
            todo.extend(graph.get(node).into_iter().flatten());
        }
    }
    seen
}

/// The shortest circle from `start` back to it inside `component`, by breadth-first search.
fn shortest_circle(
    graph: &Graph,
    start: &str,
    component: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten().filter(|n| component.contains(*n)) {
            if next == start {
                let mut back = Vec::new();
                let mut at = node;
                while at != start {
                    back.push(at.to_owned());
                    at = parent.get(at)?;
                }
                let mut circle = vec![start.to_owned()];
                circle.extend(back.into_iter().rev());
                circle.push(start.to_owned());
                return Some(circle);
            }
            if !parent.contains_key(next.as_str()) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Every `crate::...` and `super::...` path in these lines of code, expanded out of groups
/// (`crate::{a, b::{c, self}}` is `crate::a`, `crate::b::c` and `crate::b`), with the line of its last
/// segment. `$crate`, `pub(crate)` and `pub(in crate::a)` are not references.
fn crate_paths(lines: &[Line]) -> Vec<(Vec<String>, usize)> {
    let tokens = tokens(lines);
    let mut paths = Vec::new();
    for (at, (token, _)) in tokens.iter().enumerate() {
        let starts_path = matches!(token, Token::Ident(word) if word == "crate" || word == "super")
            && matches!(tokens.get(at + 1), Some((Token::PathSep, _)))
            && !matches!(at.checked_sub(1).and_then(|i| tokens.get(i)), Some((Token::PathSep, _)))
            && !matches!(
                at.checked_sub(1).and_then(|i| tokens.get(i)),
                Some((Token::Ident(word), _)) if word == "in"
            );
        if starts_path {
            let mut position = at;
            read_path(&tokens, &mut position, Vec::new(), &mut paths);
        }
    }
    paths
}

/// Reads a path (or a `use` tree) at `*position`, after the segments in `prefix`.
fn read_path(
    tokens: &[(Token, usize)],
    position: &mut usize,
    prefix: Vec<String>,
    paths: &mut Vec<(Vec<String>, usize)>,
) {
    let mut segments = prefix;
    let mut line = tokens.get(*position).map_or(0, |(_, line)| *line);
    match tokens.get(*position) {
        Some((Token::Ident(word), at)) => {
            if word != "self" {
                segments.push(word.clone());
            }
            line = *at;
            *position += 1;
        }
        Some((Token::Open, _)) => return read_group(tokens, position, segments, paths),
        Some((Token::Star, _)) => {
            *position += 1;
            paths.push((segments, line));
            return;
        }
        _ => return,
    }
    while let (Some((Token::PathSep, _)), Some((next, at))) =
        (tokens.get(*position), tokens.get(*position + 1))
    {
        match next {
            Token::Ident(word) => {
                segments.push(word.clone());
                line = *at;
                *position += 2;
            }
            Token::Open => {
                *position += 1;
                return read_group(tokens, position, segments, paths);
            }
            Token::Star => {
                *position += 2;
                break;
            }
            _ => break,
        }
    }
    paths.push((segments, line));
}

/// Reads `{ tree, tree, ... }` at `*position`, each tree after `prefix`.
fn read_group(
    tokens: &[(Token, usize)],
    position: &mut usize,
    prefix: Vec<String>,
    paths: &mut Vec<(Vec<String>, usize)>,
) {
    *position += 1;
    while let Some((token, _)) = tokens.get(*position) {
        match token {
            Token::Close => {
                *position += 1;
                return;
            }
            Token::Comma => *position += 1,
            // `a as b`: the alias names nothing new.
            Token::Ident(word) if word == "as" => *position += 2,
            Token::Ident(_) | Token::Open | Token::Star => {
                let before = *position;
                read_path(tokens, position, prefix.clone(), paths);
                if *position == before {
                    *position += 1;
                }
            }
            _ => *position += 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A word: an identifier, a keyword, a number; `$crate` is one word.
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The tokens of these lines of code, each with its line number (from 1).
fn tokens(lines: &[Line]) -> Vec<(Token, usize)> {
    let mut tokens = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let mut chars = line.code.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                c if c.is_whitespace() => continue,
                c if is_ident_char(c) || c == '$' => {
                    let mut word = c.to_string();
                    while let Some(&next) = chars.peek().filter(|n| is_ident_char(**n)) {
                        word.push(next);
                        chars.next();
                    }
                    Token::Ident(word)
                }
                ':' if chars.peek() == Some(&':') => {
                    chars.next();
                    Token::PathSep
                }
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                '*' => Token::Star,
                _ => Token::Other,
            };
            tokens.push((token, index + 1));
        }
    }
    tokens
}

// The lexer.

/// One line of a Rust file: its code with every string, character and comment blanked to spaces
/// (so columns stay), and the text of the string literals on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Line {
    code: String,
    strings: Vec<String>,
}

/// A Rust file as the rules read it.
#[derive(Debug, Clone)]
struct Lexed {
    lines: Vec<Line>,
    /// The index of the first line of the test module (`#[cfg(test)]` and then a `mod`), which ends
    /// the file; the number of lines if there is none. The lines from there on are test code.
    test_tail: usize,
}

fn lex(text: &str) -> Lexed {
    let lines = Lexer::default().run(text);
    let test_tail = test_tail(&lines);
    Lexed { lines, test_tail }
}

/// Where the test module begins: a line `#[cfg(test)]`, followed (after other attributes and blank
/// lines) by a `mod`. A `#[cfg(test)]` on anything else (a `use`, a helper) does not end the file.
fn test_tail(lines: &[Line]) -> usize {
    let is_mod = |code: &str| {
        let code = code.trim_start();
        let code = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|visibility| code.strip_prefix(visibility))
            .unwrap_or(code);
        code.starts_with("mod ")
    };
    for (index, line) in lines.iter().enumerate() {
        let Some(rest) = line.code.trim().strip_prefix("#[cfg(test)]") else { continue };
        if is_mod(rest) {
            return index;
        }
        if !rest.trim().is_empty() {
            continue;
        }
        let next = lines[index + 1..]
            .iter()
            .map(|line| line.code.trim())
            .find(|code| !code.is_empty() && !code.starts_with("#["));
        if next.is_some_and(is_mod) {
            return index;
        }
    }
    lines.len()
}

#[derive(Debug, Default)]
struct Lexer {
    lines: Vec<Line>,
    current: Line,
    /// The string literal being read, on the current line.
    string: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Code,
    LineComment,
    BlockComment(usize),
    Str,
    RawStr(usize),
}

impl Lexer {
    fn run(mut self, text: &str) -> Vec<Line> {
        let chars: Vec<char> = text.chars().collect();
        let at = |i: usize| chars.get(i).copied();
        let mut state = State::Code;
        let mut i = 0;
        while let Some(c) = at(i) {
            let next = at(i + 1);
            match state {
                State::Code => {
                    let after_word = i > 0 && at(i - 1).is_some_and(is_ident_char);
                    if c == '/' && next == Some('/') {
                        state = State::LineComment;
                        continue;
                    } else if c == '/' && next == Some('*') {
                        self.blank_run(2);
                        i += 2;
                        state = State::BlockComment(1);
                        continue;
                    } else if c == '"' {
                        self.blank(c);
                        self.string = Some(String::new());
                        state = State::Str;
                    } else if let Some((length, hashes)) =
                        (!after_word).then(|| raw_string_start(&chars[i..])).flatten()
                    {
                        self.blank_run(length);
                        self.string = Some(String::new());
                        i += length;
                        state = State::RawStr(hashes);
                        continue;
                    } else if c == '\'' {
                        let length = char_literal_length(&chars[i..]);
                        if length == 0 {
                            self.current.code.push(c); // a lifetime or a label
                        } else {
                            for &c in &chars[i..i + length] {
                                self.blank(c);
                            }
                            i += length;
                            continue;
                        }
                    } else if c == '\n' {
                        self.newline();
                    } else {
                        self.current.code.push(c);
                    }
                }
                State::LineComment => {
                    if c == '\n' {
                        self.newline();
                        state = State::Code;
                    } else {
                        self.blank(c);
                    }
                }
                State::BlockComment(depth) => {
                    if c == '/' && next == Some('*') {
                        self.blank_run(2);
                        i += 2;
                        state = State::BlockComment(depth + 1);
                        continue;
                    } else if c == '*' && next == Some('/') {
                        self.blank_run(2);
                        i += 2;
                        state =
                            if depth == 1 { State::Code } else { State::BlockComment(depth - 1) };
                        continue;
                    }
                    self.blank(c);
                }
                State::Str => {
                    if c == '\\' {
                        self.string_char(c);
                        if let Some(escaped) = next {
                            self.string_char(escaped);
                        }
                        i += 2;
                        continue;
                    } else if c == '"' {
                        self.blank(c);
                        self.end_string();
                        state = State::Code;
                    } else {
                        self.string_char(c);
                    }
                }
                State::RawStr(hashes) => {
                    let closes = c == '"' && (1..=hashes).all(|k| at(i + k) == Some('#'));
                    if closes {
                        self.blank_run(hashes + 1);
                        self.end_string();
                        i += hashes + 1;
                        state = State::Code;
                        continue;
                    }
                    self.string_char(c);
                }
            }
            i += 1;
        }
        self.end_string();
        self.lines.push(self.current);
        self.lines
    }

    fn newline(&mut self) {
        let open = self.string.take();
        if let Some(text) = open.as_ref().filter(|text| !text.is_empty()) {
            self.current.strings.push(text.clone());
        }
        self.lines.push(std::mem::take(&mut self.current));
        // A string that goes on past the end of a line goes on in the next.
        self.string = open.map(|_| String::new());
    }

    fn blank(&mut self, c: char) {
        if c == '\n' {
            self.newline();
        } else {
            self.current.code.push(' ');
        }
    }

    fn blank_run(&mut self, length: usize) {
        for _ in 0..length {
            self.current.code.push(' ');
        }
    }

    fn string_char(&mut self, c: char) {
        if c == '\n' {
            self.newline();
        } else {
            self.current.code.push(' ');
            if let Some(text) = self.string.as_mut() {
                text.push(c);
            }
        }
    }

    fn end_string(&mut self) {
        if let Some(text) = self.string.take().filter(|text| !text.is_empty()) {
            self.current.strings.push(text);
        }
    }
}

/// At `r"`, `r#"`, `br"`, `cr##"` and the like: how many characters open the raw string, and how
/// many `#` close it.
fn raw_string_start(chars: &[char]) -> Option<(usize, usize)> {
    let r = match chars {
        ['r', ..] => 1,
        ['b' | 'c', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = chars[r..].iter().take_while(|c| **c == '#').count();
    (chars.get(r + hashes) == Some(&'"')).then_some((r + hashes + 1, hashes))
}

/// At a `'`: the length of the character literal that starts here (`'x'`, `'"'`, `'\n'`,
/// `'\u{1F600}'`), or 0 for a lifetime or a label (`'a`, `'outer:`).
fn char_literal_length(chars: &[char]) -> usize {
    match chars {
        ['\'', '\\', _, rest @ ..] => {
            rest.iter().position(|c| *c == '\'').map_or(0, |close| close + 4)
        }
        ['\'', c, '\'', ..] if *c != '\'' => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile { path: path.to_owned(), text: text.to_owned() }
    }

    /// The violations of the rule named `rule` over these files, as `path:line: problem` lines.
    fn check(rule: &str, files: &[SourceFile]) -> Vec<String> {
        let outcome = check_files(files).into_iter().find(|o| o.rule == rule);
        let outcome = outcome.unwrap_or_else(|| panic!("no rule {rule}"));
        outcome.violations.iter().map(ToString::to_string).collect()
    }

    const SQL: &str = "SQL only in store modules";
    const PANICS: &str = "no panics outside tests";
    const DOC: &str = "every source file opens with a //! paragraph";
    const LAYERS: &str = "the edge's modules form layers with no circle";

    #[test]
    fn the_lexer_tells_code_from_strings_and_comments() {
        let lexed = lex(concat!(
            "let a = \"one \\\" two\"; // .unwrap()\n",
            "let b = '\"'; let c: &'static str = r#\"raw \"quoted\"\n",
            "second line\"#; /* a /* nested */ comment */ x.unwrap();\n",
            "let d = '\\''; let e = b\"bytes\"; 'outer: loop {}\n",
        ));
        let codes: Vec<&str> = lexed.lines.iter().map(|l| l.code.trim_end()).collect();
        assert_eq!(
            codes,
            [
                "let a =             ;",
                "let b =    ; let c: &'static str =",
                "             ;                              x.unwrap();",
                "let d =     ; let e = b       ; 'outer: loop {}",
                "",
            ]
        );
        let strings: Vec<Vec<String>> = lexed.lines.iter().map(|l| l.strings.clone()).collect();
        assert_eq!(
            strings,
            [
                vec!["one \\\" two".to_owned()],
                vec!["raw \"quoted\"".to_owned()],
                vec!["second line".to_owned()],
                vec!["bytes".to_owned()],
                vec![],
            ]
        );
        // Every line keeps its length, so columns stay.
        assert_eq!(
            lexed.lines[0].code.chars().count(),
            "let a = \"one \\\" two\"; // .unwrap()".chars().count()
        );
    }

    #[test]
    fn the_test_tail_is_a_cfg_test_mod() {
        let text = "#[cfg(test)]\nuse x::y;\nfn a() {}\n#[cfg(test)]\n#[allow(clippy::panic)]\nmod tests {\n}\n";
        assert_eq!(lex(text).test_tail, 3);
        assert_eq!(lex("fn a() {}\n#[cfg(test)] mod tests;\n").test_tail, 1);
        assert_eq!(lex("fn a() {}\n").test_tail, 2);
    }

    #[test]
    fn sql_outside_a_store_module_is_caught() {
        let text = concat!(
            "//! Handlers.\n",
            "fn a(db: &D1) { db.prepare(QUERY); }\n",
            "const QUERY: &str = \"SELECT id FROM forms\";\n",
            "const Q2: &str = \"UPDATE forms\" ; const Q3: &str = \" SET x = 1\";\n",
            "fn b(db: &D1) { db.batch(statements) }\n",
            "const Q4: &str = \"INSERT INTO leads\nVALUES (1)\";\n",
            "const Q5: &str = r#\"DELETE FROM leads\"#;\n",
        );
        assert_eq!(
            check(SQL, &[file("edge/src/forms/api.rs", text)]),
            [
                "edge/src/forms/api.rs:2: SQL outside a store module: a `.prepare(` call",
                "edge/src/forms/api.rs:3: SQL outside a store module: a string with `SELECT `",
                "edge/src/forms/api.rs:4: SQL outside a store module: a string with `UPDATE ... SET`",
                "edge/src/forms/api.rs:5: SQL outside a store module: a `.batch(` call",
                "edge/src/forms/api.rs:6: SQL outside a store module: a string with `INSERT INTO`",
                "edge/src/forms/api.rs:8: SQL outside a store module: a string with `DELETE FROM`",
            ]
        );
        // The same text in a store module, outside edge/src, or in words that are not SQL.
        let clean = [
            file("edge/src/forms/store.rs", text),
            file("edge/src/store/forwarding.rs", text),
            file("edge/src/forms/store/queries.rs", text),
            file("edge/tests/api/helpers.rs", text),
            file("xtask/src/stack.rs", text),
            file(
                "edge/src/app.rs",
                concat!(
                    "//! No SQL here.\n",
                    "// SELECT in a comment, and db.prepare( in one\n",
                    "const A: &str = \"UPDATE your settings\";\n",
                    "const B: &str = \"Select a service\"; fn c() { batch(x); prepare(y); }\n",
                ),
            ),
        ];
        assert_eq!(check(SQL, &clean), Vec::<String>::new());
    }

    #[test]
    fn a_panic_outside_tests_is_caught() {
        let text = concat!(
            "//! Rules.\n",
            "fn a() { x.unwrap(); y.expect(\"present\"); }\n",
            "fn b() { panic!(\"no\"); unreachable!() }\n",
            "fn c() { todo!(); std::unimplemented![]; }\n",
            "fn d() { x.unwrap_or(1); x.unwrap_or_default(); x.unwrap_or_else(f); r.expect_err(\"e\"); }\n",
            "/// Never `.unwrap()` here: panic!(\"at the disco\")\n",
            "// x.expect(\"commented out\")\n",
            "fn e() { log(\"do not .unwrap() or panic!()\"); dont_panic!(); }\n",
            "#[cfg(test)]\n",
            "mod tests {\n",
            "    fn f() { x.unwrap(); panic!(); }\n",
            "}\n",
        );
        let expected = [
            "widget/src/state.rs:2: `.unwrap()` outside a test",
            "widget/src/state.rs:2: `.expect(` outside a test",
            "widget/src/state.rs:3: `panic!` outside a test",
            "widget/src/state.rs:3: `unreachable!` outside a test",
            "widget/src/state.rs:4: `todo!` outside a test",
            "widget/src/state.rs:4: `unimplemented!` outside a test",
        ];
        assert_eq!(check(PANICS, &[file("widget/src/state.rs", text)]), expected);
        assert_eq!(check(PANICS, &[file("edge/src/forms/model.rs", text)]).len(), 6);
        assert_eq!(check(PANICS, &[file("shared/src/email.rs", text)]).len(), 6);
        let exempt = [
            file("xtask/src/main.rs", text),
            file("edge/tests/api/helpers.rs", text),
            file("shared/src/tests/table.rs", text),
            file("shared/fuzz/fuzz_targets/parse_submission.rs", text),
        ];
        assert_eq!(check(PANICS, &exempt), Vec::<String>::new());
    }

    #[test]
    fn a_file_without_a_doc_paragraph_is_caught() {
        let files = [
            file("xtask/src/a.rs", "//! What lives here.\nfn a() {}\n"),
            file("edge/tests/api/b.rs", "use x;\n//! Too late.\n"),
            file("shared/fuzz/fuzz_targets/c.rs", "#![no_main]\n"),
            file("widget/src/d.rs", ""),
            file("edge/src/e.rs", "/// An item's doc is not the file's.\nfn e() {}\n"),
        ];
        assert_eq!(
            check(DOC, &files),
            [
                "edge/tests/api/b.rs:1: the first line is not a `//!` comment",
                "shared/fuzz/fuzz_targets/c.rs:1: the first line is not a `//!` comment",
                "widget/src/d.rs:1: the first line is not a `//!` comment",
                "edge/src/e.rs:1: the first line is not a `//!` comment",
            ]
        );
    }

    /// An edge laid out as intended: base, http, two capabilities with a store, a model and an api,
    /// and the router above them.
    fn layered_edge() -> Vec<SourceFile> {
        vec![
            file("edge/src/lib.rs", "//! Root.\nmod router;\npub use router::handle;\n"),
            file(
                "edge/src/router.rs",
                "//! Router.\nuse crate::{forms::api, leads::api as leads_api};\nuse crate::http::Reply;\n",
            ),
            file("edge/src/base/mod.rs", "//! Base.\npub mod ids;\npub mod clock;\n"),
            file("edge/src/base/ids.rs", "//! Ids.\nuse super::clock::now;\n"),
            file("edge/src/base/clock.rs", "//! Clock.\n"),
            file("edge/src/http/mod.rs", "//! HTTP.\nuse crate::base::ids;\n"),
            file(
                "edge/src/forms/mod.rs",
                "//! Forms.\npub mod api;\npub mod model;\npub mod store;\npub use crate::forms::api::routes;\n",
            ),
            file(
                "edge/src/forms/api.rs",
                "//! Forms API.\nuse super::{model::Form, store};\nuse crate::http::{self, Reply};\n",
            ),
            file("edge/src/forms/model.rs", "//! Form model.\nuse crate::base::ids::FormId;\n"),
            file("edge/src/forms/store.rs", "//! Forms store.\nuse super::model::Form;\n"),
            file("edge/src/leads/mod.rs", "//! Leads.\npub mod api;\npub mod model;\n"),
            file(
                "edge/src/leads/api.rs",
                "//! Leads API.\nuse crate::forms::{model::Form, store as forms};\n",
            ),
            file(
                "edge/src/leads/model.rs",
                "//! Lead model.\nuse crate::forms::model::Form;\n#[cfg(test)]\nmod tests {\n    use crate::router;\n    use crate::forms::api;\n}\n",
            ),
        ]
    }

    #[test]
    fn a_layered_edge_passes() {
        assert_eq!(check(LAYERS, &layered_edge()), Vec::<String>::new());
    }

    #[test]
    fn paths_are_read_out_of_groups_and_resolved_to_modules() {
        let code = "use crate::{a, b::{c, self, d as e}, f::*};\nfn x() { crate::g::h::i(); super::super::j::K; $crate::no; }\npub(crate) fn y() {}\npub(in crate::z) fn w() {}\n";
        let lexed = lex(code);
        let paths: Vec<(String, usize)> =
            crate_paths(&lexed.lines).into_iter().map(|(p, line)| (p.join("::"), line)).collect();
        let expected = [
            ("crate::a", 1),
            ("crate::b::c", 1),
            ("crate::b", 1),
            ("crate::b::d", 1),
            ("crate::f", 1),
            ("crate::g::h::i", 2),
            ("super::super::j::K", 2),
        ];
        assert_eq!(paths, expected.map(|(p, l)| (p.to_owned(), l)));
        let module = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            absolute_path(&module("a::b::c"), &module("super::super::j::K")),
            Some(module("a::j::K"))
        );
        assert_eq!(absolute_path(&module("a"), &module("super::super::x")), None);
        assert_eq!(edge_module("edge/src/lib.rs"), Some(Vec::new()));
        assert_eq!(edge_module("edge/src/forms/mod.rs"), Some(module("forms")));
        assert_eq!(edge_module("edge/src/forms/api.rs"), Some(module("forms::api")));
        assert_eq!(edge_module("edge/src/router.rs"), Some(module("router")));
        assert_eq!(edge_module("edge/tests/api/main.rs"), None);
    }

    #[test]
    fn a_circle_among_modules_is_caught_once_per_tangle() {
        // Today's flat edge: app, admin and deliver use each other.
        let files = [
            file("edge/src/lib.rs", "//! Root.\nmod app;\n"),
            file(
                "edge/src/app.rs",
                "//! App.\nuse crate::deliver::{self, Message};\nuse crate::{admin, ids};\n",
            ),
            file(
                "edge/src/admin.rs",
                "//! Admin.\nuse crate::app::{\n    setting,\n};\nuse crate::deliver;\n",
            ),
            file(
                "edge/src/deliver.rs",
                "//! Deliver.\nuse crate::ids::new;\nfn f() { crate::app::random(); }\n",
            ),
            file("edge/src/ids.rs", "//! Ids.\n"),
        ];
        assert_eq!(
            check(LAYERS, &files),
            [
                "edge/src/admin.rs:3: modules in a circle: admin -> app -> admin (admin uses `crate::app::setting` at edge/src/admin.rs:3, app uses `crate::admin` at edge/src/app.rs:3); also in the same tangle: deliver"
            ]
        );
    }

    #[test]
    fn a_circle_among_folders_is_caught() {
        let mut files = layered_edge();
        // forms::lead_count uses leads::model, and leads::api already uses forms: no module circle, but a
        // folder circle.
        files.push(file(
            "edge/src/forms/lead_count.rs",
            "//! Counts.\nuse crate::leads::model::Lead;\n",
        ));
        assert_eq!(
            check(LAYERS, &files),
            [
                "edge/src/forms/lead_count.rs:2: top-level folders in a circle: forms -> leads -> forms (forms::lead_count uses `crate::leads::model::Lead` at edge/src/forms/lead_count.rs:2, leads::api uses `crate::forms::model::Form` at edge/src/leads/api.rs:2)"
            ]
        );
    }

    #[test]
    fn a_dependency_up_the_layers_is_caught() {
        let mut files = layered_edge();
        files.push(file(
            "edge/src/base/time.rs",
            "//! Time.\nuse crate::http::Reply;\nuse crate::forms::model;\n",
        ));
        files.push(file(
            "edge/src/http/cors.rs",
            "//! CORS.\nfn f() { crate::forms::model::Form::new(); }\n",
        ));
        files.push(file(
            "edge/src/leads/store.rs",
            "//! Leads store.\nuse crate::router::Route;\nconst X: &str = crate::OPENAPI;\n",
        ));
        assert_eq!(
            check(LAYERS, &files),
            [
                // Each dependency up the layers also closes a circle among the top-level folders.
                "edge/src/base/time.rs:3: top-level folders in a circle: base -> forms -> base (base::time uses `crate::forms::model` at edge/src/base/time.rs:3, forms::model uses `crate::base::ids::FormId` at edge/src/forms/model.rs:2); also in the same tangle: http",
                "edge/src/leads/store.rs:2: top-level folders in a circle: leads -> router -> leads (leads::store uses `crate::router::Route` at edge/src/leads/store.rs:2, router uses `crate::leads::api` at edge/src/router.rs:2)",
                "edge/src/base/time.rs:3: `base::time` (base) uses `crate::forms::model`, in `forms::model` (a capability): base depends only on base",
                "edge/src/base/time.rs:2: `base::time` (base) uses `crate::http::Reply`, in `http` (http): base depends only on base",
                "edge/src/http/cors.rs:2: `http::cors` (http) uses `crate::forms::model::Form::new`, in `forms::model` (a capability): http depends only on base and http",
                "edge/src/leads/store.rs:3: `leads::store` (a capability) uses `crate::OPENAPI`, in the crate root: a capability depends on base, http and other capabilities, never on router or the crate root",
                "edge/src/leads/store.rs:2: `leads::store` (a capability) uses `crate::router::Route`, in `router` (the router): a capability depends on base, http and other capabilities, never on router or the crate root",
            ]
        );
    }

    #[test]
    fn an_api_used_outside_router_is_caught() {
        let mut files = layered_edge();
        files.push(file(
            "edge/src/leads/store.rs",
            "//! Leads store.\nuse crate::forms::api::routes;\n",
        ));
        files.push(file("edge/src/forms/queue.rs", "//! Forms queue.\nuse super::api;\n"));
        assert_eq!(
            check(LAYERS, &files),
            [
                "edge/src/forms/queue.rs:2: `forms::queue` uses `super::api`, the HTTP API `forms::api`, which only router refers to",
                "edge/src/leads/store.rs:2: `leads::store` uses `crate::forms::api::routes`, the HTTP API `forms::api`, which only router refers to",
            ]
        );
    }

    #[test]
    fn the_report_lists_each_violation_and_each_fix_once() {
        let outcomes =
            check_files(&[file("edge/src/app.rs", "fn a() { x.unwrap(); y.unwrap(); }\n")]);
        let report: String = outcomes.iter().map(Outcome::report).collect();
        assert_eq!(
            report,
            format!(
                "tidy: SQL only in store modules: ok\n\
                 tidy: no panics outside tests: 1 violation(s)\n  \
                 edge/src/app.rs:1: `.unwrap()` outside a test\n  fix: {PANIC_ADVICE}\n\
                 tidy: every source file opens with a //! paragraph: 1 violation(s)\n  \
                 edge/src/app.rs:1: the first line is not a `//!` comment\n  fix: {DOC_ADVICE}\n\
                 tidy: the edge's modules form layers with no circle: ok\n"
            )
        );
    }

    /// `check` reads what git lists: tracked and untracked files, never ignored ones.
    #[test]
    fn check_reads_the_files_git_lists() {
        let dir = crate::root().join("target").join(format!("tidy-fixture-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(".gitignore", "/target\n");
        write("edge/src/lib.rs", "//! Root.\n");
        write("edge/src/app.rs", "fn a() { x.unwrap(); }\n");
        write("target/debug/build/out.rs", "fn generated() { x.unwrap(); }\n");
        let git =
            |args: &[&str]| Command::new("git").args(args).current_dir(&dir).output().unwrap();
        assert!(git(&["init", "--quiet"]).status.success());
        assert!(git(&["add", "edge/src/lib.rs"]).status.success());
        write("edge/src/lib.rs", "//! Root, changed in the working tree.\nfn b() { todo!() }\n");

        let outcomes = super::check(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let violations: Vec<String> =
            outcomes.iter().flat_map(|o| o.violations.iter().map(ToString::to_string)).collect();
        assert_eq!(
            violations,
            [
                "edge/src/app.rs:1: `.unwrap()` outside a test",
                "edge/src/lib.rs:2: `todo!` outside a test",
                "edge/src/app.rs:1: the first line is not a `//!` comment",
            ]
        );
    }
}
