//! Keeps the docs honest.
//!
//! - Every route the code declares (`.route("PATH", get(..).post(..))`
//!   anywhere under `server/src`, with the prefix of the `.nest(..)` it sits
//!   under) is listed in `docs/API.md` as `` `METHOD /full/path` ``.
//! - `server::config::VARIABLES`, the README's configuration table and
//!   `.env.example` name the same variables, and every variable
//!   `Config::from_lookup` asks for is among them.
//!
//! The route scanner reads the source text (comments and string contents
//! blanked out, so neither can fake a route); it understands the forms the
//! code uses: `.route("/p", get(h))`, chained `get(a).post(b)`,
//! `on(MethodFilter::PUT, h)` and routers nested with
//! `.nest("/api", x)` where `x` is a local `let`, a function of the same file,
//! or `module::router()`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use server::config::{Config, VARIABLES};

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root() -> PathBuf {
    server_dir().parent().expect("the server crate sits in the workspace").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("list {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

// ---------------------------------------------------------------------------
// A tiny Rust lexer: blanks comments and string contents
// ---------------------------------------------------------------------------

/// One source file, ready for scanning.
struct Source {
    path: PathBuf,
    /// Path relative to the server crate, for messages.
    rel: String,
    /// The text with comments and the insides of string/char literals
    /// replaced by spaces (newlines kept, so offsets and lines match).
    code: Vec<u8>,
    /// Offset of each string literal's opening quote → its raw contents.
    strings: BTreeMap<usize, String>,
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn blank(code: &mut [u8], from: usize, to: usize) {
    let to = to.min(code.len());
    for byte in &mut code[from..to] {
        if *byte != b'\n' {
            *byte = b' ';
        }
    }
}

impl Source {
    fn load(path: &Path) -> Source {
        let text = read(path);
        let (code, strings) = lex(&text);
        let rel = path.strip_prefix(server_dir()).unwrap_or(path).display().to_string();
        Source { path: path.to_path_buf(), rel, code, strings }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.code[..offset.min(self.code.len())].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn at(&self, offset: usize) -> u8 {
        self.code.get(offset).copied().unwrap_or(0)
    }

    fn skip_ws(&self, mut offset: usize) -> usize {
        while offset < self.code.len() && self.code[offset].is_ascii_whitespace() {
            offset += 1;
        }
        offset
    }

    fn ident_end(&self, mut offset: usize) -> usize {
        while offset < self.code.len() && is_ident(self.code[offset]) {
            offset += 1;
        }
        offset
    }

    fn text(&self, from: usize, to: usize) -> &str {
        std::str::from_utf8(&self.code[from..to]).unwrap_or("")
    }

    /// Every offset where `needle` starts (outside comments and strings).
    fn find_all(&self, needle: &str) -> Vec<usize> {
        let needle = needle.as_bytes();
        if self.code.len() < needle.len() {
            return Vec::new();
        }
        (0..=self.code.len() - needle.len()).filter(|&i| &self.code[i..i + needle.len()] == needle).collect()
    }

    /// The string literal starting at `offset` (after whitespace): its
    /// contents and the offset just past its closing quote.
    fn string_at(&self, offset: usize) -> Option<(String, usize)> {
        let start = self.skip_ws(offset);
        let contents = self.strings.get(&start)?.clone();
        // String interiors are blanked, so the next quote closes it.
        let close = (start + 1..self.code.len()).find(|&i| self.code[i] == b'"')?;
        Some((contents, close + 1))
    }

    /// Given the offset just inside an opening bracket, the offset of the
    /// matching closing bracket.
    fn matching_close(&self, mut offset: usize) -> usize {
        let mut depth = 0i32;
        while offset < self.code.len() {
            match self.code[offset] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        return offset;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            offset += 1;
        }
        offset
    }

    /// The end of the current argument: a `,` or a closing bracket at depth 0.
    fn argument_end(&self, mut offset: usize) -> usize {
        let mut depth = 0i32;
        while offset < self.code.len() {
            match self.code[offset] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        return offset;
                    }
                    depth -= 1;
                }
                b',' if depth == 0 => return offset,
                _ => {}
            }
            offset += 1;
        }
        offset
    }

    /// The end (exclusive) of the statement starting at `offset`: the first
    /// `;` at bracket depth 0.
    fn statement_end(&self, mut offset: usize) -> usize {
        let mut depth = 0i32;
        while offset < self.code.len() {
            match self.code[offset] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth < 0 {
                        return offset;
                    }
                }
                b';' if depth == 0 => return offset + 1,
                _ => {}
            }
            offset += 1;
        }
        offset
    }
}

