//! The exit codes are described once, in `crates/core/src/exit_codes.rs`:
//! every document that shows them holds a block rendered from that table,
//! between `<!-- exit-codes: KEY … -->` and `<!-- /exit-codes -->`, where KEY
//! is `shared` (the codes' meaning for every tool), `by-tool` (one row per
//! tool) or a tool's name (its page in docs/tools/). This test renders each
//! block and compares; `SEGMENT_BRIDGE_UPDATE_DOCS=1` rewrites the blocks
//! instead. Each tool's `--help` is checked in `cli.rs`.

use std::path::{Path, PathBuf};

use segment_bridge_core::exit_codes;

const OPEN: &str = "<!-- exit-codes: ";
const CLOSE: &str = "<!-- /exit-codes -->";

/// What the block named `key` must hold.
fn rendered(key: &str) -> String {
    match key {
        "shared" => exit_codes::markdown_shared(),
        "by-tool" => exit_codes::markdown_by_tool(),
        tool => exit_codes::markdown_tool(tool),
    }
}

/// `text` with every block re-rendered, and the keys of the blocks found.
fn rerender(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let line_end = at + rest[at..].find('\n').expect("an opening line ends");
        let key = rest[at + OPEN.len()..line_end]
            .split_whitespace()
            .next()
            .expect("a key after exit-codes:")
            .to_owned();
        let close = line_end + rest[line_end..].find(CLOSE).expect("a closing marker");
        out.push_str(&rest[..=line_end]);
        out.push_str(&rendered(&key));
        out.push_str(CLOSE);
        rest = &rest[close + CLOSE.len()..];
        keys.push(key);
    }
    out.push_str(rest);
    (out, keys)
}

fn root() -> PathBuf {
    testkit::root()
}

/// Checks (or, with SEGMENT_BRIDGE_UPDATE_DOCS=1, rewrites) one document;
/// returns the keys of its blocks.
fn check(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let (want, keys) = rerender(&text);
    if want != text {
        if std::env::var_os("SEGMENT_BRIDGE_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).unwrap();
        } else {
            panic!(
                "{}: an exit-code block differs from crates/core/src/exit_codes.rs; \
                 run SEGMENT_BRIDGE_UPDATE_DOCS=1 cargo test -p segment-bridge-e2e exit_docs",
                path.display()
            );
        }
    }
    keys
}

#[test]
fn the_readme_and_the_exit_code_page_hold_the_one_table() {
    assert_eq!(check(&root().join("README.md")), ["shared"]);
    assert_eq!(
        check(&root().join("docs/exit-codes.md")),
        ["shared", "by-tool"]
    );
}

#[test]
fn every_tool_page_holds_its_codes_from_the_one_table() {
    let mut pages = 0;
    for entry in std::fs::read_dir(root().join("docs/tools")).unwrap() {
        let path = entry.unwrap().path();
        let tool = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert_eq!(check(&path), [tool.clone()], "{}", path.display());
        pages += 1;
    }
    // Every tool the table describes has a page.
    for t in exit_codes::TOOLS {
        assert!(
            root().join(format!("docs/tools/{}.md", t.tool)).is_file(),
            "{} has no page",
            t.tool
        );
    }
    assert!(pages >= exit_codes::TOOLS.len());
}

#[test]
fn a_block_that_differs_is_found() {
    let stale = format!("a\n{OPEN}shared x -->\n| 0 | fine |\n{CLOSE}\nb\n");
    let (fixed, keys) = rerender(&stale);
    assert_eq!(keys, ["shared"]);
    assert_ne!(fixed, stale);
    assert!(fixed.contains(&exit_codes::markdown_shared()));
    assert!(fixed.starts_with("a\n") && fixed.ends_with("\nb\n"));
    assert_eq!(rerender(&fixed).0, fixed, "rendering twice changes nothing");
}
