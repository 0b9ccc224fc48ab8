"""Content hashing (BLAKE3 over bytes, files, canonical JSON) and the stat cache."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from jupyter_pipelines.reuse import statcache
from jupyter_pipelines.reuse.hashing import canonical_json, hash_bytes, hash_document, hash_file
from jupyter_pipelines.reuse.statcache import StatCache, StatKey

# Published BLAKE3 test vectors (the reference implementation's README and b3sum).
BLAKE3_EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
BLAKE3_ABC = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"


# -- bytes and files ---------------------------------------------------------------------
def test_hash_bytes_is_blake3_hex() -> None:
    assert hash_bytes(b"") == BLAKE3_EMPTY
    assert hash_bytes(b"abc") == BLAKE3_ABC
    # Pinned: a change of algorithm would silently invalidate every stored fingerprint.
    assert (
        hash_bytes(b"jupyter_pipelines")
        == "9bef9fcbecf26571f4fc77b391186e596680f5830f6a98ebd5147dce752086ad"
    )


@pytest.mark.parametrize("size", [0, 1, 1000, (1 << 20) - 1, 1 << 20, (3 << 20) + 17])
def test_hash_file_equals_hash_of_its_bytes(tmp_path: Path, size: int) -> None:
    # Sizes on both sides of the memory-map threshold and of the read chunk.
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hash_file(path) == hash_bytes(data)
    assert hash_file(str(path)) == hash_bytes(data)


def test_hash_file_sees_a_one_byte_change(tmp_path: Path) -> None:
    data = bytearray(os.urandom(2 << 20))
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    before = hash_file(path)
    data[-1] ^= 1
    path.write_bytes(data)
    assert hash_file(path) != before


def test_hash_file_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "nope")


# -- canonical JSON ----------------------------------------------------------------------
def test_canonical_json_sorts_keys_has_no_spaces_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"], "c": {"z": None, "y": 1.5}}) == (
        '{"a":[1,"é"],"b":1,"c":{"y":1.5,"z":null}}'.encode()
    )


def test_canonical_json_rejects_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_hash_document_ignores_key_order_but_not_values_or_types() -> None:
    doc = {"b": 1, "a": [1, "é"]}
    assert hash_document(doc) == hash_document({"a": [1, "é"], "b": 1})
    assert hash_document(doc) == "a99274159000339719b910ceaf610c351d18722f6f30892e9aa672b70ef0fd5c"
    assert hash_document(doc) == hash_bytes(canonical_json(doc))
    assert hash_document({"a": 1}) != hash_document({"a": "1"})
    assert hash_document({"a": [1, 2]}) != hash_document({"a": [2, 1]})


# -- stat cache --------------------------------------------------------------------------
def _old_file(path: Path, text: str) -> os.stat_result:
    path.write_text(text)
    past = time.time() - 100
    os.utime(path, (past, past))
    return os.stat(path)


def test_stat_cache_remembers_and_loads_by_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statcache, "RACY_SECONDS", 0.0)
    root = tmp_path / "src"
    sibling = tmp_path / "src2"
    root.mkdir()
    sibling.mkdir()
    a = root / "a.py"
    b = sibling / "b.py"
    key_a, key_b = StatKey.of(_old_file(a, "a")), StatKey.of(_old_file(b, "b"))
    cache = StatCache(tmp_path / "cache" / "stat.db")
    cache.store([(str(a), key_a, "ha"), (str(b), key_b, "hb")])
    # A fresh object reads what an earlier one wrote (another process, in real use).
    loaded = StatCache(tmp_path / "cache" / "stat.db").load_prefix(str(root))
    assert loaded == {str(a): (key_a, "ha")}  # 'src2' is not inside 'src'
    assert StatCache(tmp_path / "cache" / "stat.db").load_prefix(str(sibling) + os.sep) == {
        str(b): (key_b, "hb")
    }


def test_stat_cache_does_not_store_racily_recent_files(tmp_path: Path) -> None:
    path = tmp_path / "fresh.py"
    path.write_text("just written")
    cache = StatCache(tmp_path / "stat.db")
    cache.store([(str(path), StatKey.of(os.stat(path)), "h")])
    assert cache.load_prefix(str(tmp_path)) == {}


def test_stat_key_changes_when_a_file_is_rewritten_with_the_same_size_and_mtime(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.txt"
    st = _old_file(path, "aaaa")
    before = StatKey.of(st)
    path.write_text("bbbb")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = StatKey.of(os.stat(path))
    assert (after.size, after.mtime) == (before.size, before.mtime)
    assert after != before  # the ctime gives it away


def test_a_corrupt_stat_cache_is_a_miss_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "stat.db"
    db.write_bytes(b"this is not a database" * 100)
    cache = StatCache(db)
    assert cache.load_prefix(str(tmp_path)) == {}
    cache.store([(str(db), StatKey(1, 1, 1, 1), "h")])  # must not raise
    assert "stat cache" in caplog.text


def test_a_stat_cache_with_a_foreign_table_is_a_miss(tmp_path: Path) -> None:
    db = tmp_path / "stat.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE stat (x TEXT)")
    cache = StatCache(db)
    assert cache.load_prefix(str(tmp_path)) == {}
    cache.store([(str(db), StatKey(1, 1, 1, 1), "h")])