/// Blanks comments and literal contents; records string literals.
fn lex(text: &str) -> (Vec<u8>, BTreeMap<usize, String>) {
    let src = text.as_bytes();
    let n = src.len();
    let mut code = src.to_vec();
    let mut strings = BTreeMap::new();
    let mut i = 0;
    while i < n {
        let byte = src[i];
        let prev_is_ident = i > 0 && is_ident(src[i - 1]);
        // Line comment.
        if byte == b'/' && src.get(i + 1) == Some(&b'/') {
            let end = src[i..].iter().position(|&b| b == b'\n').map_or(n, |p| i + p);
            blank(&mut code, i, end);
            i = end;
            continue;
        }
        // Block comment (nested).
        if byte == b'/' && src.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            let mut j = i;
            while j < n {
                if src[j] == b'/' && src.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if src[j] == b'*' && src.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut code, i, j);
            i = j;
            continue;
        }
        // Raw string: r"…", r#"…"#, br"…".
        if !prev_is_ident && (byte == b'r' || (byte == b'b' && src.get(i + 1) == Some(&b'r'))) {
            let mut j = if byte == b'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while src.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if src.get(j) == Some(&b'"') {
                let open = j;
                let mut k = open + 1;
                let close = loop {
                    if k >= n {
                        break n;
                    }
                    if src[k] == b'"' && src[k + 1..].iter().take(hashes).filter(|&&b| b == b'#').count() == hashes {
                        break k;
                    }
                    k += 1;
                };
                strings.insert(open, String::from_utf8_lossy(&src[open + 1..close.min(n)]).into_owned());
                blank(&mut code, open + 1, close);
                i = (close + 1 + hashes).min(n);
                continue;
            }
        }
        // Ordinary (or byte) string.
        if byte == b'"' {
            let mut j = i + 1;
            while j < n && src[j] != b'"' {
                j += if src[j] == b'\\' { 2 } else { 1 };
            }
            let close = j.min(n);
            strings.insert(i, String::from_utf8_lossy(&src[i + 1..close]).into_owned());
            blank(&mut code, i + 1, close);
            i = close + 1;
            continue;
        }
        // Char literal (or a lifetime, which is left alone).
        if byte == b'\'' {
            if src.get(i + 1) == Some(&b'\\') {
                let close = src[i + 2..].iter().position(|&b| b == b'\'').map_or(n, |p| i + 2 + p);
                blank(&mut code, i + 1, close);
                i = close + 1;
                continue;
            }
            // `i` is at an ASCII quote, so `i + 1` is a char boundary.
            if let Some(c) = text.get(i + 1..).and_then(|rest| rest.chars().next()) {
                let len = c.len_utf8();
                if src.get(i + 1 + len) == Some(&b'\'') {
                    blank(&mut code, i + 1, i + 1 + len);
                    i += 2 + len;
                    continue;
                }
            }
        }
        i += 1;
    }
    (code, strings)
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Route {
    method: String,
    /// The path as written in `.route(..)`, before any nest prefix.
    path: String,
    file: PathBuf,
    offset: usize,
    at: String,
}

fn method_name(function: &str) -> Option<&'static str> {
    let base = function.strip_suffix("_service").unwrap_or(function);
    Some(match base {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "delete" => "DELETE",
        "patch" => "PATCH",
        "head" => "HEAD",
        "options" => "OPTIONS",
        "trace" => "TRACE",
        "connect" => "CONNECT",
        _ => return None,
    })
}

