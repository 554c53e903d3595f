"""Intake rules, pure: where an upload comes from, which force owns it, which options it may set, and
whether it is rejected. Nothing here touches storage, the job store or an orchestration
(:mod:`functions.lifecycle` acts on what these decide).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from shared.adapters.blob_urls import UnsafeBlobUrl, external_blob_url, parse_blob_url, storage_account_of
from shared.diarization.clustering import SpeakerCount
from shared.domain import JobError
from shared.outputs.formats import FORMATS
from shared.outputs.languages import LANGUAGE_NAMES
from shared.services import INCOMING
from shared.settings import Settings

# officers' uploads: incoming/<force>/<any path>/<file> (the name: shared/containers.json)
UNASSIGNED_FORCE = "unassigned"  # rejected uploads whose force cannot be told
FORCE_SOURCES_SETTING = "TOEX_FORCE_SOURCES"  # "<storage account>=<force>,..." for forces' own accounts
# blob metadata read as job options (a document's: docs/documents.md, functions/document_intake.py);
# every value is text percent-decoded by ``metadata_text``
OPTION_METADATA = ("language", "translate_to", "formats", "glossary", "case_ref", "exhibit_ref",
                   "persons_present", "speakers")
METADATA_ALIASES = {"case_reference": "case_ref", "exhibit_reference": "exhibit_ref"}  # the page's long names
# the record of interview's header (issue 13), given at submission; shown through the names overlay
RECORD_OPTIONS = ("case_ref", "exhibit_ref", "persons_present")
REFERENCE = re.compile(r"[\w/ .-]{1,64}")  # a case or exhibit reference, once trimmed
REFERENCE_FORM = "letters, digits, / . - and spaces, at most 64"
MAX_PERSONS, MAX_PERSON_NAME = 20, 80
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
GLOSSARIES = "glossaries"  # incoming/<force>/glossaries/: a force's glossaries, never jobs


# -- blobs and where they come from ------------------------------------------------------------------
@dataclass(frozen=True)
class BlobNotice:
    """What a trigger knows about a created blob (never its content)."""

    url: str
    size: int | None
    etag: str | None
    content_md5: str | None = None  # hex
    sha256: str | None = None
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    version_id: str | None = None

    @property
    def is_folder_marker(self) -> bool:
        return urlsplit(self.url).path.endswith("/") or self.metadata.get("hdi_isfolder", "").lower() == "true"

    @property
    def content_tag(self) -> str:
        if self.sha256:
            return f"sha256:{self.sha256.lower()}"
        if self.content_md5:
            return f"md5:{self.content_md5.lower()}"
        return f"etag:{(self.etag or '').strip(chr(34))}"


@dataclass(frozen=True)
class ResolvedSource:
    """``ref`` is ``container/name`` in the app's own account, or the blob URL in a force's account."""

    ref: str
    name: str
    force_id: str | None
    own_account: bool


def glossary_folder(force_id: str) -> str:
    return f"{INCOMING}/{force_id}/{GLOSSARIES}"


def is_glossary(source: ResolvedSource) -> bool:
    """An upload to its force's glossary folder: read by document jobs, never a job itself."""
    return bool(source.own_account and source.force_id
                and source.ref.startswith(glossary_folder(source.force_id) + "/"))


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, path percent-decoded, no query: one identity per blob."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{unquote(parts.path)}"


