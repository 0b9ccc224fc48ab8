"""Azure Blob Storage through adlfs: the account address of v1, the file system with a
retry policy of our own, one clear error for each way a storage account fails, and the
transfers that datastores need (concurrent, and uploads that become visible only once
complete). Listings are in ``azure_listing.py``.

adlfs and azure-storage-blob are imported inside the functions that need them, so that
``import jupyter_pipelines`` stays fast and works without the ``azure`` extra.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import DatastoreError
from .secrets import redact

if TYPE_CHECKING:
    from adlfs import AzureBlobFileSystem

T = TypeVar("T")
DEFAULT_ENDPOINT = "core.windows.net"
#: Transient failures (connection refused or reset, timeouts, 5xx, 429) are retried this
#: many times with exponential back-off (azure-storage's ExponentialRetry policy), so that
#: an unreachable account is reported after about 9 s rather than storage's default ~60 s.
RETRY = {"retry_total": 3, "initial_backoff": 0.5, "increment_base": 1.5, "jitter": 0.25}
CONNECTION_TIMEOUT = 10
READ_TIMEOUT = 120
#: Files at once in one transfer, and the block size of staged uploads.
CONCURRENCY = 32
BLOCK_SIZE = 8 << 20
_HOST_PORT = re.compile(r"^[^/:\s]+:\d+$")


def install_hint() -> str:
    return "pip install 'jupyter_pipelines[azure]' (adlfs and azure-storage-blob)"


# -- addresses ----------------------------------------------------------------------------
def account_url(
    account_name: str,
    protocol: str | None = None,
    endpoint: str | None = None,
    service: str = "blob",
) -> str:
    """v1's address of a storage account: ``{protocol}://{account}.blob.{endpoint}``; for an
    ``endpoint`` that is ``host:port`` (the emulator, a private endpoint) the path-style
    ``{protocol}://{endpoint}/{account}``. ``protocol`` defaults to https, ``endpoint`` to
    core.windows.net."""
    proto = (protocol or "https").lower().rstrip(":/")
    if proto not in ("http", "https"):
        raise DatastoreError(f"protocol {protocol!r}: use 'https' (or 'http' for the emulator)")
    host = (endpoint or DEFAULT_ENDPOINT).strip().rstrip("/")
    if "://" in host:
        raise DatastoreError(
            f"endpoint {endpoint!r} holds a protocol: give it alone, e.g. protocol='http', "
            "endpoint='127.0.0.1:10000'"
        )
    if _HOST_PORT.match(host):
        return f"{proto}://{host}/{account_name}"
    return f"{proto}://{account_name}.{service}.{host}"


def parse_connection_string(text: str) -> dict[str, str]:
    """The settings of a storage connection string, by lower-case key."""
    settings = {}
    for part in text.strip().rstrip(";").split(";"):
        key, sep, value = part.partition("=")
        if not sep:
            raise DatastoreError(
                "the connection string is malformed: expected 'Key=value;Key=value' "
                "(copy it from the storage account's 'Access keys' page)"
            )
        settings[key.strip().lower()] = value.strip()
    return settings


def connection_address(text: str) -> tuple[str | None, str]:
    """(account name, blob endpoint URL) of a connection string, without its secrets."""
    s = parse_connection_string(text)
    if s.get("usedevelopmentstorage") == "true":
        return "devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1"
    name = s.get("accountname")
    if s.get("blobendpoint"):
        return name, s["blobendpoint"].rstrip("/")
    if not name:
        raise DatastoreError("the connection string names neither AccountName nor BlobEndpoint")
    proto = s.get("defaultendpointsprotocol", "https")
    return name, f"{proto}://{name}.blob.{s.get('endpointsuffix', DEFAULT_ENDPOINT)}"


@dataclass(frozen=True)
class Connection:
    """How to reach one storage account: its address and credentials (kept in memory)."""

    account_name: str
    url: str
    account_key: str | None = None
    sas_token: str | None = None
    connection_string: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    authority_url: str | None = None

    @property
    def credential_type(self) -> str:
        """v1's names: 'Sas', 'AccountKey', 'ServicePrincipal' or 'None'."""
        if self.sas_token or _has(self.connection_string, "sharedaccesssignature"):
            return "Sas"
        if self.account_key or _has(self.connection_string, "accountkey"):
            return "AccountKey"
        if self.client_secret:
            return "ServicePrincipal"
        return "None"

    def secrets(self) -> dict[str, str]:
        names = ("account_key", "sas_token", "connection_string", "client_secret")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def __repr__(self) -> str:  # never the secrets
        return f"Connection({self.account_name!r}, {self.url!r}, {self.credential_type})"

    def filesystem(self, **options: Any) -> AzureBlobFileSystem:
        """An adlfs file system on this account, with our retry policy and timeouts."""
        cls = _filesystem_class()
        kwargs: dict[str, Any] = {
            "account_name": self.account_name,
            "jp_account_url": self.url,
            # registration and submit check the container; adlfs need not ask again
            "assume_container_exists": True,
        }
        if self.connection_string:
            kwargs["connection_string"] = self.connection_string
        elif self.sas_token:
            kwargs["sas_token"] = self.sas_token.lstrip("?")
        elif self.account_key:
            kwargs["account_key"] = self.account_key
        elif self.client_secret:
            kwargs["credential"] = self._service_principal()
        elif options.get("credential") is None:
            kwargs["anon"] = options.pop("anon", None)
        kwargs.update(options)
        try:
            return cls(**kwargs)
        except ValueError as exc:
            raise DatastoreError(
                f"cannot connect to storage account {self.account_name!r} at {self.url}: "
                f"{redact(str(exc), self.secrets())}"
            ) from None

    def _service_principal(self) -> Any:
        from azure.identity.aio import ClientSecretCredential

        extra = {"authority": self.authority_url} if self.authority_url else {}
        return ClientSecretCredential(
            self.tenant_id or "", self.client_id or "", self.client_secret or "", **extra
        )