/// Every `.route(..)` of one file; problems go to `errors`.
fn routes_in(source: &Source, errors: &mut Vec<String>) -> Vec<Route> {
    let mut routes = Vec::new();
    for call in source.find_all(".route(") {
        let at = format!("{}:{}", source.rel, source.line_of(call));
        let args = call + ".route(".len();
        let Some((path, after_path)) = source.string_at(args) else {
            errors.push(format!("{at}: the route's path is not a string literal; the docs test cannot read it"));
            continue;
        };
        let comma = source.skip_ws(after_path);
        if source.at(comma) != b',' {
            errors.push(format!("{at}: could not read the route `{path}`"));
            continue;
        }
        let mut methods = Vec::new();
        let mut depth = 0i32;
        let mut j = comma + 1;
        while j < source.code.len() {
            let byte = source.code[j];
            match byte {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                b',' if depth == 0 => break,
                _ if depth == 0 && is_ident(byte) && !is_ident(source.at(j.wrapping_sub(1))) => {
                    let end = source.ident_end(j);
                    let name = source.text(j, end).to_owned();
                    let open = source.skip_ws(end);
                    if source.at(open) == b'(' {
                        if name == "on" {
                            // on(MethodFilter::GET.or(MethodFilter::POST), handler)
                            let filter_end = source.argument_end(open + 1);
                            let filter = source.text(open + 1, filter_end);
                            for part in filter.split("MethodFilter::").skip(1) {
                                let word: String = part.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                                methods.push(word.to_ascii_uppercase());
                            }
                        } else if let Some(method) = method_name(&name) {
                            methods.push(method.to_owned());
                        }
                    }
                    j = end;
                    continue;
                }
                _ => {}
            }
            j += 1;
        }
        if methods.is_empty() {
            errors.push(format!("{at}: could not tell the HTTP method(s) of the route `{path}`"));
        }
        for method in methods {
            routes.push(Route { method, path: path.clone(), file: source.path.clone(), offset: call, at: at.clone() });
        }
    }
    routes
}

/// A `.nest(prefix, router)`: the spans of this file and the module files
/// whose routes get the prefix.
struct Nest {
    prefix: String,
    file: PathBuf,
    spans: Vec<(usize, usize)>,
    module_files: BTreeSet<PathBuf>,
}

/// The directory holding the child modules of `file`.
fn module_dir(file: &Path) -> PathBuf {
    let parent = file.parent().expect("a source file has a directory").to_path_buf();
    match file.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => parent,
        _ => parent.join(file.file_stem().expect("a file stem")),
    }
}

/// The file of module `name` as seen from `file` (a child module), else a
/// unique `name.rs` / `name/mod.rs` anywhere under `src`.
fn resolve_module(file: &Path, name: &str, all: &[PathBuf]) -> Option<PathBuf> {
    let dir = module_dir(file);
    for candidate in [dir.join(format!("{name}.rs")), dir.join(name).join("mod.rs")] {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let matches: Vec<&PathBuf> = all
        .iter()
        .filter(|p| {
            p.file_stem().is_some_and(|s| s == name)
                || (p.file_name().is_some_and(|f| f == "mod.rs")
                    && p.parent().and_then(|d| d.file_name()).is_some_and(|d| d == name))
        })
        .collect();
    if matches.len() == 1 { Some(matches[0].clone()) } else { None }
}

/// Within `span`: modules called as `module::function(`, and bare
/// identifiers (candidates for a local `let` or `fn`).
fn references(source: &Source, (from, to): (usize, usize)) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut modules = BTreeSet::new();
    let mut bare = BTreeSet::new();
    let mut path: Vec<String> = Vec::new();
    let mut j = from;
    while j < to {
        let byte = source.code[j];
        if is_ident(byte) && !byte.is_ascii_digit() && !is_ident(source.at(j.wrapping_sub(1))) {
            let end = source.ident_end(j);
            let name = source.text(j, end).to_owned();
            let preceded_by_dot = {
                let mut k = j;
                while k > 0 && source.code[k - 1].is_ascii_whitespace() {
                    k -= 1;
                }
                let range = k > 1 && source.code[k - 2] == b'.';
                k > 0 && source.code[k - 1] == b'.' && !range
            };
            let next = source.skip_ws(end);
            if source.at(next) == b':' && source.at(next + 1) == b':' {
                path.push(name);
                j = next + 2;
                continue;
            }
            if !path.is_empty() {
                if source.at(next) == b'(' {
                    modules.insert(path.last().expect("a path segment").clone());
                }
                path.clear();
            } else if !preceded_by_dot {
                bare.insert(name);
            }
            j = end;
            continue;
        }
        if !byte.is_ascii_whitespace() {
            path.clear();
        }
        j += 1;
    }
    (modules, bare)
}

/// The spans of `let NAME …;` statements and the body of `fn NAME`.
fn local_definitions(source: &Source, name: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for keyword in ["let ", "let mut ", "fn "] {
        for at in source.find_all(&format!("{keyword}{name}")) {
            if at > 0 && is_ident(source.code[at - 1]) {
                continue;
            }
            let after = at + keyword.len() + name.len();
            if is_ident(source.at(after)) {
                continue;
            }
            if keyword == "fn " {
                let Some(open) = (after..source.code.len()).find(|&i| source.code[i] == b'{') else { continue };
                spans.push((open, source.matching_close(open + 1)));
            } else {
                spans.push((at, source.statement_end(after)));
            }
        }
    }
    spans
}

