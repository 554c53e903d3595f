"""Blob metadata and force defaults → a document job, or a reason."""

from __future__ import annotations

from functions.document_intake import BAD_METADATA, ForceDocumentDefaults, document_job_from_metadata

IDS = {"job_id": "job-1", "force_id": "met", "attempt": 1, "source_ref": "incoming/met/a.docx", "name": "a.docx"}
DEFAULTS = ForceDocumentDefaults(target="en", force_glossary_ref="config/met/force.csv",
                                 glossary_folder="config/met/glossaries")


def test_metadata_over_force_defaults() -> None:
    up = document_job_from_metadata(**IDS, metadata={"translate_to": "EN", "language": "pt", "glossary": "caso 12.csv",
                                                     "case_ref": "MG/12/003", "sha256": "ab" * 32},
                                    defaults=DEFAULTS)
    assert up.error is None and up.job is not None and up.case_ref == "MG/12/003" and up.exhibit_ref is None
    assert (up.job.target, up.job.source_language, up.job.source_sha256) == ("en", "pt", "ab" * 32)
    assert (up.job.force_glossary_ref, up.job.glossary_ref) == ("config/met/force.csv",
                                                                "config/met/glossaries/caso 12.csv")
    plain = document_job_from_metadata(**IDS, metadata={}, defaults=ForceDocumentDefaults(target="pl"))
    assert plain.job is not None and (plain.job.target, plain.job.source_language, plain.job.glossary_ref) == (
        "pl", None, None)


def test_bad_metadata_is_a_reason() -> None:
    for metadata, why in (({"translate_to": "english"}, "translate_to"), ({"glossary": "../x.csv"}, "glossary"),
                          ({"glossary": "terms.xlsx"}, "glossary"), ({"case_ref": "<script>"}, "case_ref")):
        up = document_job_from_metadata(**IDS, metadata=metadata, defaults=DEFAULTS)
        assert up.job is None and up.error is not None
        assert up.error["code"] == BAD_METADATA and why in up.error["message"]
    up = document_job_from_metadata(**IDS, metadata={"glossary": "a.csv"}, defaults=ForceDocumentDefaults())
    assert up.error is not None and "no glossary folder" in up.error["message"]


def test_intake_accepts_every_document_format_the_readers_know() -> None:
    from functions.intake import BlobNotice, ResolvedSource, options_from_metadata, rejection
    from shared.documents.formats import supported_suffixes
    from shared.settings import DOCUMENT_EXTENSIONS, Settings

    assert sorted(DOCUMENT_EXTENSIONS) == supported_suffixes()
    settings = Settings(mode="local", forces=("met",))
    for suffix in (*DOCUMENT_EXTENSIONS, ".exe"):
        source = ResolvedSource(f"incoming/met/a{suffix}", f"a{suffix}", "met", True)
        error = rejection(BlobNotice(url="https://x/incoming/met/a", size=10, etag="e"), source, settings)
        assert (error is None) is (suffix != ".exe"), suffix
    options, bad = options_from_metadata({"translate_to": "en", "glossary": "caso.csv", "case_ref": "MG/12/003",
                                          "exhibit_ref": "JS/1", "submitted_by": "pc"})
    assert bad is None and options == {"translate_to": "en", "glossary": "caso.csv", "case_ref": "MG/12/003",
                                       "exhibit_ref": "JS/1"}
