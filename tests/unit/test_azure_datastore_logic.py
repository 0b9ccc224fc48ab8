"""The pure parts of the Azure datastores: v1's address rule, connection strings, glob
matching on listed names, and the secret store (no network, no adlfs needed)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from jupyter_pipelines.errors import DatastoreError
from jupyter_pipelines.stores import azure_listing as listing
from jupyter_pipelines.stores.azure_blob import (
    Connection,
    account_url,
    connection_address,
    parse_connection_string,
)
from jupyter_pipelines.stores.secrets import SecretStore, is_secret_name, redact, split_secrets


def test_address_rule_of_v1_and_path_style_for_host_port() -> None:
    assert account_url("acct") == "https://acct.blob.core.windows.net"
    assert account_url("acct", "HTTPS", "core.usgovcloudapi.net") == (
        "https://acct.blob.core.usgovcloudapi.net"
    )
    assert account_url("devstoreaccount1", "http", "127.0.0.1:10000") == (
        "http://127.0.0.1:10000/devstoreaccount1"
    )
    assert (
        account_url("acct", None, "privatelink.local:443") == "https://privatelink.local:443/acct"
    )
    assert account_url("acct", service="dfs") == "https://acct.dfs.core.windows.net"
    with pytest.raises(DatastoreError, match="use 'https'"):
        account_url("acct", "ftp")
    with pytest.raises(DatastoreError, match="holds a protocol"):
        account_url("acct", "http", "http://127.0.0.1:10000")


def test_connection_strings() -> None:
    emulator = "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=S3cr3t==;BlobEndpoint=http://127.0.0.1:1/dev;"
    assert connection_address(emulator) == ("dev", "http://127.0.0.1:1/dev")
    cloud = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k;EndpointSuffix=core.net"
    assert connection_address(cloud) == ("acct", "https://acct.blob.core.net")
    assert connection_address("UseDevelopmentStorage=true")[0] == "devstoreaccount1"
    assert parse_connection_string(emulator)["accountkey"] == "S3cr3t=="  # '=' inside a value
    with pytest.raises(DatastoreError, match="malformed"):
        parse_connection_string("just-a-key")
    sas = Connection(
        "acct",
        "https://acct.blob.core.windows.net",
        connection_string="BlobEndpoint=https://x;SharedAccessSignature=sv=1&sig=abc",
    )
    assert sas.credential_type == "Sas" and "abc" not in repr(sas)
    assert Connection("a", "u", account_key="k").credential_type == "AccountKey"
    assert Connection("a", "u", client_secret="s").credential_type == "ServicePrincipal"
    assert Connection("a", "u").credential_type == "None"


NAMES = [
    "folder/2024/jan/a.csv",
    "folder/2024/jan/notes.txt",
    "folder/2024/b.csv",
    "folder/c.csv",
    "other/d.csv",
]


def matches(pattern: str) -> list[str]:
    base = listing.magic_free_base(pattern)
    regex = re.compile(listing.glob_regex(pattern))
    return [n for n in NAMES if any(regex.fullmatch(p) for p in listing.self_and_parents(n, base))]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("folder/**/*.csv", ["folder/2024/jan/a.csv", "folder/2024/b.csv", "folder/c.csv"]),
        ("folder/*.csv", ["folder/c.csv"]),
        ("folder/*/jan", ["folder/2024/jan/a.csv", "folder/2024/jan/notes.txt"]),  # a folder
        ("*/c.csv", ["folder/c.csv"]),
        ("folder/2024/?.csv", ["folder/2024/b.csv"]),
        ("folder/2024/[ab].csv", ["folder/2024/b.csv"]),
        ("folder/2024/[!b].csv", []),
        ("**", NAMES),
    ],
)
def test_globs_match_as_datastore_globs_do(pattern: str, expected: list[str]) -> None:
    assert matches(pattern) == expected


def test_listing_reuse_covers_only_its_prefix() -> None:
    assert (
        listing.covers("", "any/thing") and listing.covers("a", "a/b") and listing.covers("a", "a")
    )
    assert not listing.covers("a", "ab") and not listing.covers("a/b", "a")


def test_secret_names_split_and_redaction() -> None:
    options = {"account_name": "acct", "account_key": "K", "sas_token": "T", "client_id": "id",
               "password": "p", "skip_instance_cache": True, "secret_access_key": "s"}  # fmt: skip
    public, secret = split_secrets(options)
    assert public == {"account_name": "acct", "client_id": "id", "skip_instance_cache": True}
    assert set(secret) == {"account_key", "sas_token", "password", "secret_access_key"}
    assert not is_secret_name("tenant_id") and is_secret_name("Connection_String")
    text = "GET https://a/c?sv=1&sig=ABCDEF&se=2 failed; AccountKey=XYZ=; password hunter22"
    cleaned = redact(text, {"password": "hunter22"})
    assert "ABCDEF" not in cleaned and "XYZ" not in cleaned and "hunter22" not in cleaned


class _Ws:
    def __init__(self, folder: Path) -> None:
        self.dir = folder


def test_secret_store_is_private_and_survives_concurrent_writers(tmp_path: Path) -> None:
    store = SecretStore(_Ws(tmp_path))  # type: ignore[arg-type]
    assert store.load("x") == {}

    def write(i: int) -> None:
        SecretStore(_Ws(tmp_path)).save(f"ds{i}", {"account_key": f"key{i}"})  # type: ignore[arg-type]

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(store.load(f"ds{i}") == {"account_key": f"key{i}"} for i in range(20))
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert store.folder.stat().st_mode & 0o777 == 0o700
    store.delete("ds3")
    assert store.load("ds3") == {} and store.load("ds4") == {"account_key": "key4"}
    store.path.write_text("{not json")
    with pytest.raises(DatastoreError, match="not valid JSON"):
        store.load("ds4")