fn nests_in(source: &Source, all: &[PathBuf], errors: &mut Vec<String>) -> Vec<Nest> {
    let mut nests = Vec::new();
    for call in source.find_all(".nest(") {
        let at = format!("{}:{}", source.rel, source.line_of(call));
        let Some((prefix, after_prefix)) = source.string_at(call + ".nest(".len()) else {
            errors.push(format!("{at}: the nest prefix is not a string literal"));
            continue;
        };
        let comma = source.skip_ws(after_prefix);
        if source.at(comma) != b',' {
            errors.push(format!("{at}: could not read the nest `{prefix}`"));
            continue;
        }
        let argument = (comma + 1, source.argument_end(comma + 1));
        let mut spans = vec![argument];
        let mut module_files = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut queue = vec![argument];
        while let Some(span) = queue.pop() {
            let (modules, bare) = references(source, span);
            for module in modules {
                if let Some(file) = resolve_module(&source.path, &module, all) {
                    module_files.insert(file);
                }
            }
            for name in bare {
                if !seen.insert(name.clone()) {
                    continue;
                }
                for definition in local_definitions(source, &name) {
                    spans.push(definition);
                    queue.push(definition);
                }
            }
        }
        nests.push(Nest { prefix, file: source.path.clone(), spans, module_files });
    }
    nests
}

/// Every route the server declares, as `(METHOD, full path, where)`.
fn declared_routes() -> (Vec<(String, String, String)>, Vec<String>) {
    let mut files = Vec::new();
    rust_files(&server_dir().join("src"), &mut files);
    let sources: Vec<Source> = files.iter().map(PathBuf::as_path).map(Source::load).collect();
    let mut errors = Vec::new();
    let routes: Vec<Route> = sources.iter().flat_map(|s| routes_in(s, &mut errors)).collect();
    let nests: Vec<Nest> = sources.iter().flat_map(|s| nests_in(s, &files, &mut errors)).collect();

    let mut full = Vec::new();
    for route in routes {
        let prefix: String = nests
            .iter()
            .filter(|nest| {
                nest.module_files.contains(&route.file)
                    || (nest.file == route.file
                        && nest.spans.iter().any(|&(from, to)| (from..to).contains(&route.offset)))
            })
            .map(|nest| nest.prefix.trim_end_matches('/').to_owned())
            .collect::<Vec<_>>()
            .join("");
        let path =
            if route.path == "/" && !prefix.is_empty() { prefix.clone() } else { format!("{prefix}{}", route.path) };
        full.push((route.method, path, route.at));
    }
    full.sort();
    full.dedup();
    (full, errors)
}

/// True when `doc` holds `` `METHOD PATH `` followed by a backtick, a space
/// or a `?` (so `/api/auth/session` is not found inside `/api/auth/sessions`).
fn documented(doc: &str, method: &str, path: &str) -> bool {
    let needle = format!("`{method} {path}");
    doc.match_indices(&needle).any(|(at, _)| matches!(doc[at + needle.len()..].chars().next(), Some('`' | ' ' | '?')))
}

