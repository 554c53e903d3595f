"""Model packages for the service: fetch (mounted path or blob container), verify, load, report state.

Loading runs in a background thread so that ``/healthz`` answers at once while ``/readyz`` stays 503
until every configured engine is loaded and verified against its package manifest.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("toex.serve")

WAITING, DOWNLOADING, LOADING, READY, FAILED = "waiting", "downloading", "loading", "ready", "failed"


def _is_integrity_error(exc: BaseException) -> bool:
    from shared.inference.package import PackageIntegrityError

    return isinstance(exc, PackageIntegrityError)


class ModelSlot:
    """One engine (whisper or translation) and its load state, safe to read from any thread."""

    def __init__(self, role: str, package_dir: Path, factory: Callable[[Path], Any], *,
                 blob_url: str = "", blob_kwargs: dict[str, Any] | None = None, wait_s: float = 0.0,
                 poll_s: float = 0.5, verify: Callable[[Path], Any] | None = None) -> None:
        self.role = role
        self.package_dir = package_dir
        self.blob_url = blob_url
        self.blob_kwargs = blob_kwargs or {}  # credential / client options (tests: the emulator's)
        self.verify = verify  # opens a downloaded package before it takes its place (None: open_package)
        self._factory = factory
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self.state = WAITING
        self.reason = "not started"
        self.engine: Any = None
        self.load_seconds: float | None = None

    def _set(self, state: str, reason: str) -> None:
        with self._lock:
            self.state, self.reason = state, reason

    @property
    def ready(self) -> bool:
        return self.state == READY

    def status(self) -> dict[str, Any]:
        with self._lock:
            d: dict[str, Any] = {"state": self.state, "reason": self.reason}
        if self.engine is not None:
            d["model"] = dict(self.engine.model_info)
        return d

    def load(self, stop: threading.Event | None = None) -> None:
        """Fetch if needed, wait for the package to appear, then build (and so verify) the engine."""
        stop = stop or threading.Event()
        try:
            if self.blob_url:
                self._set(DOWNLOADING, f"downloading from {_redact(self.blob_url)}")
                t0 = time.monotonic()
                n = download_package(self.blob_url, self.package_dir, verify=self.verify, **self.blob_kwargs)
                log.info("model downloaded role=%s files=%d seconds=%.1f", self.role, n, time.monotonic() - t0)
            deadline = time.monotonic() + self._wait_s
            while not self.package_dir.is_dir():
                if time.monotonic() >= deadline or stop.is_set():
                    self._set(FAILED, f"package directory not found: {self.package_dir}")
                    log.error("model missing role=%s dir=%s", self.role, self.package_dir)
                    return
                self._set(WAITING, f"waiting for package directory {self.package_dir}")
                stop.wait(self._poll_s)
            self._set(LOADING, "loading")
            t0 = time.monotonic()
            engine = self._factory(self.package_dir)
            self.load_seconds = time.monotonic() - t0
            self.engine = engine
            self._set(READY, "ready")
            info = engine.model_info
            log.info("model ready role=%s name=%s sha256=%s precision=%s seconds=%.2f", self.role,
                     info.get("name"), info.get("sha256"), info.get("precision"), self.load_seconds)
        except Exception as e:
            kind = "integrity" if _is_integrity_error(e) else "load_error"
            self._set(FAILED, f"{kind}: {type(e).__name__}: {e}")
            log.error("model failed role=%s kind=%s error=%s", self.role, kind, type(e).__name__)


def _redact(url: str) -> str:
    """The URL without query string (a SAS token must never reach a log)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def parse_blob_url(url: str) -> tuple[str, str, str]:
    """``https://acct.blob.core.windows.net/models/whisper-base`` → (account URL, container, prefix/).

    Path-style URLs (an IP or localhost host, as Azurite uses) carry the account as first segment.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"not a blob URL: {_redact(url)}")
    path = parts.path.lstrip("/")
    account = ""
    host = parts.hostname or ""
    if host == "localhost" or host.replace(".", "").isdigit():
        account, _, path = path.partition("/")
        account = f"/{account}"
    container, _, prefix = path.partition("/")
    if not container:
        raise ValueError(f"blob URL names no container: {_redact(url)}")
    prefix = prefix.strip("/")
    return f"{parts.scheme}://{parts.netloc}{account}", container, f"{prefix}/" if prefix else ""


def download_package(url: str, dest: Path, credential: Any = None, *, verify: Callable[[Path], Any] | None = None,
                     **client_kwargs: Any) -> int:
    """Download every blob under the URL's prefix into ``dest`` (atomically replaced); file count.

    Authenticates with ``DefaultAzureCredential`` (the container app's managed identity) unless a
    credential is given. ``verify`` (default: ``open_package``, the Whisper/translation format) checks
    the files against the manifest before they take their place; the engine verifies again when it loads.
    """
    from azure.storage.blob import ContainerClient

    from shared.inference.package import open_package

    account_url, container, prefix = parse_blob_url(url)
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    client = ContainerClient(account_url, container, credential=credential, **client_kwargs)
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    count = 0
    try:
        for blob in client.list_blobs(name_starts_with=prefix or None):
            rel = PurePosixPath(blob.name[len(prefix):])
            if not rel.parts or rel.is_absolute() or ".." in rel.parts:
                raise ValueError(f"unsafe blob name in model package: {blob.name!r}")
            target = tmp.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as fh:
                client.download_blob(blob.name, max_concurrency=4).readinto(fh)
            count += 1
        if count == 0:
            raise FileNotFoundError(f"no model files under {_redact(url)}")
        (verify or open_package)(tmp)  # every file against model.json before the package takes its place
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return count
