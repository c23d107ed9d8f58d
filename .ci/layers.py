#!/usr/bin/env python3
"""Dependencies between the workspace's source files, and the cycles among them.

Each crate's `src/` is read: a file is a module (`lib.rs`/`main.rs` the crate root, `mod.rs`
its folder's module, `x.rs` module `x`). A file depends on the file that *defines* each item
it names through a path (`use crate::a::B`, `super::c::d()`, `crate::e::F` in code), with
re-exports (`pub use`) followed to the definition, so a module that re-exports a child's type
is not a dependency of whoever names the type through it. Naming a child module to declare it
(`mod x;`) is not a dependency; using its items is. A crate's binaries (`src/bin/*.rs`) are
roots of their own. Paths into another workspace crate (`ratel_engine::...`) are resolved
the same way.

Prints every cycle (strongly connected group of files, and of each crate's top-level
modules) and every engine module that depends on a layer above its own (ENGINE_LAYERS,
docs/architecture.md), and exits 1 when there is one; `--edges` prints the whole graph.
Test code (`tests.rs`, `testing.rs` or `testing/`, `test_backend.rs`) is left out: tests may lean on anything.
"""

import os
import re
import sys
from collections import defaultdict

CRATES = {"ratel_engine": "engine", "ratel_server": "server", "ratel_tools": "tools",
          "ratel_benches": "benches"}
ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+)?(?:async\s+)?(?:const\s+)?"
    r"(struct|enum|fn|trait|type|const|static|mod|union|macro_rules!)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.M)