#[test]
fn every_declared_route_is_documented_in_api_md() {
    let (routes, errors) = declared_routes();
    assert!(errors.is_empty(), "the route scanner could not read some declarations:\n{}", errors.join("\n"));

    let listing =
        routes.iter().map(|(method, path, at)| format!("  {method} {path}   ({at})")).collect::<Vec<_>>().join("\n");
    // The scanner must see the routes everyone knows exist; if not, it is
    // out of date with the code, not the docs.
    for known in [("POST", "/api/auth/login"), ("GET", "/api/me"), ("GET", "/healthz")] {
        assert!(
            routes.iter().any(|(m, p, _)| m == known.0 && p == known.1),
            "the route scanner did not find {} {}; it found:\n{listing}",
            known.0,
            known.1
        );
    }
    // `/metrics`, wherever it lives, must be among the routes found.
    let mut files = Vec::new();
    rust_files(&server_dir().join("src"), &mut files);
    if files.iter().any(|f| read(f).contains("\"/metrics\"")) {
        assert!(
            routes.iter().any(|(_, p, _)| p.ends_with("/metrics")),
            "\"/metrics\" appears in server/src but the scanner found no /metrics route; it found:\n{listing}"
        );
    }

    let doc = read(&workspace_root().join("docs/API.md"));
    let missing: Vec<String> = routes
        .iter()
        .filter(|(method, path, _)| !documented(&doc, method, path))
        .map(|(method, path, at)| format!("  `{method} {path}`   (declared at {at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md does not document these routes (expected the text `METHOD /path`):\n{}\n\nall routes found:\n{listing}",
        missing.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

fn is_variable_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The `` `NAME` `` tokens of the first cell of every table row under the
/// README's `## Configuration` heading (rows like
/// `` | `AUTH_ADMIN_EMAIL` / `AUTH_ADMIN_PASSWORD` | … `` name two).
fn readme_configuration_names() -> BTreeSet<String> {
    let readme = read(&workspace_root().join("README.md"));
    let mut in_section = false;
    let mut in_fence = false;
    let mut names = BTreeSet::new();
    let mut rows = 0;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with('#') {
            in_section = line.trim_start_matches('#').trim().to_ascii_lowercase().starts_with("configuration");
            continue;
        }
        if !in_section || !line.trim_start().starts_with('|') {
            continue;
        }
        let first_cell = line.trim_start().trim_start_matches('|').split('|').next().unwrap_or("");
        for (index, token) in first_cell.split('`').enumerate() {
            // Odd pieces are inside backticks.
            if index % 2 == 1 && is_variable_name(token.trim()) {
                names.insert(token.trim().to_owned());
                rows += 1;
            }
        }
    }
    assert!(rows > 0, "README.md has no configuration table under a `## Configuration` heading");
    names
}

/// `NAME=value` lines of `.env.example`, commented out (`#NAME=`) or not.
fn env_example_assignments() -> BTreeMap<String, String> {
    let text = read(&workspace_root().join(".env.example"));
    let mut assignments = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches('#').trim_start();
        if let Some((name, value)) = line.split_once('=')
            && is_variable_name(name)
        {
            assignments.insert(name.to_owned(), value.trim().to_owned());
        }
    }
    assignments
}

fn variable_names() -> BTreeSet<String> {
    VARIABLES.iter().map(|variable| variable.name.to_owned()).collect()
}

#[test]
fn variables_are_unique_and_described() {
    let mut seen = BTreeSet::new();
    for variable in VARIABLES {
        assert!(seen.insert(variable.name), "{} is listed twice in server::config::VARIABLES", variable.name);
        assert!(is_variable_name(variable.name), "{:?} is not an environment variable name", variable.name);
        assert!(!variable.meaning.trim().is_empty(), "{} has no meaning in server::config::VARIABLES", variable.name);
    }
}

#[test]
fn every_variable_is_in_the_readme_configuration_table() {
    let readme = readme_configuration_names();
    let known = variable_names();
    let missing: Vec<&String> = known.iter().filter(|name| !readme.contains(*name)).collect();
    assert!(missing.is_empty(), "README.md's configuration table lacks: {missing:?}");
    let unknown: Vec<&String> = readme.iter().filter(|name| !known.contains(*name)).collect();
    assert!(unknown.is_empty(), "README.md's configuration table lists variables that VARIABLES lacks: {unknown:?}");
}

#[test]
fn every_variable_is_in_env_example() {
    let example = env_example_assignments();
    let known = variable_names();
    let missing: Vec<&String> = known.iter().filter(|name| !example.contains_key(*name)).collect();
    assert!(missing.is_empty(), ".env.example lacks (as `NAME=` or `#NAME=`): {missing:?}");
    let unknown: Vec<&String> = example.keys().filter(|name| !known.contains(*name)).collect();
    assert!(unknown.is_empty(), ".env.example sets variables that VARIABLES lacks: {unknown:?}");
}

#[test]
fn every_variable_the_configuration_reads_is_listed() {
    let asked: RefCell<BTreeSet<String>> = RefCell::new(BTreeSet::new());
    // Everything unset: the defaults.
    let _ = Config::from_lookup(|name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        None
    });
    // Everything `.env.example` shows set (also the commented-out examples),
    // so variables read only when another one is set are asked too.
    let example: HashMap<String, String> =
        env_example_assignments().into_iter().filter(|(_, value)| !value.is_empty()).collect();
    let _ = Config::from_lookup(|name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        example.get(name).cloned()
    });

    let asked = asked.into_inner();
    assert!(asked.contains("DATABASE_URL"), "Config::from_lookup asked for nothing recognisable: {asked:?}");
    let known = variable_names();
    let unlisted: Vec<&String> = asked.iter().filter(|name| !known.contains(*name)).collect();
    assert!(
        unlisted.is_empty(),
        "Config::from_lookup reads variables that server::config::VARIABLES lacks: {unlisted:?}"
    );
}
