#!/usr/bin/python3
"""Reports every coroutine lambda that has a capture list.

Vltava's rule (cppcoreguidelines-avoid-capturing-lambda-coroutines, a clang-tidy check only
from clang-tidy 17 on; Debian 12 ships 14 to 16): a lambda whose body is a coroutine must not
capture anything. The captures live in the lambda object, not in the coroutine frame, so they
dangle as soon as the coroutine outlives the lambda (after its first suspension, typically).
Pass what the coroutine needs as parameters, or make it a member function.

Stricter than clang-tidy 17 on one point: a default capture ([=], [&]) is reported even when
nothing is actually captured, because the next edit may capture something silently.

A lambda is a coroutine when its own body holds co_await, co_yield or co_return, not counting
the bodies of lambdas (or local classes) nested in it. A lambda that only returns the result
of calling a coroutine is not a coroutine and may capture.

Usage:
  lint_coroutine_captures.py [-p BUILD_DIR] [-j JOBS] [--all] [--list-units] [FILE...]
      Parses the translation units of BUILD_DIR/compile_commands.json (default build/asan)
      that are tracked sources of this repository, and checks the lambdas written in this
      repository's files (.cc and the headers they include). Only the units that can hold a
      coroutine lambda are parsed (their source, or a header they include, spells co_await,
      co_yield or co_return), unless --all; FILE... names the units to parse instead.
      The generated headers must exist (build first).
  lint_coroutine_captures.py --source FILE -- COMPILER_ARGS...
      Parses FILE alone with the given arguments (the tests in tests/lint use this).

Prints "file:line:col: error: ..." per offending lambda. Exit status: 0 none, 1 some,
2 a translation unit failed to parse (the check would be incomplete).
"""

import argparse
import json
import multiprocessing
import os
import re
import shlex
import subprocess
import sys

try:
    import clang.cindex as ci
except ImportError:
    sys.exit("lint_coroutine_captures: needs libclang's Python bindings "
             "(python3-clang-14, see scripts/deps); run it with /usr/bin/python3")

COROUTINE_KEYWORDS = {"co_await", "co_yield", "co_return"}
COROUTINE_KEYWORD_RE = re.compile(rb"\bco_(await|yield|return)\b")
PROJECT_INCLUDE_RE = re.compile(rb'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
# Bodies nested in a lambda that are not part of its own coroutine body.
NESTED_BODIES = {
    ci.CursorKind.LAMBDA_EXPR, ci.CursorKind.CLASS_DECL, ci.CursorKind.STRUCT_DECL,
    ci.CursorKind.UNION_DECL, ci.CursorKind.CLASS_TEMPLATE,
}
RULE = "cppcoreguidelines-avoid-capturing-lambda-coroutines"


def repo_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.realpath(os.path.join(here, ".."))


def compile_args(entry):
    """The compiler arguments of one compile_commands.json entry, less what libclang
    must not see: the compiler, the output, the source itself, and -Werror (a warning must not
    make the parse look failed)."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif a in ("-c", entry["file"]) or a.startswith("-Werror") or a in ("-MD", "-MMD"):
            continue
        else:
            out.append(a)
    return out


def lambda_extents(tu_cursor, root):
    """{file: [(start offset, end offset, cursor)]} of every lambda, and of every nested body
    that is not a lambda's own, in the files under root. Skips what lies elsewhere (system
    headers: most of the unit) without walking into it."""
    out, todo = {}, [tu_cursor]
    while todo:
        for child in todo.pop().get_children():
            f = child.location.file
            if f is None or not f.name.startswith(root + os.sep):
                continue
            if child.kind in NESTED_BODIES:
                out.setdefault(f.name, []).append(
                    (child.extent.start.offset, child.extent.end.offset, child))
            todo.append(child)
    return out


def capture_list(tokens):
    """The tokens between the lambda's '[' and its matching ']'."""
    tokens = [t for t in tokens if t.kind != ci.TokenKind.COMMENT]
    depth = 0
    for i, t in enumerate(tokens):
        if t.spelling in ("[", "(", "{"):
            depth += 1
        elif t.spelling in ("]", ")", "}"):
            depth -= 1
            if depth == 0:
                return tokens[1:i]
    return []


