"""What a failed step's summary says: its headline and the error at the end of its log."""

from __future__ import annotations

import pytest

from jupyter_pipelines.executors.base import failure_cause, failure_summary

TRACEBACK = """\
step 'train' exited with code 1
reading data
Traceback (most recent call last):
  File "train.py", line 9, in <module>
    main()
  File "train.py", line 6, in main
    raise ValueError("lr must be positive")
ValueError: lr must be positive
"""

CHAINED = """\
step 'train' exited with code 1
Traceback (most recent call last):
  File "train.py", line 2, in <module>
    open("missing.csv")
FileNotFoundError: [Errno 2] No such file or directory: 'missing.csv'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "train.py", line 4, in <module>
    raise RuntimeError("no data")
RuntimeError: no data
"""


def test_the_cause_is_the_exception_line_of_the_last_traceback() -> None:
    assert failure_cause(TRACEBACK) == "ValueError: lr must be positive"
    assert failure_cause(CHAINED) == "RuntimeError: no data"
    assert failure_summary(TRACEBACK) == (
        "step 'train' exited with code 1: ValueError: lr must be positive"
    )


def test_a_multi_line_exception_message_gives_its_first_line() -> None:
    text = TRACEBACK.replace(
        "ValueError: lr must be positive\n", "ValueError: lr must be positive\nsee the docs\n"
    )
    assert failure_cause(text) == "ValueError: lr must be positive"


def test_without_a_traceback_the_cause_is_the_last_line_of_the_log() -> None:
    text = "step 'x' exited with code 127\nstarting\nbash: nosuch: command not found\n\n"
    assert failure_summary(text) == "step 'x' exited with code 127: bash: nosuch: command not found"


def test_a_tail_cut_inside_a_traceback_still_gives_its_exception_line() -> None:
    text = "step 'x' exited with code 1\n    frame()\n  File 'y'\nKeyError: 'alpha'\n"
    assert failure_cause(text) == "KeyError: 'alpha'"


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (None, ""),
        ("", ""),
        ("not run: upstream step 'a' failed", "not run: upstream step 'a' failed"),
        # A headline that already says the error is not repeated.
        (
            "notebook 'nb.ipynb' failed in cell 3: ValueError: bad\n---\nValueError: bad",
            "notebook 'nb.ipynb' failed in cell 3: ValueError: bad",
        ),
    ],
)
def test_headlines_alone(error: str | None, summary: str) -> None:
    assert failure_summary(error) == summary
