"""Blob URLs from callers and events, parsed so that no path trick or foreign host gets through.

Invariants (issue 10, findings 1 and 2):

* A path is split on ``/`` *before* percent-decoding; every decoded segment must be non-empty, not
  ``.`` or ``..``, and free of ``/`` (an encoded slash), ``\\`` and control characters. So the force
  read from the first segment under ``incoming/`` is the folder storage really serves.
* A blob in a force's own account is accepted only as ``https://<account>.blob.<suffix>/...``: no
  user info, no port, and an exact host match, so the app's storage token never goes to another host.
* No query or fragment: a SAS in a submitted URL would be stored in the job record and published.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_STORAGE_SUFFIX = "core.windows.net"


class UnsafeBlobUrl(ValueError):
    """A blob URL the app refuses to resolve (path trick, foreign host, credentials in it)."""


@dataclass(frozen=True)
class BlobUrl:
    """A parsed blob URL: ``segments`` are decoded, checked path segments (container first)."""

    scheme: str
    host: str
    port: int | None
    segments: tuple[str, ...]

    @property
    def path(self) -> str:
        return "/".join(self.segments)


def _segment(raw: str) -> str:
    seg = unquote(raw, errors="strict")
    if seg in ("", ".", "..") or "/" in seg or "\\" in seg or any(ord(c) < 32 or ord(c) == 127 for c in seg):
        raise UnsafeBlobUrl("the blob path must not contain empty, '.' or '..' segments, backslashes, "
                            "encoded slashes or control characters")
    return seg


def parse_blob_url(url: str, *, allow_path_prefix_only: bool = False) -> BlobUrl:
    """Split and check ``url``; raises :class:`UnsafeBlobUrl`. ``allow_path_prefix_only`` accepts an
    account URL with no (or only an account-name) path, as in the settings."""
    if not isinstance(url, str) or not url or len(url) > 4096:
        raise UnsafeBlobUrl("not a blob URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeBlobUrl("not a valid URL") from None
    if parts.scheme.lower() not in ("https", "http"):
        raise UnsafeBlobUrl("blob URLs must be https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeBlobUrl("blob URLs must not carry user information")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise UnsafeBlobUrl("blob URLs must not carry a query or fragment (a SAS): the app reads with its own identity")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeBlobUrl("the blob URL has no host")
    raw = parts.path[1:] if parts.path.startswith("/") else parts.path
    if allow_path_prefix_only and raw.strip("/") == "":
        return BlobUrl(parts.scheme.lower(), host, port, ())
    raw = raw.rstrip("/") if allow_path_prefix_only else raw
    return BlobUrl(parts.scheme.lower(), host, port, tuple(_segment(s) for s in raw.split("/")))


def storage_account_of(url: BlobUrl, suffix: str = DEFAULT_STORAGE_SUFFIX) -> str | None:
    """The account name when ``url`` is exactly ``https://<account>.blob.<suffix>`` (no port), else None."""
    tail = f".blob.{suffix.lower().strip('.')}"
    if url.scheme != "https" or url.port is not None or not url.host.endswith(tail):
        return None
    account = url.host[: -len(tail)]
    return account if account and account.isalnum() else None


def external_blob_url(url: BlobUrl) -> str:
    """The URL the blob store reads: rebuilt from the checked parts, never the caller's string."""
    return f"https://{url.host}/{quote(url.path, safe='/')}"
