#!/usr/bin/env python3
"""Find import cycles between the modules of each crate, and between crates.

Modules: every file of a crate's library under `src/` (`lib.rs` is the
root, `a.rs` or `a/mod.rs` is `a`, `a/b.rs` is `a::b`); `main.rs`, `src/bin/`
and `tests/` are left out. Inline modules count as the file they are in.
Edges: every path in non-test code (items under `#[cfg(test)]` or `#[test]`
are left out, as are comments and literals) that starts with `crate::`,
`super::` or `self::` (grouped `use crate::{a, b::c}` included), or with
the name of a child module (`pub use child::X`), goes to the deepest module
the path names; a path through a re-export goes to the module re-exporting
(`crate::Error` is a use of the root). A module's use of its own ancestors (a child
using what its parent defines) is not an edge: the parent is where the child
lives. A cycle is a strongly connected component of two or more modules,
printed with one path of each of its edges.

Crates: the workspace crates' `[dependencies]` and `[build-dependencies]`
(dev-dependencies may loop, as cargo allows); a cycle there is an error,
and so is a crate of `LIGHT` that reaches, through workspace crates, a
dependency it must not link (core and json link no HTTP/TLS stack).

Usage: scripts/dev/module-cycles.py [--strict] [ROOT]
       scripts/dev/module-cycles.py --self-test
Prints every module cycle (`crate: a -> b -> a` with where each edge is),
marked `known` when it is in `KNOWN` (cycles another change removes; empty
the list as they go), then the crate check and one total line. Exit status
1 when there is a cycle that is not known (with --strict: any cycle), or a
crate-level problem; 0 otherwise.
"""
import argparse
import importlib.util
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("code_shape", os.path.join(HERE, "code-shape.py"))
code_shape = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(code_shape)

# Module cycles that another branch removes (crate -> set of modules). The
# check reports them without failing; empty this as they go.
KNOWN = {
    "splunk-to-segment": [{"json", "walk"}],
    "extract-uj-records": [{"eval", "search"}],
}

# Crates that must stay light: what they may not reach (a workspace crate
# or an outside dependency), directly or through workspace crates.
HTTP_STACK = {"reqwest", "tokio", "hyper", "rustls", "tokio-rustls", "kube", "k8s-openapi"}
LIGHT = {
    "segment-bridge-core": HTTP_STACK | {"segment-bridge-net", "segment-bridge-segment",
                                         "segment-bridge-splunk", "segment-bridge-kube"},
    "segment-bridge-json": HTTP_STACK | {"clap", "segment-bridge-core", "segment-bridge-net"},
}

PATH_RE = re.compile(r"(?<![A-Za-z0-9_:])(crate|super|self)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)*)(\s*::\s*\{)?")
CHILD_RE = re.compile(r"(?<![A-Za-z0-9_:])([a-z_][A-Za-z0-9_]*)(?=\s*::)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)*)")
MOD_DECL = re.compile(r"(?<![A-Za-z0-9_])mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;")


def crate_modules(src):
    """{module path tuple: file} of a library under `src`."""
    mods = {}
    if not os.path.isfile(os.path.join(src, "lib.rs")):
        return mods

    def visit(path, file, folder):
        mods[path] = file
        code = code_shape.blank(open(file, encoding="utf-8").read())
        for m in MOD_DECL.finditer(code):
            name = m.group(1)
            for cand in (os.path.join(folder, name + ".rs"), os.path.join(folder, name, "mod.rs")):
                if os.path.isfile(cand):
                    visit(path + (name,), cand, os.path.join(folder, name))
                    break

    visit((), os.path.join(src, "lib.rs"), src)
    return mods


def group_items(code, open_at):
    """First segments (or nested paths) of the items of `{...}` at open_at."""
    close, _ = code_shape.match_brace(code, open_at)
    inner = code[open_at + 1:close]
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for it in items:
        segs = [s for s in re.split(r"\s*::\s*", it.split("{")[0].strip()) if s]
        segs = [s.split(" as ")[0].strip() for s in segs]
        if segs:
            out.append(segs)
    return out


def resolve(mods, here, base, segs):
    """Deepest module named by `base::segs` seen from module `here`."""
    if base == "crate":
        cur = ()
    elif base == "super":
        cur = here[:-1]
    else:
        cur = here
    while segs and segs[0] == "super":
        cur, segs = cur[:-1], segs[1:]
    for s in segs:
        if cur + (s,) in mods:
            cur = cur + (s,)
        else:
            break
    return cur


def module_edges(mods):
    """{(from, to): 'file:line'} of one crate."""
    edges = {}
    add = _edge_adder(mods, edges)
    for here, file in mods.items():
        code = code_shape.blank(open(file, encoding="utf-8").read())
        for a, b in code_shape.test_spans(code):
            code = code[:a] + "".join("\n" if c == "\n" else " " for c in code[a:b]) + code[b:]
        for m in PATH_RE.finditer(code):
            segs = [s for s in re.split(r"\s*::\s*", m.group(2)) if s]
            targets = []
            if m.group(3):
                brace = m.end() - 1
                for item in group_items(code, brace):
                    targets.append(resolve(mods, here, m.group(1), segs + item))
            else:
                targets.append(resolve(mods, here, m.group(1), segs))
            add(here, targets, file, code, m.start())
        # `child::…` (a path into a child module, as `pub use child::X`).
        children = {p[-1] for p in mods if p[:-1] == here and p}
        for m in CHILD_RE.finditer(code):
            if m.group(1) in children:
                segs = [m.group(1)] + [s for s in re.split(r"\s*::\s*", m.group(2)) if s]
                add(here, [resolve(mods, here, "self", segs)], file, code, m.start())
    return edges