def spell(tokens):
    """Tokens as a person writes them: "x, &y, z = std::move(w)", "=" alone."""
    if len(tokens) == 1:
        return tokens[0].spelling
    spaced = {",": ", ", "=": " = "}
    return "".join(spaced.get(t.spelling, t.spelling) for t in tokens)


def check_lambda(lam, nested):
    """An error message when lam is a capturing coroutine, else None. nested: (start, end) of
    the bodies nested in lam that are not its own."""
    tokens = list(lam.get_tokens())
    if not tokens or tokens[0].spelling != "[":
        return None  # written by a macro: its tokens are not here
    captures = capture_list(tokens)
    if not captures:
        return None
    for t in tokens:
        if t.spelling not in COROUTINE_KEYWORDS:
            continue  # a comment or a string literal is one token: never a keyword
        off = t.extent.start.offset
        if any(s <= off < e for s, e in nested):
            continue  # belongs to a nested lambda or local class
        capture_text = spell(captures)
        return (f"coroutine lambda captures [{capture_text}]: the captures dangle once the "
                f"lambda object is gone; pass them as parameters or use a member function "
                f"[{RULE}]")
    return None


def check_tu(source, args, root):
    """(errors, failures) of one translation unit: errors as (file, line, col, message)."""
    index = ci.Index.create()
    cwd = os.getcwd()
    try:
        tu = index.parse(source, args=args)
    except ci.TranslationUnitLoadError as e:
        return [], [f"{source}: error: libclang could not parse it ({e})"]
    finally:
        os.chdir(cwd)  # libclang moves the process into -working-directory
    failures = [f"{source}: error: parse failed: {d}" for d in tu.diagnostics
                if d.severity >= ci.Diagnostic.Error][:5]
    by_file = lambda_extents(tu.cursor, root)
    errors = []
    for spans in by_file.values():
        # One lambda can show up twice (written, and inside the implicit coroutine body).
        spans = list({(s, e, c.kind): (s, e, c) for s, e, c in spans}.values())
        spans.sort(key=lambda s: (s[0], -s[1]))
        for n, (start, end, cur) in enumerate(spans):
            if cur.kind != ci.CursorKind.LAMBDA_EXPR:
                continue
            nested = []
            for s, e, _ in spans[n + 1:]:
                if s >= end:
                    break
                if e <= end and (s, e) != (start, end):
                    nested.append((s, e))
            msg = check_lambda(cur, nested)
            if msg:
                loc = cur.extent.start
                errors.append((os.path.relpath(loc.file.name, root), loc.line, loc.column, msg))
    return errors, failures


def _check_entry(job):
    source, args, root = job
    return check_tu(source, args, root)


def tracked_files(root, *patterns):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--", *patterns],
                         check=True, capture_output=True, text=True).stdout
    return {os.path.join(root, p) for p in out.split("\0") if p}


def include_dirs(args, directory):
    dirs, it = [], iter(args)
    for a in it:
        if a in ("-I", "-iquote", "-isystem"):
            a = "-I" + next(it, "")
        if a.startswith("-I"):
            dirs.append(os.path.realpath(os.path.join(directory, a[2:])))
    return dirs


class IncludeScan:
    """The project files a source includes, transitively, by its #include "..." lines: a
    textual scan, cheap next to parsing, good enough to pick which units to parse."""

    def __init__(self, files):
        self.files = files  # the tracked files; includes of anything else are not followed
        self.direct = {}

    def _direct(self, path, dirs):
        if path not in self.direct:
            with open(path, "rb") as f:
                names = PROJECT_INCLUDE_RE.findall(f.read())
            found = []
            for name in (n.decode() for n in names):
                for d in [os.path.dirname(path)] + dirs:
                    candidate = os.path.realpath(os.path.join(d, name))
                    if candidate in self.files:
                        found.append(candidate)
                        break
            self.direct[path] = found
        return self.direct[path]

    def closure(self, source, dirs):
        seen, todo = set(), [source]
        while todo:
            for inc in self._direct(todo.pop(), dirs):
                if inc not in seen:
                    seen.add(inc)
                    todo.append(inc)
        return seen


