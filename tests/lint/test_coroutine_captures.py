"""scripts/lint_coroutine_captures.py on the snippets in snippets/: each line marked
"// LINT-ERROR" is reported, and nothing else."""

import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SNIPPETS = os.path.join(HERE, "snippets")
CHECKER = os.path.join(HERE, "..", "..", "scripts", "lint_coroutine_captures.py")
REPORT = re.compile(r"^(\S+?):(\d+):(\d+): error: coroutine lambda captures \[(.*?)\]:")


def check(name):
    """(exit status, {(file, line): captures}, stderr) of the checker on one snippet."""
    run = subprocess.run(
        ["/usr/bin/python3", CHECKER, "--source", os.path.join(SNIPPETS, name), "--",
         "-std=c++20"],
        capture_output=True, text=True, timeout=120)
    reported = {}
    for line in run.stdout.splitlines():
        m = REPORT.match(line)
        assert m, f"unexpected output: {line}"
        reported[(m.group(1), int(m.group(2)))] = m.group(4)
    return run.returncode, reported, run.stderr


def marked(name):
    with open(os.path.join(SNIPPETS, name)) as f:
        return {(name, n) for n, text in enumerate(f, 1) if "// LINT-ERROR" in text}


@pytest.mark.parametrize("name", ["capturing.cc", "nested.cc"])
def test_reports_exactly_the_marked_lambdas(name):
    status, reported, stderr = check(name)
    assert stderr == ""
    assert status == 1
    assert set(reported) == marked(name)


@pytest.mark.parametrize("name", ["non_capturing.cc", "not_coroutine.cc"])
def test_reports_nothing(name):
    assert marked(name) == set()
    assert check(name) == (0, {}, "")


def test_names_the_captures():
    _, reported, _ = check("capturing.cc")
    assert sorted(reported.values()) == sorted(
        ["this", "x", "&y", "&", "=", "z = std::move(x)", "x, &y", "t"])


def test_a_unit_that_does_not_parse_fails_the_check():
    status, reported, stderr = check("broken.cc")
    assert status == 2
    assert "undeclared_function" in stderr
