"""Messages between the runner and its workers: length-prefixed pickles over pipes.

A worker gets mini-batches on one pipe and answers on another, so that what the entry
script prints (its stdout and stderr go to the worker's log) never mixes with messages.
The worker says ``ready`` (or ``init_error``) once, then ``done`` or ``error`` per mini-batch.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import IO, Any

_HEADER = struct.Struct("!I")


def encode(message: Any) -> bytes:
    """One frame: the pickle's length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to a (blocking) file descriptor."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(stream: IO[bytes]) -> Any:
    """The next message from a blocking stream; None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    body = _read_exactly(stream, size)
    if body is None:
        return None
    return pickle.loads(body)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class FrameBuffer:
    """Bytes read from a non-blocking pipe, cut into messages as they complete."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        """Add bytes; return the messages they complete."""
        self._data += data
        messages = []
        while len(self._data) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._data)
            end = _HEADER.size + size
            if len(self._data) < end:
                break
            messages.append(pickle.loads(bytes(self._data[_HEADER.size : end])))
            del self._data[:end]
        return messages