def has_coroutine_keyword(path):
    with open(path, "rb") as f:
        return COROUTINE_KEYWORD_RE.search(f.read()) is not None


def units_to_parse(jobs, root):
    """The units worth parsing: those whose source holds a coroutine keyword, then enough
    others to reach every header that holds one. A lambda in a file without co_await,
    co_yield or co_return cannot be a coroutine (no project macro spells them)."""
    tracked = tracked_files(root, "*.h", "*.cc", "*.c")
    # Headers of the folders that are compiled (not, say, tests/lint's snippets).
    compiled_dirs = {os.path.dirname(src) for src, _, _ in jobs}
    sources = {src for src, _, _ in jobs}
    with_keyword = {f for f in tracked
                    if (f in sources or (f.endswith(".h") and os.path.dirname(f) in compiled_dirs))
                    and has_coroutine_keyword(f)}
    scan = IncludeScan(tracked)
    # args start with -working-directory DIR (see jobs_from_database)
    includes = {src: scan.closure(src, include_dirs(args, args[1])) for src, args, _ in jobs}
    chosen = [j for j in jobs if j[0] in with_keyword]
    covered = set().union(*(includes[j[0]] for j in chosen)) | {j[0] for j in chosen}
    for header in sorted(with_keyword - covered):
        if header in covered:
            continue
        includers = [j for j in jobs if header in includes[j[0]]]
        if includers:
            best = min(includers, key=lambda j: len(includes[j[0]]))  # the cheapest to parse
            chosen.append(best)
            covered |= includes[best[0]]
        else:
            # Included by nothing compiled yet: parsed alone as C++, with the arguments of a
            # unit of its own folder (its include paths and defines).
            near = [j for j in jobs if os.path.dirname(j[0]) == os.path.dirname(header)]
            _, args, _ = near[0]
            chosen.append((header, args + ["-x", "c++"], root))
    return chosen


def jobs_from_database(build_dir, root, wanted):
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    tracked = tracked_files(root, "*.cc", "*.c")
    wanted = {os.path.realpath(w) for w in wanted}
    jobs = []
    for e in entries:
        source = os.path.realpath(os.path.join(e["directory"], e["file"]))
        if source not in tracked or (wanted and source not in wanted):
            continue  # generated code, or not asked for
        args = compile_args(e)
        # Relative include paths in the command are relative to its directory.
        jobs.append((source, ["-working-directory", e["directory"]] + args, root))
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-p", dest="build_dir", default=None,
                        help="build directory holding compile_commands.json (build/asan)")
    parser.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--all", action="store_true",
                        help="parse every unit, not only those that can hold a coroutine")
    parser.add_argument("--list-units", action="store_true",
                        help="print the compiled units it would parse, and stop")
    parser.add_argument("--source", help="check this file alone, with the arguments after --")
    parser.add_argument("files", nargs="*")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    opts = parser.parse_args(argv)

    if opts.source:
        source = os.path.realpath(opts.source)
        jobs = [(source, extra, os.path.dirname(source))]
    else:
        root = repo_root()
        build_dir = os.path.realpath(opts.build_dir or os.path.join(root, "build", "asan"))
        jobs = jobs_from_database(build_dir, root, opts.files)
        if not jobs:
            sys.exit(f"lint_coroutine_captures: no tracked sources in {build_dir}"
                     "/compile_commands.json")
        if not opts.files and not opts.all:
            jobs = units_to_parse(jobs, root)
        if opts.list_units:  # what scripts/lint hands clang-tidy: compiled units only
            print("\n".join(sorted({src for src, args, _ in jobs if "-x" not in args})))
            return 0

    seen, failures = set(), []
    with multiprocessing.Pool(max(1, min(opts.jobs, len(jobs)))) as pool:
        for errors, failed in pool.imap_unordered(_check_entry, jobs):
            failures += failed
            seen.update(errors)  # a header's lambdas show up once per includer
    for path, line, col, msg in sorted(seen):
        print(f"{path}:{line}:{col}: error: {msg}")
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        return 2
    return 1 if seen else 0


if __name__ == "__main__":
    sys.exit(main())
