"""Translate a `ParsedDocument`'s units: language per unit, sentences, placeholders, batches,
reassembly, verification.

Invariants:
* a unit in the target language, in a language no model handles, or with no letters outside
  protected spans is written back exactly as it was (counted in ``characters_kept``);
* ``characters_translated`` is the number of source code points (sentence text, markers not
  counted) sent to a model; translated + kept = the code points of all units;
* every protected span or glossary term comes back byte-identical, or is a warning naming it;
* piece boundaries and the whitespace/line breaks between them are kept, so a unit's line count
  is its source's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.documents.glossary import Glossary
from shared.documents.langid import CASEWORK_LANGUAGES, identify
from shared.documents.model import InlineSpan, ParsedDocument, TextUnit, UnitOutput
from shared.documents.placeholders import MaskedSegment, mask, unmask
from shared.documents.protect import Protected, find_protected
from shared.documents.segment import batches, split_units_text

TranslateFn = Callable[[list[str], str, str], list[str]]
SupportsFn = Callable[[str, str], bool]


@dataclass(frozen=True)
class PipelineOptions:
    target: str = "en"
    source: str | None = None  # declared source language: no detection (target-language text still kept)
    languages: tuple[str, ...] = tuple(CASEWORK_LANGUAGES)
    target_confidence: float = 0.9  # a declared-source unit is kept only if identified as target this surely
    unit_confidence: float = 0.9  # below this, a unit takes the document's dominant language (pt/es, hr/sr...)
    max_batch_items: int = 32
    max_batch_chars: int = 4000

    def as_dict(self) -> dict[str, Any]:
        return {"target_language": self.target, "source_language": self.source,
                "candidate_languages": list(self.languages), "target_confidence": self.target_confidence,
                "unit_confidence": self.unit_confidence,
                "max_batch_items": self.max_batch_items, "max_batch_chars": self.max_batch_chars}


@dataclass
class SegmentRecord:
    unit: int
    location: dict[str, Any]
    source: str
    translation: str
    language: str | None
    status: str  # translated | kept_target_language | kept_no_model | kept_no_text


@dataclass
class DocumentTranslation:
    outputs: list[UnitOutput]
    segments: list[SegmentRecord] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    glossary_applied: Counter[str] = field(default_factory=Counter)
    characters_translated: int = 0
    characters_kept: int = 0
    languages: Counter[str] = field(default_factory=Counter)


def unit_languages(units: Sequence[TextUnit], opts: PipelineOptions) -> list[str | None]:
    """Each unit's language. A unit too short to identify, or identified less surely than
    ``unit_confidence`` (a short line in a sibling language: "Onde estás agora?" reads as Spanish),
    takes the document's dominant language among the surely identified units (None if none)."""
    found: list[tuple[str, float] | None] = [identify(u.text, opts.languages) for u in units]
    weights: Counter[str] = Counter()
    for unit, f in zip(units, found, strict=True):
        if f and f[1] >= opts.unit_confidence:
            weights[f[0]] += len(unit.text)
    dominant = weights.most_common(1)[0][0] if weights else None
    out: list[str | None] = []
    for f in found:
        if opts.source:
            is_target = f is not None and f[0] == opts.target and f[1] >= opts.target_confidence
            out.append(opts.target if is_target else opts.source)
        else:
            sure = f is not None and (f[1] >= opts.unit_confidence or dominant is None)
            out.append(f[0] if sure and f is not None else dominant)
    return out


def _clip(items: Sequence[Any], a: int, b: int) -> list[Any]:
    out = []
    for it in items:
        s, e = max(it.start, a), min(it.end, b)
        if s < e:
            out.append(type(it)(**{**it.__dict__, "start": s - a, "end": e - a}))
    return out


def _has_text(text: str, protected: Sequence[Protected]) -> bool:
    cut = list(text)
    for p in protected:
        cut[p.start:p.end] = [" "] * (p.end - p.start)
    return any(ch.isalpha() for ch in cut)


PiecePlan = tuple[str, int, int, MaskedSegment | None, str]  # status, start, end, masked text (None: kept), gap


@dataclass(frozen=True)
class BatchRequest:
    """Masked sentences of one language for one call to the model, and the (unit, piece) of each."""

    language: str
    keys: list[tuple[int, int]]
    texts: list[str]


@dataclass
class TranslationPlan:
    """What the model must translate and how each unit is put back together. Deterministic for a
    given document, options and glossary, so a later step can rebuild it instead of storing it."""

    languages: list[str | None]
    pieces: list[list[PiecePlan]]
    pending: dict[str, list[tuple[int, int]]]  # language → (unit, piece) waiting for the model
    skipped: list[dict[str, Any]]
    language_chars: Counter[str]

    def batches(self, opts: PipelineOptions) -> list[BatchRequest]:
        out = []
        for lang, keys in self.pending.items():
            texts = [seg.text for u, k in keys if (seg := self.pieces[u][k][3]) is not None]
            for batch in batches([len(t) for t in texts], opts.max_batch_items, opts.max_batch_chars):
                out.append(BatchRequest(lang, [keys[i] for i in batch], [texts[i] for i in batch]))
        return out