def force_sources(value: str | None = None) -> dict[str, str]:
    """``TOEX_FORCE_SOURCES``: which force owns each external storage account (``account=force,...``)."""
    raw = value or os.environ.get(FORCE_SOURCES_SETTING, "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {account.strip().lower(): force.strip() for account, force in pairs if account.strip() and force.strip()}


def resolve_source(url: str, settings: Settings, sources: dict[str, str]) -> ResolvedSource:
    """Map a blob URL to a reference the blob store reads, and to the force that owns it.

    Raises :class:`UnsafeBlobUrl` (a ValueError) for path tricks and credentials in the URL before
    anything touches storage. The force is read from the checked, decoded path (``incoming/<force>/``)
    or from an exact ``https://<account>.blob.<suffix>`` host listed in ``TOEX_FORCE_SOURCES``.
    """
    blob = parse_blob_url(url)
    own = parse_blob_url(settings.blob_account_url, allow_path_prefix_only=True) if settings.blob_account_url else None
    prefix = own.segments if own else ()
    if (own is not None and (blob.scheme, blob.host, blob.port) == (own.scheme, own.host, own.port)
            and blob.segments[: len(prefix)] == prefix):
        rest = blob.segments[len(prefix):]
        if len(rest) < 2:
            raise UnsafeBlobUrl("the URL names no blob")
        in_intake = rest[0] == INCOMING and len(rest) >= 3
        return ResolvedSource("/".join(rest), rest[-1], rest[1] if in_intake else None, True)
    account = storage_account_of(blob, settings.storage_suffix)
    force = sources.get(account) if account else None
    if force is None or len(blob.segments) < 2:
        return ResolvedSource(url, blob.segments[-1], None, False)
    return ResolvedSource(external_blob_url(blob), blob.segments[-1], force, False)


# -- options -------------------------------------------------------------------------------------------
def clean_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The job options a caller may set; raises ValueError with a reason a caller can act on."""
    allowed = {"language", "translate_to", "formats", "word_timestamps", "initial_prompt", "hotwords",
               "speakers", "glossary", *RECORD_OPTIONS}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"unknown options: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key in ("language", "translate_to"):
        if raw.get(key) is not None:
            if raw[key] not in LANGUAGE_NAMES:
                raise ValueError(f"{key} must be a language code such as 'en' or 'pl'")
            out[key] = raw[key]
    if raw.get("formats") is not None:
        formats = raw["formats"].split(",") if isinstance(raw["formats"], str) else raw["formats"]
        if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
            raise ValueError(f"formats must be a non-empty subset of {', '.join(FORMATS)}")
        out["formats"] = list(dict.fromkeys(formats))
    if "word_timestamps" in raw:
        if not isinstance(raw["word_timestamps"], bool):
            raise ValueError("word_timestamps must be true or false")
        out["word_timestamps"] = raw["word_timestamps"]
    speakers = speaker_option(raw.get("speakers"))
    if speakers is not None:
        out["speakers"] = speakers
    for key in ("case_ref", "exhibit_ref"):
        if (ref := reference_option(key, raw.get(key))) is not None:
            out[key] = ref
    if persons := persons_option(raw.get("persons_present")):
        out["persons_present"] = persons
    if raw.get("glossary") is not None:  # a document job checks its form (document.bad_metadata)
        if not isinstance(raw["glossary"], str) or len(raw["glossary"]) > 200:
            raise ValueError("glossary must be text of at most 200 characters")
        out["glossary"] = raw["glossary"]
    for key in ("initial_prompt", "hotwords"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or len(raw[key]) > 500:
                raise ValueError(f"{key} must be text of at most 500 characters")
            out[key] = raw[key]
    return out


def with_default_speakers(raw: dict[str, Any], default: str) -> dict[str, Any]:
    """``raw`` with ``speakers`` set to the deployment's default when the submitter gave none
    (an explicit ``"off"`` stays off)."""
    return raw if raw.get("speakers") not in (None, "") or default == "off" else {**raw, "speakers": default}


def speaker_option(value: Any) -> str | None:
    """The ``speakers`` option as stored on the job: "auto", "N" or "LOW-HIGH"; None (absent or "off"):
    the job is not diarized, and its outputs are exactly those of a job without the option."""
    if value is None or value == "off":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("speakers must be 'auto', 'off', a count N or a range LOW-HIGH")
    try:
        return SpeakerCount.parse(value).spec
    except ValueError as e:
        raise ValueError(f"speakers: {e}") from None


def reference_option(key: str, value: Any) -> str | None:
    """A case or exhibit reference (media and document jobs alike), trimmed; None when absent or blank.
    Raises ValueError naming ``key``, never quoting the value."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    text = value.strip()
    if text and not REFERENCE.fullmatch(text):
        raise ValueError(f"{key} is not a reference ({REFERENCE_FORM})")
    return text or None


def persons_option(value: Any) -> list[str] | None:
    """The persons present: a list of names, or (metadata, CLI) one text of names separated by ``;``.

    Each name is trimmed, blank ones are dropped (a trailing ``;``); at most ``MAX_PERSONS`` names of
    at most ``MAX_PERSON_NAME`` characters, one line each, without control characters (nor the
    bidirectional controls that could reorder the record's text) and without ``;``. None when none is
    given. Errors name the place of the name, never the name (it is personal data)."""
    if value is None:
        return None
    if isinstance(value, str):
        items = value.split(";")
    elif isinstance(value, list) and all(isinstance(x, str) for x in value):
        items = value
    else:
        raise ValueError("persons_present must be a list of names, or names separated by ';'")
    names: list[str] = []
    for item in items:
        name = item.strip()
        if not name:
            continue
        where = f"persons_present: name {len(names) + 1}"
        if ";" in name:
            raise ValueError(f"{where} contains ';', which separates names")
        if len(name) > MAX_PERSON_NAME:
            raise ValueError(f"{where} is longer than {MAX_PERSON_NAME} characters")
        if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in name):
            raise ValueError(f"{where} must be one line without control characters")
        names.append(name)
    if len(names) > MAX_PERSONS:
        raise ValueError(f"persons_present: at most {MAX_PERSONS} names ({len(names)} given)")
    return names or None


