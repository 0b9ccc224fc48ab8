"""The v1 compatibility table is current, and what it says works accepts v1's calls."""

from __future__ import annotations

import difflib
import inspect

import pytest
import reference

from jupyter_pipelines.compat import marking
from jupyter_pipelines.errors import NotSupportedError


def test_the_table_in_docs_is_current(v1_reference: reference.Reference) -> None:
    """docs/v1-compatibility.md is what the wheels and our markers say today."""
    expected = reference.render_table(v1_reference)
    actual = reference.TABLE_PATH.read_text()
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    actual.splitlines(True), expected.splitlines(True), "docs", "generated"
                )
            )[:60]
        )
        pytest.fail(
            "docs/v1-compatibility.md is stale; run `python tests/v1/reference.py --write`\n" + diff
        )


def test_every_member_we_have_accepts_v1_signature(v1_reference: reference.Reference) -> None:
    """Names in v1's order with v1's defaults, for every v1 member we provide."""
    figures = reference.measure(v1_reference)
    assert [str(m) for m in figures.mismatches] == []


def test_refused_members_raise_naming_the_alternative(
    v1_reference: reference.Reference,
) -> None:
    for dotted, members in v1_reference.classes.items():
        cls = reference.ours(reference.CLASSES[dotted])
        if cls is None:
            continue
        for member in members.values():
            if not reference.has_member(cls, member):
                continue
            raw = reference.our_member(cls, member)
            mark = marking(raw)
            if mark is None or mark[0] != "refused":
                continue
            fn = raw.fget if isinstance(raw, property) else getattr(raw, "__func__", raw)
            with pytest.raises(NotSupportedError, match="instead"):
                fn(*([None] * _required(fn)))


def _required(fn: object) -> int:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return sum(
        1
        for p in sig.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