def plan_translation(doc: ParsedDocument, supports: SupportsFn, opts: PipelineOptions,
                     glossary: Glossary | None = None) -> TranslationPlan:
    languages = unit_languages(doc.units, opts)
    plan = TranslationPlan(languages, [], {}, [], Counter())
    for unit, lang in zip(doc.units, languages, strict=True):
        if lang:
            plan.language_chars[lang] += len(unit.text)
        protected = find_protected(unit.text, glossary)
        pieces: list[PiecePlan] = []
        for k, piece in enumerate(split_units_text(unit.text, protected)):
            text = unit.text[piece.start:piece.end]
            prot = _clip(protected, piece.start, piece.end)
            status = "translated"
            if not text or not _has_text(text, prot):
                status = "kept_no_text"
            elif lang == opts.target:
                status = "kept_target_language"
            elif lang is None or not supports(lang, opts.target):
                status = "kept_no_model"
            seg = mask(text, prot, _clip(unit.spans, piece.start, piece.end)) if status == "translated" else None
            pieces.append((status, piece.start, piece.end, seg, piece.gap))
            if seg is not None:
                plan.pending.setdefault(lang or "", []).append((unit.index, k))
        if lang and lang != opts.target and not supports(lang, opts.target) and _has_text(unit.text, protected):
            plan.skipped.append({"location": dict(unit.location), "reason": "no_model", "language": lang})
        elif lang is None and _has_text(unit.text, protected):
            plan.skipped.append({"location": dict(unit.location), "reason": "language_unknown", "language": None})
        plan.pieces.append(pieces)
    return plan


def assemble_translation(doc: ParsedDocument, plan: TranslationPlan, translated: dict[tuple[int, int], str],
                         glossary: Glossary | None = None) -> DocumentTranslation:
    """Every unit's output from the model's texts (``translated[(unit, piece)]``), with the checks."""
    missing = [key for keys in plan.pending.values() for key in keys if key not in translated]
    if missing:
        raise RuntimeError(f"{len(missing)} sentences have no translation")
    result = DocumentTranslation(outputs=[], skipped=list(plan.skipped), languages=Counter(plan.language_chars))
    for unit, lang, pieces in zip(doc.units, plan.languages, plan.pieces, strict=True):
        result.outputs.append(_assemble(unit, lang, pieces, translated, result, glossary))
    return result


def translate_document(doc: ParsedDocument, translate: TranslateFn, supports: SupportsFn,
                       opts: PipelineOptions, glossary: Glossary | None = None) -> DocumentTranslation:
    plan = plan_translation(doc, supports, opts, glossary)
    translated: dict[tuple[int, int], str] = {}
    for request in plan.batches(opts):
        outs = translate(request.texts, request.language, opts.target)
        if len(outs) != len(request.texts):
            raise RuntimeError(f"translator returned {len(outs)} texts for {len(request.texts)}")
        translated.update(zip(request.keys, outs, strict=True))
    return assemble_translation(doc, plan, translated, glossary)


def _assemble(unit: TextUnit, lang: str | None, plan: list[PiecePlan],
              translated: dict[tuple[int, int], str], result: DocumentTranslation,
              glossary: Glossary | None) -> UnitOutput:
    parts: list[str] = []
    spans: list[InlineSpan] = []
    for k, (status, a, b, seg, gap) in enumerate(plan):
        source = unit.text[a:b]
        offset = sum(len(p) for p in parts)
        if seg is None:
            text = source
            spans.extend(InlineSpan(s.start + offset, s.end + offset, s.style) for s in _clip(unit.spans, a, b))
            result.characters_kept += len(source) + len(gap)
        else:
            text, found, issues = unmask(seg, translated[(unit.index, k)])
            spans.extend(InlineSpan(s.start + offset, s.end + offset, s.style) for s in found)
            result.characters_translated += len(source)
            result.characters_kept += len(gap)
            for slot in seg.slots:
                p = slot.protected
                if p is not None and p.kind == "glossary" and not any(i.slot is slot for i in issues):
                    result.glossary_applied[p.term or ""] += 1
            for issue in issues:
                result.warnings.append(_warning(unit, k, issue))
        if source or text:
            result.segments.append(SegmentRecord(unit.index, dict(unit.location), source, text, lang, status))
        parts.append(text + gap)
    return UnitOutput("".join(parts), tuple(spans))


def _warning(unit: TextUnit, piece: int, issue: Any) -> dict[str, Any]:
    slot = issue.slot
    p = slot.protected if slot is not None else None
    if issue.kind == "lost" and p is not None:
        code = "glossary_term_lost" if p.kind == "glossary" else "protected_span_lost"
    else:
        code = {"duplicated": "marker_duplicated", "unexpected": "marker_unexpected"}.get(issue.kind, issue.kind)
    out: dict[str, Any] = {"code": code, "location": dict(unit.location), "segment": piece}
    if p is not None:
        out.update(kind=p.kind, text=p.replacement)
        if p.term:
            out["term"] = p.term
    return out
