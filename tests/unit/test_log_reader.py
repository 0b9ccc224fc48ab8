"""Reading logs by byte ranges (engine/log_reader.py) and the event stream's cursor: every
reader cuts the same lines and pieces wherever it stopped before, tails read from the end,
capped ranges rejoin exactly."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from jupyter_pipelines.engine import log_reader as lr
from jupyter_pipelines.engine.log_reader import (
    MAX_LINE,
    copy_text,
    read_lines,
    read_range,
    resume_point,
    split_block,
    tail_lines,
)

pytest.importorskip("jupyter_server")

from jupyter_pipelines.server.event_reader import Cursor


def random_log(seed: int) -> bytes:
    """Lines of every kind: empty, short, multibyte, longer than MAX_LINE (also exactly)."""
    rng = random.Random(seed)
    parts = []
    for _ in range(60):
        kind = rng.random()
        if kind < 0.1:
            parts.append(b"")
        elif kind < 0.2:
            parts.append("ł€𝄞".encode() * rng.randint(MAX_LINE // 9, MAX_LINE // 2))
        elif kind < 0.25:
            parts.append(b"y" * rng.choice([MAX_LINE - 1, MAX_LINE, MAX_LINE + 1]))
        else:
            parts.append(f"line {rng.random()} zażółć".encode() * rng.randint(1, 20))
    data = b"\n".join(parts)
    return data if rng.random() < 0.5 else data + b"\n"


def whole(data: bytes) -> list[str]:
    found, used = split_block(data, last=True)
    assert used == len(data)
    return [line.decode("utf-8", "replace") for line in found]


@pytest.mark.parametrize("seed", range(8))
def test_a_growing_log_read_in_any_steps_gives_the_lines_of_the_whole(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    data = random_log(seed)
    path = tmp_path / "log"
    path.write_bytes(b"")
    got: list[str] = []
    offset, written = 0, 0
    while written < len(data):
        written = min(len(data), written + rng.randint(1, 200_000))
        with path.open("ab") as fh:
            fh.write(data[fh.tell() : written])
        while True:  # read what there is, in blocks of any size (more than MAX_LINE)
            chunk = read_lines(path, offset, max_bytes=rng.randint(MAX_LINE + 1, 4 * MAX_LINE))
            if chunk.offset == offset:
                break
            got += chunk.lines
            offset = chunk.offset
        # Where this reader stands is where any reader that read everything stands.
        assert resume_point(path) == offset
    got += read_lines(path, offset, final=True, max_bytes=len(data) + 1).lines
    assert got == whole(data)
    assert all(len(line.encode()) <= MAX_LINE for line in got)


def test_a_reader_stops_at_a_given_end_and_takes_its_rest_when_final(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"one\ntwo\nthree")
    assert read_lines(path, 0) == lr.LineChunk(["one", "two"], 8)
    assert read_lines(path, 0, 6) == lr.LineChunk(["one"], 4)
    assert read_lines(path, 0, 6, final=True) == lr.LineChunk(["one", "tw"], 6)
    assert read_lines(path, 8, final=True) == lr.LineChunk(["three"], 13)
    assert read_lines(tmp_path / "missing", 0, final=True) == lr.LineChunk([], 0)


def test_long_lines_are_cut_at_character_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"a" + "€".encode() * MAX_LINE + b"\n")
    lines = read_lines(path, 0, final=True, max_bytes=10 * MAX_LINE).lines
    assert "".join(lines) == "a" + "€" * MAX_LINE
    assert all(len(line.encode()) <= MAX_LINE and "\ufffd" not in line for line in lines)


@pytest.mark.parametrize("seed", range(4))
def test_tail_lines_reads_the_last_lines_from_the_end(tmp_path: Path, seed: int) -> None:
    data = random_log(seed).replace(b"y" * MAX_LINE, b"y")  # no pieces: plain lines
    path = tmp_path / "log"
    path.write_bytes(data)
    lines = data.decode().split("\n")
    if lines[-1] == "":
        lines.pop()
    for count in (1, 2, 10, 59, 60, 61, 1000):
        assert tail_lines(path, count, block=997) == lines[-count:]
    assert tail_lines(path, 0) == []
    path.write_bytes(b"")
    assert tail_lines(path, 3) == []
    path.write_bytes(b"\n\n")
    assert tail_lines(path, 3) == ["", ""]


def test_capped_ranges_end_at_character_boundaries_and_rejoin(tmp_path: Path) -> None:
    text = "zażółć gęślą jaźń 𝄞\n" * 300
    path = tmp_path / "log"
    path.write_text(text)
    for cap in (1, 2, 3, 5, 1000, 4096):
        parts, offset = [], 0
        while True:
            part = read_range(path, offset, cap)
            parts.append(part.text)
            offset = part.next_offset
            if not part.truncated:
                break
        assert "".join(parts) == text
    assert read_range(path, 10**9, 10).text == "" and read_range(path, 10**9, 10).offset == (
        path.stat().st_size
    )
    assert "".join(copy_text(path)) == text
    assert list(copy_text(tmp_path / "missing")) == []


def test_cursors_are_written_and_read_back() -> None:
    assert str(Cursor()) == "0" and Cursor.parse("") == Cursor() == Cursor.parse("0")
    cursor = Cursor(41, ((38, "stderr", 17), (38, "stdout", 2048), (40, "stdout", 5)))
    assert str(cursor) == "41.38e17.38o2048.40o5"
    assert Cursor.parse("41.40o5.38o2048.38e17.39o0") == cursor
    assert Cursor.parse("45.end") == Cursor(45, (), True)
    for bad in ("x", "-1", "3.4q5", "3.end.9o1", "3..4o1", "1.2.3"):
        with pytest.raises(ValueError, match="'after' must be the id of a message"):
            Cursor.parse(bad)
