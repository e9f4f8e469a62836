"""Helpers shared by the tests of the ``tmsim`` command line (in-process through ``tmsim.cli.main``)."""

from __future__ import annotations

from tmsim.cli import main


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``tmsim ARGV`` in-process: (exit status, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(capsys, *argv: str) -> str:
    """Exit status 2 and exactly one line ``tmsim: error: ...`` on stderr, no traceback, nothing on stdout."""
    code, out, err = cli(capsys, *argv)
    assert code == 2, (argv, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmsim: error: "), err
    assert "Traceback" not in err and out == ""
    return lines[0]