def record_options(options: dict[str, Any]) -> dict[str, Any]:
    """The record of interview's details among a job's options, checked again: ``{case_reference,
    exhibit_reference, persons_present}`` as :func:`shared.outputs.overlay.set_record` takes them, only
    those given. Raises ValueError for a value no intake would have accepted."""
    given: dict[str, Any] = {}
    for key, field_name in (("case_ref", "case_reference"), ("exhibit_ref", "exhibit_reference")):
        if (ref := reference_option(key, options.get(key))) is not None:
            given[field_name] = ref
    if persons := persons_option(options.get("persons_present")):
        given["persons_present"] = persons
    return given


def rejection(notice: BlobNotice, source: ResolvedSource, settings: Settings) -> JobError | None:
    """Why an upload cannot be processed, or None."""
    if source.force_id is None:
        where = f"{INCOMING}/<force>/" if source.own_account else f"an account listed in {FORCE_SOURCES_SETTING}"
        return JobError("intake.unknown_force", f"the file's force cannot be told: upload it under {where}")
    if settings.forces and source.force_id not in settings.forces:
        return JobError("intake.unknown_force", f"force {source.force_id!r} is not served by this deployment")
    if notice.size is not None and notice.size > settings.max_upload_bytes:
        return JobError("intake.too_large",
                        f"the file is {notice.size} bytes; the limit is {settings.max_upload_bytes} bytes")
    if notice.size == 0:
        return JobError("intake.empty", "the file is empty (0 bytes)")
    suffix = PurePosixPath(source.name).suffix.lower()
    if suffix not in settings.allowed_extensions and suffix not in settings.document_extensions:
        return JobError("intake.unsupported_type",
                        f"files of type {suffix or '(none)'!r} are not accepted; upload audio, video or a document")
    return None


def notice_from_properties(url: str, props: Any) -> BlobNotice:
    """A :class:`BlobNotice` from ``azure.storage.blob.BlobProperties``."""
    settings = props.content_settings
    md5 = settings.content_md5 if settings else None
    metadata = dict(props.metadata or {})
    return BlobNotice(url=url, size=int(props.size), etag=str(props.etag).strip('"'),
                      content_md5=bytes(md5).hex() if md5 else None, sha256=metadata.get("sha256"),
                      content_type=settings.content_type if settings else None, metadata=metadata,
                      version_id=getattr(props, "version_id", None))  # the version the job is pinned to


def metadata_text(key: str, value: str) -> str:
    """A blob metadata value as text: percent-decoded once, as UTF-8 (RFC 3986; what the page's
    ``encodeURIComponent`` writes). Metadata values are ASCII, so a tool that sets other text must
    percent-encode it; a value without ``%`` is itself, and ``+`` stays ``+``. A ``%`` that does not
    begin an escape (write ``%25``), or escapes that are not UTF-8, raise ValueError."""
    if _BAD_ESCAPE.search(value):
        raise ValueError(f"{key}: a '%' must begin a percent-escape (write %25 for '%' itself)")
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"{key}: its percent-escapes are not UTF-8 text") from None


def metadata_options(metadata: dict[str, str], *, decode: bool = True) -> dict[str, str]:
    """The option keys among blob metadata, decoded (:func:`metadata_text`; ``decode=False`` for
    values decoded already), the page's long names (``METADATA_ALIASES``) read as their short ones.
    Raises ValueError when both names of one option are given with different values."""
    out: dict[str, str] = {}
    for key, value in metadata.items():
        name = METADATA_ALIASES.get(key, key)
        if name not in OPTION_METADATA or not value:
            continue
        text = metadata_text(key, value) if decode else value
        if name in out and out[name] != text:
            raise ValueError(f"{name} is given twice ({name} and {key}) with different values")
        out[name] = text
    return out


def options_from_metadata(metadata: dict[str, str], default_speakers: str = "off") -> tuple[dict[str, Any], str | None]:
    """Job options an upload tool set as blob metadata, and the reason they are invalid (or None).
    ``default_speakers`` (the deployment's ``default_speakers``) applies when the metadata names none."""
    try:
        return clean_options(with_default_speakers(metadata_options(metadata), default_speakers)), None
    except ValueError as e:
        return {}, f"invalid metadata: {e}"
