"""Step logs read by byte ranges in bounded memory: lines from an offset, the last lines
from the end, and capped ranges, whatever the size of the log.

Lines are split at ``\\n``. A line longer than ``MAX_LINE`` bytes comes in pieces of at most
``MAX_LINE`` bytes (cut at a UTF-8 character boundary), counted from the line's start, so
that every reader, whatever its block size and wherever it stopped before, cuts the same
pieces: the offsets where a reader stops (``LineChunk.offset``) are the same for all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: How much one read takes at most (bytes).
BLOCK = 256 * 1024
#: The longest line delivered whole; a longer one comes in pieces of at most this many bytes.
MAX_LINE = 64 * 1024

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class LineChunk:
    """Lines read from a log, and the offset right after the last of them."""

    lines: list[str]
    offset: int


def file_size(path: PathLike) -> int:
    """The size of a log (0 when it does not exist yet)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def char_boundary(data: bytes, limit: int) -> int:
    """The largest cut ``<= limit`` that does not split a UTF-8 character of ``data``
    (``limit`` itself when the bytes there are not UTF-8)."""
    cut = limit
    while 0 < cut < len(data) and limit - cut < 3 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    if cut == 0 or (cut < len(data) and data[cut] & 0xC0 == 0x80):
        return limit
    return cut


def _pieces(line: bytes, out: list[bytes]) -> bytes:
    """Cut pieces of ``MAX_LINE`` bytes off ``line`` into ``out`` while it is longer; the rest."""
    while len(line) > MAX_LINE:
        cut = char_boundary(line, MAX_LINE)
        out.append(line[:cut])
        line = line[cut:]
    return line


def split_block(data: bytes, last: bool) -> tuple[list[bytes], int]:
    """The lines and pieces of a block that starts at a line or piece boundary, and how many
    bytes they take. The unterminated rest of the block counts only when ``last``."""
    found: list[bytes] = []
    start = 0
    while (newline := data.find(b"\n", start)) != -1:
        found.append(_pieces(data[start:newline], found))
        start = newline + 1
    rest = _pieces(data[start:], found)
    used = len(data) - len(rest)
    if last and rest:
        found.append(rest)
        used = len(data)
    return found, used


def _decode(lines: list[bytes]) -> list[str]:
    return [line.decode("utf-8", errors="replace") for line in lines]


def read_lines(
    path: PathLike,
    offset: int,
    end: int | None = None,
    *,
    final: bool = False,
    max_bytes: int = BLOCK,
) -> LineChunk:
    """The lines of ``path`` from ``offset`` (a line or piece boundary) up to ``end`` (the
    file's size when None), reading at most ``max_bytes`` (more than ``MAX_LINE``).

    The unterminated rest at ``end`` is a line only when ``final`` (the step ended, or
    ``end`` is known to be a boundary); otherwise it is left for the next read. Call again
    from the returned offset until it reaches ``end``.
    """
    stop = file_size(path) if end is None else min(end, file_size(path))
    if stop <= offset:
        return LineChunk([], offset)
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(min(max_bytes, stop - offset))
    found, used = split_block(data, last=final and offset + len(data) >= stop)
    return LineChunk(_decode(found), offset + used)


def resume_point(path: PathLike) -> int:
    """Where a reader that read all of ``path`` so far (not final) stands now: right after
    the last complete line, or after the last whole piece of an unterminated long line."""
    size = file_size(path)
    start = _after_last_newline(path, size)
    if size - start <= MAX_LINE:
        return start
    with open(path, "rb") as fh:
        while size - start > MAX_LINE:
            fh.seek(start)
            start += char_boundary(fh.read(MAX_LINE + 1), MAX_LINE)
    return start


def _after_last_newline(path: PathLike, size: int, block: int = BLOCK) -> int:
    """The offset right after the last ``\\n`` of the first ``size`` bytes (0 when none)."""
    if size == 0:
        return 0
    with open(path, "rb") as fh:
        pos = size
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            found = fh.read(step).rfind(b"\n")
            if found != -1:
                return pos + found + 1
    return 0


def tail_lines(path: PathLike, count: int, block: int = 64 * 1024) -> list[str]:
    """The last ``count`` lines of ``path``, read backwards from its end in blocks (a
    trailing newline ends the last line; it does not start an empty one)."""
    if count <= 0 or file_size(path) == 0:
        return []
    chunks: list[bytes] = []
    newlines = 0
    with open(path, "rb") as fh:
        pos = fh.seek(0, os.SEEK_END)
        # count + 1 newlines: every wanted line's end, and the end of the line before them.
        while pos > 0 and newlines <= count:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            chunks.append(fh.read(step))
            newlines += chunks[-1].count(b"\n")
    lines = b"".join(reversed(chunks)).split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return _decode(lines[-count:])


def copy_text(path: PathLike) -> Iterator[str]:
    """The text of ``path`` in blocks of at most ``BLOCK`` bytes (never split inside a
    UTF-8 character), for printing a log of any size; nothing when it does not exist."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError:
        return
    with fh:
        carry = b""
        while block := fh.read(BLOCK):
            data = carry + block
            cut = _complete_utf8(data)
            carry = data[cut:]
            yield data[:cut].decode("utf-8", errors="replace")
        if carry:
            yield carry.decode("utf-8", errors="replace")


def _complete_utf8(data: bytes) -> int:
    """The length of ``data`` without an unfinished UTF-8 character at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:
            continue  # a continuation byte: look further back for its lead byte
        if byte < 0x80:
            return len(data)
        width = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
        return len(data) - back if width > back else len(data)
    return len(data)


def _first_char(data: bytes) -> int:
    """The length of the UTF-8 character ``data`` starts with (1 when it is not one)."""
    lead = data[0]
    width = (
        2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 1
    )
    return min(width, len(data))


@dataclass(frozen=True)
class ByteRange:
    """A range of a log as text: where it starts, where the next one starts, the log's size."""

    offset: int
    next_offset: int
    size: int
    text: str

    @property
    def truncated(self) -> bool:
        """True when the log goes on after this range."""
        return self.next_offset < self.size


def read_range(path: PathLike, offset: int, max_bytes: int) -> ByteRange:
    """At most ``max_bytes`` of ``path`` from ``offset``, ending at a UTF-8 character
    boundary, so that consecutive ranges rejoin exactly (a ``max_bytes`` smaller than the
    first character still gets that character whole)."""
    size = file_size(path)
    start = min(max(offset, 0), size)
    data = b""
    if size > start:
        with open(Path(path), "rb") as fh:
            fh.seek(start)
            # 3 bytes more: the rest of a character that starts within max_bytes
            data = fh.read(min(max_bytes + 3, size - start))
    if len(data) > max_bytes:
        data = data[: _complete_utf8(data[:max_bytes]) or _first_char(data)]
    return ByteRange(start, start + len(data), size, data.decode("utf-8", errors="replace"))


__all__ = [
    "BLOCK",
    "MAX_LINE",
    "ByteRange",
    "LineChunk",
    "copy_text",
    "file_size",
    "read_lines",
    "read_range",
    "resume_point",
    "split_block",
    "tail_lines",
]
