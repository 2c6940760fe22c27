#!/usr/bin/env python3
"""Checks of generate.py itself: good test schemas pass --check, bad ones fail with the
expected file:line messages. Run by ctest (protocol_generator_test)."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "generate.py")


def run(*args):
    p = subprocess.run([sys.executable, GEN] + list(args), capture_output=True, text=True)
    return p.returncode, p.stderr


def main():
    failures = []
    good = [os.path.join(HERE, "testdata", f) for f in
            ("vltava_test_echo.api", "vltava_test_header.api")]
    rc, err = run("--check", *good)
    if rc != 0:
        failures.append("good schemas rejected:\n" + err)
    bad = os.path.join(HERE, "testdata", "bad", "vltava_test_bad.api")
    rc, err = run("--check", bad)
    if rc != 1:
        failures.append("bad schema accepted")
    expected = [
        ":6: unknown type 'int33'",
        ":7: field versions 5+ outside message versions 0-3",
        ":8: nullable on type int32",
        ":9: bad indentation: 3 spaces",
        ":10: tagged field 'e' in a message with no flexible versions",
        ":12: struct Missing referenced but not defined",
        ":13: default of string must be",
        ":14: default 300 out of range for int8",
        ":15: struct Thing referenced but not defined",
        ":17: bad indentation: field 'i2' of type int32 has no nested fields",
    ]
    for e in expected:
        if e not in err:
            failures.append("missing error %r in:\n%s" % (e, err))
    rc, out = run("--table", *good)
    if rc != 0:
        failures.append("--table failed")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
