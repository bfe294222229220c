#!/usr/bin/env python3
"""Measure the shape of every function in non-test Rust code under crates/.

For each function (free, associated, nested) it reports the length in lines
(from the `fn` keyword to the closing brace) and the deepest brace nesting
inside the body (the body's own braces are depth 0; every `{` opened inside,
by a block, closure, match, match arm or struct literal, adds one).

Skipped: `tests/`, `examples/` and `benches/` folders, items marked
`#[cfg(test)]`/`#[cfg(all(test, ..))]` (usually a `mod tests { .. }`) and
functions marked `#[test]` or `#[tokio::test(..)]`.
Comments, string/char/byte/raw-string literals and lifetimes are blanked
before braces are counted, so a `{` in any of them does not count.

Usage: scripts/dev/code-shape.py [--max-lines N] [--max-depth N] [--all] [ROOT]
       scripts/dev/code-shape.py --self-test
Prints offenders (`path:line name  lines=N depth=D`), then one total line.
Exit status 1 when there are offenders, 0 otherwise.
"""
import argparse
import os
import re
import sys

SKIP_DIRS = {"tests", "examples", "benches", "target", ".git"}


def blank(src):
    """Return src with comments and literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(src)

    def keep_newlines(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = src[i]
        nxt = src[i + 1] if i + 1 < n else ""
        prev = src[i - 1] if i > 0 else ""
        if c == "/" and nxt == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(keep_newlines(src[i:j]))
            i = j
        elif c in "rb" and not (prev.isalnum() or prev == "_"):
            m = re.match(r'(br|rb|r)(#*)"', src[i:i + 300])
            if m:
                close = '"' + m.group(2)
                j = src.find(close, i + m.end())
                j = n if j < 0 else j + len(close)
                out.append(keep_newlines(src[i:j]))
                i = j
            elif c == "b" and nxt in "\"'":
                out.append(" ")
                i += 1
            else:
                out.append(c)
                i += 1
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(keep_newlines(src[i:j]))
            i = j
        elif c == "'":
            # char literal ('x', '\n', '\u{..}', '{') or lifetime/label ('a)
            if nxt == "\\":
                j = src.find("'", i + 3 if src[i + 2:i + 3] == "'" else i + 2)
                j = n if j < 0 else j + 1
                out.append(" " * (j - i))
                i = j
            elif i + 2 < n and src[i + 2] == "'":
                out.append("   ")
                i += 3
            else:
                out.append(" ")
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


ATTR_TEST = re.compile(
    r"#\s*\[\s*(cfg\s*\(\s*(all\s*\(\s*)?test\b[^\]]*\)|(tokio\s*::\s*)?test(\s*\([^\]]*\))?)\s*\]")
FN_RE = re.compile(r"(?<![A-Za-z0-9_])fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def match_brace(code, open_at):
    """Index of the brace closing the one at open_at, and the max inner depth."""
    depth, deepest = 0, 0
    for j in range(open_at, len(code)):
        ch = code[j]
        if ch == "{":
            depth += 1
            deepest = max(deepest, depth - 1)
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j, deepest
    return len(code) - 1, deepest


def item_body_open(code, start):
    """First `{` of the item starting at `start`, or None when `;` comes first."""
    parens = 0
    for j in range(start, len(code)):
        ch = code[j]
        if ch in "([":
            parens += 1
        elif ch in ")]":
            parens -= 1
        elif parens == 0 and ch == ";":
            return None
        elif parens == 0 and ch == "{":
            return j
    return None


def test_spans(code):
    """Character spans of items marked #[cfg(test)] or #[test]."""
    spans = []
    for m in ATTR_TEST.finditer(code):
        open_at = item_body_open(code, m.end())
        if open_at is not None:
            close, _ = match_brace(code, open_at)
            spans.append((m.start(), close))
    return spans


def functions(path):
    with open(path, encoding="utf-8") as f:
        code = blank(f.read())
    skip = test_spans(code)
    line_starts = [0] + [i + 1 for i, c in enumerate(code) if c == "\n"]

    def line_of(pos):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    for m in FN_RE.finditer(code):
        if any(a <= m.start() <= b for a, b in skip):
            continue
        open_at = item_body_open(code, m.end())
        if open_at is None:
            continue
        close, deepest = match_brace(code, open_at)
        first, last = line_of(m.start()), line_of(close)
        yield m.group(1), first, last - first + 1, deepest


def rust_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".rs"):
                yield os.path.join(dirpath, name)


SELF_TEST = r'''
fn literals<'a, T: 'a>(s: &'a str) -> char where T: Fn(&'a str) -> bool {
    let _ = "{{ \" {{";
    let _ = r#"}} "{{ "#;
    let _ = br##"{ "# {"##;
    let _ = (b'{', b'\\', '\'', '"', '{', '\u{7b}');
    // { { {
    /* { /* { */ } */
    'outer: loop { break 'outer; }
    '}'
}
fn deep() { if a { if b { if c { if d { if e { if f {} } } } } } }
fn pointer(f: fn(u8) -> u8) -> u8 { f(1) }
trait T { fn decl(&self); fn provided(&self) { match 1 { _ => {} } } }
#[test]
fn a_test() { { { { { { { } } } } } } }
#[tokio::test(flavor = "multi_thread")]
async fn b_test() { { { { { { { } } } } } } }
#[cfg(all(test, unix))]
fn c_test() { { { { { { { } } } } } } }
#[cfg(test)]
mod tests { fn hidden() { { { { { { { } } } } } } } }
'''

SELF_TEST_WANT = [("literals", 1, 10, 1), ("deep", 11, 1, 6),
                  ("pointer", 12, 1, 0), ("provided", 13, 1, 2)]


def self_test():
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".rs", delete=False) as f:
        f.write(SELF_TEST.lstrip("\n"))
    got = list(functions(f.name))
    os.unlink(f.name)
    ok = got == SELF_TEST_WANT
    print("self-test:", "ok" if ok else f"FAILED: got {got}, want {SELF_TEST_WANT}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=None)
    ap.add_argument("--max-lines", type=int, default=80)
    ap.add_argument("--max-depth", type=int, default=5)
    ap.add_argument("--all", action="store_true", help="print every function")
    ap.add_argument("--self-test", action="store_true",
                    help="check the scanner on tricky input and exit")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    root = args.root or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "crates")
    root = os.path.normpath(root)
    base = os.path.dirname(root)
    count = offenders = 0
    for path in rust_files(root):
        rel = os.path.relpath(path, base)
        for name, line, length, depth in functions(path):
            count += 1
            bad = length > args.max_lines or depth > args.max_depth
            offenders += bad
            if bad or args.all:
                print(f"{rel}:{line} {name}  lines={length} depth={depth}")
    print(f"total: {offenders} offenders (over {args.max_lines} lines or "
          f"deeper than {args.max_depth}) among {count} functions")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
