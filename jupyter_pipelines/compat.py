"""Markers for the v1 SDK members that have no local meaning: accepted but ignored
(``cloud_only``) or refused with the local alternative named (``refused``).

Every v1 member we provide is one of three things, and docs/v1-compatibility.md is generated
from these markers (tests/v1/reference.py): it *works* (unmarked), it is *cloud-only* (it
runs, does what can be done locally, warns once that the rest is ignored, and returns what
v1 code expects), or it is *refused* (it raises :class:`NotSupportedError` naming what to
use instead). Standard library only: the step runtime uses it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import NotSupportedError

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute set on a marked function: ("cloud-only" | "refused", the reason or alternative).
MARK = "__v1_compat__"

_warned: set[str] = set()


class V1CompatibilityWarning(UserWarning):
    """A cloud-only v1 member or argument was used; its cloud part is ignored here."""


def warn_cloud_only(what: str, reason: str) -> None:
    """Warn once per process that ``what`` is ignored, and why."""
    if what in _warned:
        return
    _warned.add(what)
    warnings.warn(f"{what} is ignored locally: {reason}", V1CompatibilityWarning, stacklevel=3)


def cloud_only(reason: str, *, warn: bool = True) -> Callable[[F], F]:
    """Mark a v1 member that runs but whose cloud part is ignored, for ``reason``.

    The function still runs (it returns what v1 code expects, often None); with ``warn``
    the first call in a process warns with the reason.
    """

    def mark(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if warn:
                warn_cloud_only(fn.__qualname__, reason)
            return fn(*args, **kwargs)

        setattr(wrapper, MARK, ("cloud-only", reason))
        return wrapper  # type: ignore[return-value]

    return mark


def refused(alternative: str) -> Callable[[F], F]:
    """Mark a v1 member that cannot work locally: calling it raises NotSupportedError
    whose message names ``alternative``, the local way to do the same thing."""

    def mark(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raise NotSupportedError(
                f"{fn.__qualname__} is not available locally (it needs the Azure ML "
                f"service); instead, {alternative}"
            )

        setattr(wrapper, MARK, ("refused", alternative))
        return wrapper  # type: ignore[return-value]

    return mark


def marking(member: Any) -> tuple[str, str] | None:
    """The marker of a class member (function, static/class method or property), if any."""
    for candidate in (member, getattr(member, "__func__", None), getattr(member, "fget", None)):
        mark = getattr(candidate, MARK, None) if candidate is not None else None
        if mark is not None:
            return tuple(mark)  # type: ignore[return-value]
    return None
