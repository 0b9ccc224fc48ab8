"""Listing a blob container fast, and matching datastore globs against the names listed.

A listing asks for every blob under a prefix with its metadata (no blob is read) through
the container client's pipeline (its credentials, retry policy and timeouts), and parses
the pages with ElementTree: the SDK's generic deserializer costs about 0.4 ms a blob, which
would make 10,000 blobs take seconds.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .azure_blob import gather_limited

if TYPE_CHECKING:
    from adlfs import AzureBlobFileSystem

#: A listing splits by the folders of its first level when there are at most this many.
FOLDERS_LISTED_APART = 64


async def list_blobs(fs: AzureBlobFileSystem, container: str, prefix: str) -> list[dict[str, Any]]:
    """Every blob under ``prefix`` (a folder path, '' for all) with its size, ETag,
    last-modified time and content MD5: one request per 5,000 blobs, no blob read.
    Folder markers (Data Lake folders, adlfs' empty folders) are left out.

    The pages go through the container client's pipeline (its credentials, retry policy
    and timeouts) and are parsed with ElementTree: the SDK's generic deserializer costs
    about 0.4 ms a blob, which would make 10,000 blobs take seconds."""
    cc = fs.service_client.get_container_client(container)
    start = prefix.rstrip("/") + "/" if prefix else None
    if not hasattr(getattr(cc, "_client", None), "_send_request"):  # another SDK version
        return await _list_blobs_sdk(cc, start)
    # One level of folders first: their listings run concurrently, and the service lists
    # several 1,000-blob folders faster than one 10,000-blob range (about 0.55 s against
    # 0.8 s on Azurite). Many folders, or more than a page, are listed flat instead.
    params = {"restype": "container", "comp": "list", "include": "metadata", "delimiter": "/"}
    top = await _get_xml(cc, {**params, **({"prefix": start} if start else {})})
    folders = [p.findtext("Name") or "" for p in top.iter("BlobPrefix")]
    if top.findtext("NextMarker") or len(folders) > FOLDERS_LISTED_APART:
        return await _list_flat(cc, start)
    found = [_entry(blob) for blob in top.iter("Blob")]
    pages = await gather_limited([_flat_job(cc, f) for f in folders], 8)
    return [e for e in found if e is not None] + [e for page in pages for e in page]


def _flat_job(cc: Any, start: str) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    return lambda: _list_flat(cc, start)


async def _list_flat(cc: Any, start: str | None) -> list[dict[str, Any]]:
    """Every blob whose name starts with ``start``, page by page (5,000 a page)."""
    found: list[dict[str, Any] | None] = []
    marker = None
    while True:
        params = {"restype": "container", "comp": "list", "include": "metadata"}
        params.update({k: v for k, v in (("prefix", start), ("marker", marker)) if v})
        page = await _get_xml(cc, params)
        found += [_entry(blob) for blob in page.iter("Blob")]
        marker = page.findtext("NextMarker")
        if not marker:
            return [e for e in found if e is not None]


async def _get_xml(cc: Any, params: dict[str, str]) -> Any:
    """GET the container URL with ``params`` through the client's pipeline; the parsed
    XML, or the storage error (status and code) raised as azure-core's exception."""
    from xml.etree import ElementTree

    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    # cc.url keeps a SAS token's query; params are added to it
    request = HttpRequest("GET", cc.url, params=params, headers={"x-ms-version": cc.api_version})
    response = await cc._client._send_request(request)
    body = await response.read()
    if response.status_code != 200:
        code = _error_code(body)
        error = HttpResponseError(message=f"{code or response.reason}", response=response)
        error.error_code = code
        raise error
    return ElementTree.fromstring(body)


def _error_code(body: bytes) -> str | None:
    found = re.search(rb"<Code>([^<]+)</Code>", body or b"")
    return found.group(1).decode() if found else None


def _entry(blob: Any) -> dict[str, Any] | None:
    """A listed blob as a dict, or None for a folder marker."""
    from email.utils import parsedate_to_datetime

    meta = blob.find("Metadata")
    if meta is not None:
        marks = {child.tag.lower(): (child.text or "").lower() for child in meta}
        if marks.get("hdi_isfolder") == "true" or marks.get("is_directory") == "true":
            return None
    props = blob.find("Properties")
    get = props.findtext if props is not None else (lambda _key: None)
    modified = get("Last-Modified")
    md5 = get("Content-MD5")
    return {
        "name": blob.findtext("Name") or "",
        "size": int(get("Content-Length") or 0),
        "etag": (get("Etag") or "").strip('"'),
        "mtime": parsedate_to_datetime(modified).timestamp() if modified else None,
        "md5": base64.b64decode(md5).hex() if md5 else None,
    }


async def _list_blobs_sdk(cc: Any, start: str | None) -> list[dict[str, Any]]:
    found = []
    async for blob in cc.list_blobs(name_starts_with=start, include=["metadata"]):
        meta = {k.lower(): str(v).lower() for k, v in (blob.metadata or {}).items()}
        if meta.get("hdi_isfolder") == "true" or meta.get("is_directory") == "true":
            continue
        md5 = blob.content_settings.content_md5 if blob.content_settings else None
        found.append(
            {
                "name": blob.name,
                "size": int(blob.size or 0),
                "etag": str(blob.etag or "").strip('"'),
                "mtime": blob.last_modified.timestamp() if blob.last_modified else None,
                "md5": bytes(md5).hex() if md5 else None,
            }
        )
    return found


async def check_container(fs: AzureBlobFileSystem, container: str) -> None:
    """Read one name of ``container`` (what registration and submit check); raises the
    storage library's error when the credentials, container or account are wrong."""
    cc = fs.service_client.get_container_client(container)
    async for _ in cc.list_blobs(results_per_page=1).by_page():
        break


def magic_free_base(pattern: str) -> str:
    parts = pattern.split("/") if pattern else []
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return "/".join(parts[:i])
    return pattern


def glob_regex(pattern: str) -> str:
    """A regex for a datastore glob: ``**`` crosses folders, ``*`` and ``?`` do not."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def self_and_parents(name: str, base: str) -> list[str]:
    """``name`` and its folders below ``base`` (a folder that matches means its files)."""
    parts = name.split("/")
    floor = len(base.split("/")) if base else 0
    return ["/".join(parts[:i]) for i in range(len(parts), floor, -1)]


def covers(listed: str, base: str) -> bool:
    return not listed or base == listed or base.startswith(listed + "/")