def _edge_adder(mods, edges):
    def add(here, targets, file, code, at):
        line = code.count("\n", 0, at) + 1
        for t in targets:
            if t == here or here[:len(t)] == t:
                continue  # itself, or one of its ancestors
            edges.setdefault((here, t), f"{file}:{line}")
    return add


def sccs(nodes, edges):
    """Strongly connected components of two or more nodes (Tarjan)."""
    succ = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(succ):
        if v not in index:
            strong(v)
    return sorted(out)


def name(path):
    return "::".join(path) or "crate"


def cargo_deps(toml):
    """(package name, [normal and build dependency names]) of a Cargo.toml."""
    pkg, deps, section = None, [], None
    for raw in open(toml, encoding="utf-8"):
        line = raw.split("#")[0].strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
            continue
        m = re.match(r'([A-Za-z0-9_-]+)(\.workspace)?\s*=\s*(.*)', line)
        if not m:
            continue
        if section == "package" and m.group(1) == "name":
            pkg = m.group(3).strip().strip('"')
        elif section in ("dependencies", "build-dependencies"):
            deps.append(m.group(1))
    return pkg, deps


def check(root, strict=False, out=print):
    """Runs both checks under root; returns (module cycles, failures)."""
    crates_dir = os.path.join(root, "crates")
    found, failures = [], 0
    graph = {}
    for crate in sorted(os.listdir(crates_dir)):
        folder = os.path.join(crates_dir, crate)
        toml = os.path.join(folder, "Cargo.toml")
        if not os.path.isfile(toml):
            continue
        pkg, deps = cargo_deps(toml)
        graph[pkg] = deps
        mods = crate_modules(os.path.join(folder, "src"))
        edges = module_edges(mods)
        for comp in sccs(mods, edges):
            names = {name(p) for p in comp}
            known = names in KNOWN.get(crate, [])
            failures += 0 if known and not strict else 1
            found.append((crate, names, known))
            out(f"{crate}: cycle {' <-> '.join(sorted(names))}{'  (known)' if known else ''}")
            for (a, b), where in sorted(edges.items()):
                if a in comp and b in comp:
                    out(f"    {name(a)} -> {name(b)}  {os.path.relpath(where, root)}")
    for comp in sccs(graph, [(a, b) for a, ds in graph.items() for b in ds if b in graph]):
        failures += 1
        out(f"crates: cycle {' <-> '.join(comp)}")
    for light, banned in sorted(LIGHT.items()):
        if light not in graph:
            continue
        seen, todo = set(), [light]
        while todo:
            c = todo.pop()
            for d in graph.get(c, []):
                if d in banned:
                    failures += 1
                    out(f"crates: {light} reaches {d} (through {c})")
                if d in graph and d not in seen:
                    seen.add(d)
                    todo.append(d)
    n_known = sum(1 for f in found if f[2])
    out(f"module cycles: {len(found)} ({n_known} known); crates: {len(graph)} checked; "
        f"{'FAILED' if failures else 'ok'}")
    return found, failures


SELF_TEST = {
    "crates/a/Cargo.toml": '[package]\nname = "a"\n[dependencies]\nb.workspace = true\n'
                           '[dev-dependencies]\nc.workspace = true\n',
    "crates/a/src/lib.rs": "mod x;\nmod y;\nmod z;\npub mod d;\npub use x::X; // crate::y in a comment\n",
    "crates/a/src/x.rs": "use crate::y::Y;\npub struct X;\n",
    "crates/a/src/y.rs": "use super::{x, z::Z};\nlet s = \"crate::d\";\npub struct Y;\n",
    "crates/a/src/z.rs": "use crate::X;\n#[cfg(test)]\nmod tests { use crate::d::e; }\npub struct Z;\n",
    "crates/a/src/d/mod.rs": "pub mod e;\nuse self::e::E;\n",
    "crates/a/src/d/e.rs": "use super::super::z;\nuse crate::d;\npub struct E;\n",
    "crates/b/Cargo.toml": '[package]\nname = "b"\n[dependencies]\nreqwest.workspace = true\n',
    "crates/b/src/lib.rs": "",
    "crates/c/Cargo.toml": '[package]\nname = "c"\n[dependencies]\na = { path = "../a" }\n',
    "crates/c/src/lib.rs": "",
}
# x -> y, y -> x and z: one cycle {x, y}; z -> crate root (ancestor: no
# edge); d -> d::e (child), d::e -> z and d (ancestor); the test module's
# path and the comment and string are not edges. a -> b -> reqwest is
# banned for a (LIGHT below); c's dev-dependency loop a -> c -> a is fine.
SELF_TEST_WANT = [("a", {"x", "y"}, False)]
SELF_TEST_EDGES = [("crate", "x"), ("d", "d::e"), ("d::e", "z"), ("x", "y"), ("y", "x"), ("y", "z")]


def self_test():
    global LIGHT
    with tempfile.TemporaryDirectory() as root:
        for path, text in SELF_TEST.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        mods = crate_modules(os.path.join(root, "crates/a/src"))
        edges = sorted((name(a), name(b)) for a, b in module_edges(mods))
        saved, LIGHT = LIGHT, {"a": {"reqwest"}, "c": {"tokio"}}
        lines = []
        try:
            found, failures = check(root, out=lines.append)
        finally:
            LIGHT = saved
    ok = edges == SELF_TEST_EDGES and found == SELF_TEST_WANT and failures == 2 and any("a reaches reqwest" in x for x in lines)
    print("self-test:", "ok" if ok else f"FAILED: got {edges} {found} ({failures} failures) {lines}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default=os.path.join(HERE, "..", ".."))
    ap.add_argument("--strict", action="store_true", help="known cycles fail too")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    _, failures = check(os.path.abspath(args.root), strict=args.strict)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