USE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M)
PATH = re.compile(r"\b((?:crate|super|self|ratel_[a-z]+)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
RELATIVE = re.compile(r"(?<![:\w])([a-z_][a-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def strip_comments(text):
    """The code alone: comments dropped, string and character literals emptied."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif re.match(r'b?r#*"', text[i:i + 20]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', text[i:])
            end = '"' + m.group(1)
            i = text.find(end, i + m.end())
            i = n if i < 0 else i + len(end)
            out.append('""')
        elif ch == '"' or (ch == "b" and text.startswith('b"', i) and (i == 0 or not text[i - 1].isalnum())):
            i += 2 if ch == "b" else 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif ch == "'":
            m = re.match(r"'(?:\\.[^']*|[^'\\])'", text[i:])
            if m:  # a character literal; otherwise a lifetime
                out.append("' '")
                i += m.end()
            else:
                out.append(ch)
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def cfg_test_blocks(text):
    """Drops `#[cfg(test)] mod x { ... }` bodies: tests may lean on anything."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d, e as f}, self}` -> [['a','b'], ['a','c','d'], ['a','c','e'], ['a']]."""
    tree = re.sub(r"\s+as\s+[A-Za-z_][A-Za-z0-9_]*", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix, s):
        if "{" in s and s.endswith("}"):
            head = s[: s.index("{")]
            inner = s[s.index("{") + 1: -1]
            base = prefix + [p for p in head.split("::") if p]
            result = []
            for part in split_top(inner):
                result += walk(base, part)
            return result
        names = [p for p in s.split("::") if p]
        if names == ["self"]:
            return [prefix]
        return [prefix + names]

    return walk([], tree)


class Crate:
    def __init__(self, name, root_dir):
        self.name = name
        self.src = os.path.join(root_dir, "src")
        self.files = {}  # module path tuple -> file
        self.module_of = {}  # file -> module path tuple
        for dirpath, _, names in os.walk(self.src):
            for n in names:
                if not n.endswith(".rs"):
                    continue
                path = os.path.join(dirpath, n)
                rel = os.path.relpath(path, self.src)[:-3].split(os.sep)
                if rel[0] == "bin":
                    module = ("bin:" + rel[-1],)
                elif rel in (["lib"], ["main"]):
                    module = ()
                elif rel[-1] == "mod":
                    module = tuple(rel[:-1])
                else:
                    module = tuple(rel)
                # Test code: a module's `tests.rs` (`#[cfg(test)] mod tests;`) and the test
                # support modules (`testing.rs` or `testing/`, `test_backend.rs`, compiled
                # only for tests).
                if rel[-1] in ("tests", "test_backend") or "testing" in rel:
                    continue
                self.files[module] = path
                self.module_of[path] = module
        self.text = {p: cfg_test_blocks(strip_comments(open(p).read())) for p in self.module_of}
        # Items defined in each module, and its `use` re-exports.
        self.items = {m: set() for m in self.files}
        self.reexports = {m: {} for m in self.files}
        for m, p in self.files.items():
            for kind, name in ITEM.findall(self.text[p]):
                if kind != "mod":
                    self.items[m].add(name)
            for vis, tree in USE.findall(self.text[p]):
                for path in expand_use(tree):
                    if not path:
                        continue
                    alias = path[-1]
                    self.reexports[m][alias] = (bool(vis), path)


def absolute(crate, module, path):
    """A path as written in `module` -> (crate name, absolute segments) or None (extern)."""
    head = path[0]
    if head == "crate":
        return crate.name, list(path[1:])
    if head in CRATES:
        return head, list(path[1:])
    if head == "self":
        return crate.name, list(module) + list(path[1:])
    if head == "super":
        base = list(module)
        rest = list(path)
        while rest and rest[0] == "super":
            base = base[:-1]
            rest = rest[1:]
        return crate.name, base + rest
    # A child module (`use cell::Live;` in a mod.rs), or a name a `use` of this module
    # brought in (`use super::store;` then `store::Entry`).
    if tuple(module) + (head,) in crate.files:
        return crate.name, list(module) + list(path)
    brought = crate.reexports.get(tuple(module), {}).get(head)
    if brought is not None and brought[1] and brought[1][-1] == head and brought[1] != list(path):
        found = absolute(crate, module, brought[1])
        if found is not None:
            return found[0], found[1] + list(path[1:])
    return None


def resolve(crates, crate_name, segments, depth=0):
    """The file defining the item at `segments` of `crate_name` (following re-exports)."""
    crate = crates[crate_name]
    if depth > 20:
        return None
    # The longest prefix that is a module.
    for cut in range(len(segments), -1, -1):
        module = tuple(segments[:cut])
        if module in crate.files:
            rest = segments[cut:]
            break
    else:
        return None
    file = crate.files[module]
    if not rest:
        return file
    name = rest[0]
    if name in crate.items[module]:
        return file
    if name in crate.reexports[module]:
        _, target = crate.reexports[module][name]
        found = absolute(crate, module, target)
        if found is None:
            return None
        return resolve(crates, found[0], found[1] + rest[1:], depth + 1)
    # A glob or macro-made item: the module itself.
    return file


def graph(crates):
    edges = defaultdict(set)
    for crate in crates.values():
        for path, module in crate.module_of.items():
            text = crate.text[path]
            # A file's own `use` lines, then paths written in code.
            written = []
            # A `pub use` only re-exports: whoever names the item depends on its definition.
            for visibility, tree in USE.findall(text):
                if not visibility:
                    written += expand_use(tree)
            body = USE.sub("", text)
            written += [p.split("::") for p in PATH.findall(body)]
            # Relative paths in code: a child module's (`committer::run`) or a name a `use`
            # brought in (`store::Entry`); `absolute` keeps only those.
            written += [p.split("::") for p in RELATIVE.findall(body)]
            # Names a `use` brought in from a module (`use super::x;` then `x::f()`).
            for segments in written:
                if not segments:
                    continue
                found = absolute(crate, module, segments)
                if found is None:
                    continue
                target = resolve(crates, found[0], found[1])
                if target and target != path:
                    edges[path].add(target)
            # `mod x;` declarations are not dependencies: drop edges to children that are
            # only declared (their items named are kept: resolved to their own files).
    return edges


def cycles(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


# The engine's layers, lowest first (engine/src/lib.rs): a module may depend on modules of
# its own layer or below, never above.
ENGINE_LAYERS = [
    ("foundation", ["money", "time", "input", "files", "xml"]),
    ("data", ["tariff", "artifact", "lookup", "accounts", "compile", "auth"]),
    ("pricing", ["cost", "rating", "lcr", "diff"]),
    ("state", ["ledger", "snapshot"]),
    ("API surfaces", ["mor_api", "json_api"]),
]


def layer_violations(modules):
    rank = {f"ratel_engine::{m}": i for i, (_, ms) in enumerate(ENGINE_LAYERS) for m in ms}
    found = []
    for source, targets in modules.items():
        if not source.startswith("ratel_engine::"):
            continue
        if source not in rank:
            found.append(f"{source} is in no layer of ENGINE_LAYERS")
            continue
        for target in targets:
            if target.startswith("ratel_engine::") and rank.get(target, -1) > rank[source]:
                name = lambda u: ENGINE_LAYERS[rank[u]][0]
                found.append(f"{source} ({name(source)}) depends on {target} ({name(target)})")
    return found


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    crates = {name: Crate(name, os.path.join(top, folder)) for name, folder in CRATES.items()}
    edges = graph(crates)
    rel = lambda p: os.path.relpath(p, top)
    if "--edges" in sys.argv:
        for source in sorted(edges):
            for target in sorted(edges[source]):
                print(f"{rel(source)} -> {rel(target)}")
    # The same between each crate's top-level modules (a folder counts as one).
    unit = {}
    for crate in crates.values():
        for path, module in crate.module_of.items():
            unit[path] = f"{crate.name}::{module[0] if module else '(root)'}"
    modules = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            if unit[source] != unit[target] and not unit[source].endswith("(root)"):
                modules[unit[source]].add(unit[target])
    if "--edges" in sys.argv:
        for source in sorted(modules):
            print(f"{source} => {', '.join(sorted(modules[source]))}")
    found = cycles(edges)
    for group in cycles(modules):
        print("module cycle: " + " <-> ".join(group))
        for a in group:
            for b in sorted(modules[a]):
                if b in group:
                    why = [f"{rel(x)} -> {rel(y)}" for x in edges for y in edges[x]
                           if unit[x] == a and unit[y] == b]
                    print(f"    {a} -> {b}: {'; '.join(why)}")
        found.append(group)
    for group in found[: len(found)]:
        if "::" in group[0]:
            continue
        print("cycle: " + " <-> ".join(rel(p) for p in group))
        for a in group:
            for b in sorted(edges[a]):
                if b in group:
                    print(f"    {rel(a)} -> {rel(b)}")
    violations = layer_violations(modules)
    for line in violations:
        print("layer: " + line)
    files = sum(len(c.files) for c in crates.values())
    print(f"{files} files, {sum(len(e) for e in edges.values())} dependencies, "
          f"{len(found)} cycles, {len(violations)} layer violations")
    return 1 if found or violations else 0


if __name__ == "__main__":
    sys.exit(main())
