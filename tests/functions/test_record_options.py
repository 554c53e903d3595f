"""The record of interview's details given at submission (case_ref, exhibit_ref, persons_present): one
check for the API, blob metadata (the page's long names, percent-decoded) and the CLI; documents share it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from functions.document_intake import BAD_METADATA, ForceDocumentDefaults, document_job_from_metadata
from functions.intake import (
    MAX_PERSON_NAME,
    MAX_PERSONS,
    clean_options,
    metadata_text,
    options_from_metadata,
    persons_option,
    record_options,
    reference_option,
)
from functions.openapi import SCHEMAS
from functions.schema import InvalidBody, check_request

NAMES = ["DC Hale", "Mr Smith", "Zoë Łukasz", "محمد علي"]


def test_references_have_one_form_and_are_trimmed() -> None:
    assert reference_option("case_ref", "  MG/12/003 ") == "MG/12/003"
    assert reference_option("case_ref", "Opération Été-7") == "Opération Été-7"  # letters of any script
    assert reference_option("case_ref", "   ") is None and reference_option("case_ref", None) is None
    for bad in ("<script>", "a" * 65, "MG;12", "MG\n12", "50%"):
        with pytest.raises(ValueError, match="case_ref is not a reference") as e:
            reference_option("case_ref", bad)
        assert bad not in str(e.value)
    with pytest.raises(ValueError, match="exhibit_ref must be text"):
        reference_option("exhibit_ref", 12)


def test_persons_present_is_a_list_or_a_semicolon_separated_text() -> None:
    assert persons_option("DC Hale; Mr Smith;") == ["DC Hale", "Mr Smith"]
    assert persons_option(["  DC Hale ", "", "Mr Smith"]) == ["DC Hale", "Mr Smith"]
    assert persons_option(" ; ") is None and persons_option([]) is None and persons_option(None) is None
    assert persons_option("; ".join(NAMES)) == NAMES
    assert persons_option(["x" * MAX_PERSON_NAME] * MAX_PERSONS) == ["x" * MAX_PERSON_NAME] * MAX_PERSONS
    faults = {"x" * (MAX_PERSON_NAME + 1): "longer than", ";".join(["P"] * (MAX_PERSONS + 1)): "at most 20 names",
              "DC Hale; Mr\tSmith": "control characters", "A\u202eB": "control characters",
              "Mr\u2028Smith": "control characters"}
    for value, why in faults.items():
        with pytest.raises(ValueError, match=why) as e:
            persons_option(value)
        assert "Smith" not in str(e.value)  # personal data: an error names the place, never the name
    with pytest.raises(ValueError, match="contains ';'"):
        persons_option(["DC Hale; Mr Smith"])
    with pytest.raises(ValueError, match="a list of names"):
        persons_option([1, 2])


def test_api_options_take_the_three_fields_and_the_schema_publishes_them() -> None:
    body = {"blobUrl": "https://acct.blob.core.windows.net/incoming/met/a.wav",
            "options": {"case_ref": "OP-PINE/24", "exhibit_ref": "JB/1", "persons_present": NAMES}}
    check_request(body, "SubmitRequest")
    assert clean_options(body["options"]) == {"case_ref": "OP-PINE/24", "exhibit_ref": "JB/1",
                                              "persons_present": NAMES}
    with pytest.raises(InvalidBody) as e:
        check_request({**body, "options": {"persons_present": ["x"] * (MAX_PERSONS + 1)}}, "SubmitRequest")
    assert e.value.field == "options.persons_present"
    with pytest.raises(ValueError, match="case_ref is not a reference"):
        clean_options({"case_ref": "<b>"})
    person = SCHEMAS["Options"]["properties"]["persons_present"]
    assert (person["maxItems"], person["items"]["maxLength"]) == (MAX_PERSONS, MAX_PERSON_NAME)
    assert record_options(clean_options(body["options"])) == {
        "case_reference": "OP-PINE/24", "exhibit_reference": "JB/1", "persons_present": NAMES}
    assert record_options({"translate_to": "en"}) == {}


def test_metadata_is_percent_decoded_once_and_the_pages_long_names_are_aliases() -> None:
    page = {"case_reference": quote("Opération Été/7", safe=""), "exhibit_reference": quote("JB/1", safe=""),
            "persons_present": quote("; ".join(NAMES), safe=""), "speakers": "2", "sha256": "ab" * 32}
    options, bad = options_from_metadata(page)
    assert bad is None and options == {"case_ref": "Opération Été/7", "exhibit_ref": "JB/1",
                                       "persons_present": NAMES, "speakers": "2"}
    short, bad = options_from_metadata({"case_ref": "MG/12", "persons_present": "DC Hale;Mr Smith"})
    assert bad is None and short == {"case_ref": "MG/12", "persons_present": ["DC Hale", "Mr Smith"]}
    assert options_from_metadata({"case_ref": "MG/12", "case_reference": "MG%2F12"}) == ({"case_ref": "MG/12"}, None)
    assert metadata_text("x", "100%25+a") == "100%+a"  # once: %25 is '%', and '+' stays '+'
    for metadata, why in (({"case_ref": "MG/12", "case_reference": "MG/13"}, "given twice"),
                          ({"persons_present": "50% Smith"}, "percent-escape"),
                          ({"persons_present": "%C3%28"}, "not UTF-8"),
                          ({"case_reference": quote("<x>", safe="")}, "case_ref is not a reference"),
                          ({"persons_present": quote("Mr\nSmith", safe="")}, "control characters")):
        options, bad = options_from_metadata(metadata)
        assert options == {} and bad is not None and bad.startswith("invalid metadata") and why in bad, (metadata, bad)
        assert "Smith" not in bad


def test_a_document_reads_the_long_names_and_the_same_reference_check() -> None:
    ids = {"job_id": "job-1", "force_id": "met", "attempt": 1, "source_ref": "incoming/met/a.docx", "name": "a.docx"}
    options, bad = options_from_metadata({"case_reference": "MG%2F12%2F003", "exhibit_reference": "JS%2F1",
                                          "translate_to": "en"})
    assert bad is None and options == {"case_ref": "MG/12/003", "exhibit_ref": "JS/1", "translate_to": "en"}
    # the document step reads the job's options (decoded once at intake) or the page's names alike
    for given in (options, {"case_reference": "MG/12/003", "exhibit_reference": "JS/1"}):
        up = document_job_from_metadata(**ids, metadata=given, defaults=ForceDocumentDefaults())
        assert up.error is None and (up.case_ref, up.exhibit_ref) == ("MG/12/003", "JS/1")
    for metadata, why in (({"exhibit_reference": "<x>"}, "exhibit_ref is not a reference"),
                          ({"case_ref": "A", "case_reference": "B"}, "given twice")):
        up = document_job_from_metadata(**ids, metadata=metadata, defaults=ForceDocumentDefaults())
        assert up.job is None and up.error is not None and up.error["code"] == BAD_METADATA
        assert why in up.error["message"]