def _has(text: str | None, key: str) -> bool:
    return bool(text) and key in parse_connection_string(text or "")


_FS_CLASS: type[Any] | None = None


def _filesystem_class() -> type[Any]:
    """adlfs' file system, connecting with our address (path-style for host:port endpoints,
    http allowed) and our retry policy; built once, on first use."""
    global _FS_CLASS
    if _FS_CLASS is not None:
        return _FS_CLASS
    try:
        from adlfs import AzureBlobFileSystem
        from azure.storage.blob.aio import BlobServiceClient, ExponentialRetry
    except ImportError as exc:
        raise DatastoreError(f"Azure datastores need adlfs: {install_hint()} ({exc})") from exc

    class RetryingBlobFileSystem(AzureBlobFileSystem):  # type: ignore[misc]
        """adlfs' AzureBlobFileSystem whose service client uses our account URL, retry
        policy and timeouts."""

        def __init__(self, *args: Any, jp_account_url: str = "", **kwargs: Any) -> None:
            self.jp_account_url = jp_account_url
            super().__init__(*args, **kwargs)

        def do_connect(self) -> None:
            client_options = {
                "retry_policy": ExponentialRetry(
                    initial_backoff=RETRY["initial_backoff"],
                    increment_base=RETRY["increment_base"],
                    retry_total=RETRY["retry_total"],
                    random_jitter_range=RETRY["jitter"],
                ),
                "connection_timeout": CONNECTION_TIMEOUT,
                "read_timeout": READ_TIMEOUT,
            }
            if self.connection_string:
                self.service_client = BlobServiceClient.from_connection_string(
                    self.connection_string, **client_options
                )
                return
            url = self.jp_account_url
            credential: Any = self.credential
            if credential is None and self.account_key:
                credential = {"account_name": self.account_name, "account_key": self.account_key}
            elif credential is None and self.sas_token:
                url = f"{url}?{self.sas_token.lstrip('?')}"
            self.account_url = self.jp_account_url
            self.service_client = BlobServiceClient(url, credential=credential, **client_options)

    _FS_CLASS = RetryingBlobFileSystem
    return _FS_CLASS


# -- errors ---------------------------------------------------------------------------------
def explain(exc: BaseException, datastore: str, conn: Connection, container: str) -> DatastoreError:
    """One clear error for a failure of storage account ``conn``: what failed, naming the
    datastore, and what to check. Secrets are redacted from anything quoted."""
    where = f"datastore {datastore!r} (container {container!r} in storage account " + (
        f"{conn.account_name!r} at {conn.url})"
    )
    status, code = _status(exc)
    detail = redact(_first_line(exc), conn.secrets())
    if status in (401, 403) or code in ("AuthenticationFailed", "AuthorizationFailure"):
        what = _CREDENTIALS.get(conn.credential_type, "credentials")
        hint = (
            f"the storage account refused the {what} ({code or status}): check the {what} "
            f"of {datastore!r}{_SAS_HINT if conn.credential_type == 'Sas' else ''}, then "
            "register it again with overwrite=True"
        )
    elif code == "ContainerNotFound" or (status == 404 and "container" in detail.lower()):
        hint = (
            f"container {container!r} does not exist: check container_name, or register "
            "with create_if_not_exists=True"
        )
    elif status == 404:
        hint = f"not found ({code or 404}): {detail}"
    elif status is None and _is_connection_error(exc):
        hint = (
            "the storage account cannot be reached: check account_name, endpoint and protocol "
            "(the emulator needs protocol='http', endpoint='127.0.0.1:PORT') and that the "
            f"network or emulator is up ({detail})"
        )
    else:
        hint = f"{type(exc).__name__}: {detail}"
    return DatastoreError(f"{where}: {hint}")


_CREDENTIALS = {
    "Sas": "SAS token",
    "AccountKey": "account key",
    "ServicePrincipal": "service principal (tenant_id, client_id, client_secret)",
    "None": "Azure identity of this environment (az login, managed identity)",
}
_SAS_HINT = " (its permissions: read, list, write, add, create; its expiry and start time)"


