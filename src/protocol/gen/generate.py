#!/usr/bin/env python3
"""Vltava protocol code generator (Python 3 standard library only).

  generate.py --check FILE...        parse and validate schema files; errors as file:line: message
  generate.py --table FILE...        print a markdown table of the APIs (for src/protocol/README.md)
  generate.py --out DIR --overrides FILE --src SRC_DIR FILE...
                                     write C++ for each schema file into DIR (build directory)
  generate.py --out DIR --table-cc FILE...     write api_table.cc for all files
  generate.py --out DIR --registry-cc FILE...  write roundtrip_registry.cc (tests) for all

The schema format is docs/formats/protocol-schema.md. Exit status 1 on any error.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import schema as sch  # noqa: E402


def report(errors):
    bad = False
    first = {}
    for e in errors:
        first.setdefault(e[0], len(first))
    for path, line, msg in sorted(errors, key=lambda e: (first[e[0]], e[1])):
        print("%s:%d: %s" % (path, line, msg), file=sys.stderr)
        if sch.is_error((path, line, msg)):
            bad = True
    return bad


def table(schemas):
    rows = ["| Key | API | Versions | Flexible from | Listeners |",
            "|----:|-----|----------|---------------|-----------|"]
    for s in sorted((s for s in schemas if s.kind == "api"), key=lambda s: s.key):
        rows.append("| %d | %s | %s | %s | %s |" % (
            s.key, s.name, s.versions, "v%d" % s.flexible if s.flexible is not None else "—",
            ", ".join(s.listeners)))
    msgs = [s for s in schemas if s.kind == "message"]
    if msgs:
        rows.append("")
        rows.append("| Message | Versions | Flexible from |")
        rows.append("|---------|----------|---------------|")
        for s in sorted(msgs, key=lambda s: s.name):
            rows.append("| %s | %s | %s |" % (
                s.name, s.versions, "v%d" % s.flexible if s.flexible is not None else "—"))
    return "\n".join(rows)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="validate only")
    ap.add_argument("--table", action="store_true", help="print the README table of APIs")
    ap.add_argument("--table-cc", action="store_true", help="write api_table.cc into --out")
    ap.add_argument("--registry-cc", action="store_true",
                    help="write roundtrip_registry.cc (the test list) into --out")
    ap.add_argument("--out", help="output directory (build tree)")
    ap.add_argument("--overrides", help="override table (src/protocol/schema/overrides)")
    ap.add_argument("--src", help="source root (src/), to find override headers")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)

    errors = []
    schemas = sch.parse_all(args.files, errors)
    if report(errors):
        return 1
    if args.check:
        return 0
    if args.table:
        print(table(schemas))
        return 0
    if not args.out:
        ap.error("--out is required to generate code")
    import cppgen  # noqa: E402
    os.makedirs(args.out, exist_ok=True)
    if args.table_cc:
        cppgen.write_tables(schemas, args.out)
        return 0
    if args.registry_cc:
        cppgen.write_registry(schemas, args.out)
        return 0
    overrides = cppgen.load_overrides(args.overrides, args.src, errors) if args.overrides else []
    if report(errors):
        return 1
    for s in schemas:
        cppgen.write_schema(s, overrides, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
