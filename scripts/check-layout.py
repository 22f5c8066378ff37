#!/usr/bin/env python3
"""Checks the workspace's module layout; exits 1 on any finding.

1. Each crate root's module map (its `//!` list) names every module the root declares.
2. No two modules import each other, in every crate of the workspace.
3. No source file holds more than 500 lines of non-test code (its `#[cfg(test)] mod
   tests` excluded; test files are not counted).
4. core's bottom modules import only what `BELOW` allows: `config` is read by the domains
   it configures and imports none of them (the rules both apply live in `rules`).

A module is a source file (`a/b.rs` or `a/b/mod.rs` is `a::b`). Module A imports B when A's
code outside its `#[cfg(test)]` part names a path into B (`crate::b::…`, `super::b::…`,
`self::…`). A module and its own submodules may use each other (a parent re-exports, a
child reads its parent's helpers); two modules where neither contains the other may not.
Checked per source file, and per top-level module of each crate (`queue` ↔ `worker` is a
circle even when no two files form one).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATES = [ROOT / "crates" / c / "src" for c in ("core", "jobs", "server", "cli", "testkit")]
CRATES.append(ROOT / "src-tauri" / "src")

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def module_of(src: pathlib.Path, file: pathlib.Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def non_test(text: str) -> str:
    """The code before the `#[cfg(test)] mod tests`, without comments (doc links are not
    imports)."""
    cut = re.search(r"^#\[cfg\(test\)\]\s*\nmod (tests|unit)", text, re.M)
    text = text[: cut.start()] if cut else text
    return re.sub(r"//.*", "", text)


def resolve(current: tuple, head: str, rest: list) -> list:
    if head == "crate":
        base = []
    elif head == "self":
        base = list(current)
    else:
        base = list(current[:-1])
        while rest and rest[0] == "super":
            base = base[:-1]
            rest = rest[1:]
    return base + rest


ROOTS = ["lib.rs", "main.rs"]
DECLARED = re.compile(r"^(?:pub(?:\([a-z]+\))? )?mod ([a-z_0-9]+);", re.M)


def unmapped(src: pathlib.Path) -> list:
    """Modules a crate root declares that its `//!` map does not name."""
    out = []
    for name in ROOTS:
        root = src / name
        if not root.exists():
            continue
        text = root.read_text()
        doc = "\n".join(l for l in text.splitlines() if l.startswith("//!"))
        for mod in DECLARED.findall(non_test(text)):
            if f"`{mod}`" not in doc and f"`{mod}::" not in doc:
                out.append(f"{root.relative_to(ROOT)}: module `{mod}` is missing from the module map")
    return out


MAX_LINES = 500


def too_long() -> list:
    """Source files past MAX_LINES of non-test code."""
    out = []
    for src in CRATES:
        for f in sorted(src.rglob("*.rs")):
            if f.name == "tests.rs" or "tests" in f.relative_to(src).parts[:-1]:
                continue
            text = f.read_text()
            cut = re.search(r"^#\[cfg\(test\)\]\s*\nmod (tests|unit)", text, re.M)
            lines = text[: cut.start()].count("\n") if cut else text.count("\n")
            if lines > MAX_LINES:
                out.append(
                    f"{f.relative_to(ROOT)}: {lines} lines of non-test code (at most {MAX_LINES}); "
                    "split it along what it does"
                )
    return out


# core's top-level modules that sit below the domains, and all they may import.
BELOW = {
    "config": {"error", "keys", "rules"},
    "rules": {"error"},
    "keys": set(),
    "error": set(),
    "private_file": {"error"},
}


def above_its_place(crate: str, top: dict) -> list:
    """Imports a bottom module of core (`BELOW`) makes beyond what it may."""
    if crate != "core":
        return []
    out = []
    for mod, allowed in BELOW.items():
        for extra in sorted(top.get(mod, set()) - allowed):
            out.append(
                f"core: `{mod}` imports `{extra}`; it may import only {sorted(allowed) or 'nothing'} "
                "(put a rule both need in `rules`)"
            )
    return out


def main() -> int:
    found = too_long()
    for src in CRATES:
        found += unmapped(src)
        files = [f for f in src.rglob("*.rs") if f.name != "tests.rs" and "tests" not in f.relative_to(src).parts[:-1]]
        modules = {module_of(src, f): f for f in files}
        edges = {}
        for mod, file in modules.items():
            text = non_test(file.read_text())
            targets = set()
            paths = [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
            for g in USE_GROUP.finditer(text):
                for item in re.split(r",", g.group(3)):
                    item = item.strip().split(" as ")[0].strip()
                    if item and item != "self" and not item.startswith("{"):
                        paths.append((g.group(1), g.group(2) + "::" + item.replace("::{", "")))
            for head, tail in paths:
                rest = [p for p in tail.split("::") if p]
                full = resolve(mod, head, rest)
                # the longest prefix that is a module
                for n in range(len(full), 0, -1):
                    if tuple(full[:n]) in modules:
                        targets.add(tuple(full[:n]))
                        break
            edges[mod] = targets
        for a, outs in edges.items():
            for b in outs:
                if a < b and a in edges.get(b, set()):
                    if a[: len(b)] == b or b[: len(a)] == a:
                        continue
                    found.append(f"{src.parent.name}: {'::'.join(a) or 'crate'} <-> {'::'.join(b) or 'crate'} import each other")
        top = {}
        for a, outs in edges.items():
            for b in outs:
                if a and b and a[0] != b[0]:
                    top.setdefault(a[0], set()).add(b[0])
        found += above_its_place(src.parent.name, top)
        for a, outs in top.items():
            for b in outs:
                if a < b and a in top.get(b, set()):
                    found.append(f"{src.parent.name}: top-level modules {a} <-> {b} import each other")
    for line in sorted(found):
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