def _status(exc: BaseException) -> tuple[int | None, str | None]:
    for err in _chain(exc):
        status = getattr(err, "status_code", None)
        if status is not None:
            code = getattr(err, "error_code", None)
            return int(status), str(getattr(code, "value", code)) if code else None
    return None, None


def _is_connection_error(exc: BaseException) -> bool:
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    return any(
        isinstance(e, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError))
        for e in _chain(exc)
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# -- bulk operations (run on adlfs' event loop) ---------------------------------------------
def run(fs: AzureBlobFileSystem, make: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine ``make()`` on the file system's event loop and return its result."""
    from fsspec.asyn import sync

    async def call() -> T:
        return await make()

    return sync(fs.loop, call)  # type: ignore[no-any-return]


async def create_container(fs: AzureBlobFileSystem, container: str) -> None:
    from azure.core.exceptions import ResourceExistsError

    try:
        await fs.service_client.get_container_client(container).create_container()
    except ResourceExistsError:
        pass


async def gather_limited(jobs: Iterable[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the jobs, ``limit`` at a time; the first failure cancels the rest and is raised."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    tasks = [asyncio.ensure_future(one(job)) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def upload(
    fs: AzureBlobFileSystem, container: str, pairs: list[tuple[Path, str]], overwrite: bool
) -> int:
    """Upload local files to blob names, ``CONCURRENCY`` at once (a Put Blob each, which
    stores their content MD5). Returns how many were uploaded."""
    from azure.core.exceptions import ResourceExistsError

    cc = fs.service_client.get_container_client(container)

    def job(src: Path, name: str) -> Callable[[], Awaitable[bool]]:
        async def put() -> bool:
            with open(src, "rb") as handle:
                try:
                    await cc.get_blob_client(name).upload_blob(
                        handle, overwrite=overwrite, max_concurrency=4
                    )
                except ResourceExistsError:
                    return False
            return True

        return put

    done = await gather_limited([job(src, name) for src, name in pairs], CONCURRENCY)
    return sum(done)


async def download(fs: AzureBlobFileSystem, container: str, pairs: list[tuple[str, Path]]) -> int:
    """Download blobs to local files, ``CONCURRENCY`` at once; each file is written under a
    temporary name and renamed, so it appears complete or not at all."""
    cc = fs.service_client.get_container_client(container)

    def job(name: str, dest: Path) -> Callable[[], Awaitable[None]]:
        async def get() -> None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
            try:
                stream = await cc.get_blob_client(name).download_blob(max_concurrency=4)
                with open(partial, "wb") as handle:
                    await stream.readinto(handle)
                os.replace(partial, dest)
            finally:
                partial.unlink(missing_ok=True)

        return get

    await gather_limited([job(name, dest) for name, dest in pairs], CONCURRENCY)
    return len(pairs)


async def upload_staged(
    fs: AzureBlobFileSystem, container: str, pairs: list[tuple[Path, str]]
) -> int:
    """Upload local files so that none becomes visible before all are uploaded.

    Every file's content goes up first as uncommitted blocks of its final blob (Put Block:
    invisible to listings, reads and existence checks); only when every block of every
    file is stored are the block lists committed (Put Block List, a small request per
    file, with the content MD5). A failure while the data travels leaves nothing visible
    (the service discards uncommitted blocks after a week); a failure during the commits
    deletes the blobs committed so far before it is raised."""
    cc = fs.service_client.get_container_client(container)
    token = uuid.uuid4().hex[:12]

    def stage(src: Path, name: str) -> Callable[[], Awaitable[tuple[str, list[str], bytes]]]:
        async def put_blocks() -> tuple[str, list[str], bytes]:
            blob = cc.get_blob_client(name)
            digest, ids = hashlib.md5(usedforsecurity=False), []
            with open(src, "rb") as handle:
                while chunk := handle.read(BLOCK_SIZE):
                    block_id = base64.b64encode(f"{token}-{len(ids):08d}".encode()).decode()
                    await blob.stage_block(block_id, chunk, length=len(chunk))
                    digest.update(chunk)
                    ids.append(block_id)
            return name, ids, digest.digest()

        return put_blocks

    staged = await gather_limited([stage(src, name) for src, name in pairs], CONCURRENCY)
    await commit_all(cc, staged)
    return len(staged)


async def commit_all(cc: Any, staged: list[tuple[str, list[str], bytes]]) -> None:
    """Commit staged block lists; on a failure, delete what was committed, then raise."""
    from azure.storage.blob import BlobBlock, ContentSettings

    committed: list[str] = []

    def commit(name: str, ids: list[str], md5: bytes) -> Callable[[], Awaitable[None]]:
        async def put_list() -> None:
            await cc.get_blob_client(name).commit_block_list(
                [BlobBlock(block_id=i) for i in ids],
                content_settings=ContentSettings(content_md5=bytearray(md5)),
            )
            committed.append(name)

        return put_list

    try:
        await gather_limited([commit(*item) for item in staged], CONCURRENCY)
    except BaseException:
        for name in committed:
            try:
                await cc.get_blob_client(name).delete_blob()
            except Exception:  # the first failure is the one to report
                pass
        raise
