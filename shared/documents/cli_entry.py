"""``toex translate FILE... --to en [--from CODE] [--glossary FILE] [--out DIR]``: documents on this machine.

Every file goes through `shared.documents.job` (its format kept, docs/documents.md). With ``--out``,
or for any format other than plain text, each file gives ``DIR/<stem>/<stem>.<target>.<ext>``,
``<stem>.bilingual.docx`` and ``translation.json`` (default DIR ``toex-output``) and one summary line
on stdout. Without ``--out``, a plain text file (``.txt``, ``.md``, a chat export too) is printed
translated to stdout instead and nothing is written (issue 11's line-per-sentence behaviour).

A bad document is a one-line ``FILE: failed: code: reason`` on stderr (no traceback), the others
still run; the exit status is 0 when all succeeded, 1 when one failed, 2 for a usage problem
(no package for the pair, an unreadable glossary). Document text is never logged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from shared.documents.errors import DocumentError
from shared.documents.formats import read_document
from shared.documents.glossary import Glossary, load_glossaries
from shared.documents.job import translate_file
from shared.documents.langid import CASEWORK_LANGUAGES
from shared.documents.pipeline import PipelineOptions, translate_document

DEFAULT_OUT = Path("toex-output")


class PairTranslator:
    """The packages that translate into one target, as one `TextTranslator`: ``model_info`` names
    only those packages (what the report records), a language pair goes to the first that has it."""

    def __init__(self, translators: Sequence[Any], target: str) -> None:
        self.translators = list(translators)
        self.target = target

    def _pick(self, source: str, target: str) -> Any | None:
        return next((t for t in self.translators if t.supports(source, target)), None)

    def supports(self, source_language: str, target_language: str) -> bool:
        return self._pick(source_language, target_language) is not None

    @property
    def model_info(self) -> dict[str, str]:
        infos = [t.model_info for t in self.translators]
        if len(infos) == 1:
            return dict(infos[0])
        return {k: " | ".join(i[k] for i in infos) for k in ("name", "sha256", "precision")}

    def translate(self, texts: list[str], source_language: str, target_language: str) -> list[str]:
        chosen = self._pick(source_language, target_language)
        if chosen is None:
            raise ValueError(f"no package translates {source_language} into {target_language}")
        return list(chosen.translate(texts, source_language, target_language))


def _into_target(translators: Sequence[Any], target: str, source: str | None) -> list[Any]:
    """The packages that translate into ``target`` (from ``source`` when it is given, else from any
    candidate language); a Bergamot package answers from its manifest, without loading."""
    sources = (source,) if source else tuple(c for c in CASEWORK_LANGUAGES if c != target)
    return [t for t in translators if any(t.supports(s, target) for s in sources)]


def translate_command(files: Sequence[str], *, target: str, source: str | None, translators: Sequence[Any],
                      glossary: str | None = None, force_glossary: str | None = None, out: str | None = None,
                      decoding: dict[str, Any] | None = None, stdout: TextIO | None = None,
                      stderr: TextIO | None = None) -> int:
    """Translate ``files`` (see the module doc); returns the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    chosen = _into_target(translators, target, source)
    if not chosen:
        what = f"{source} into {target}" if source else f"into {target}"
        print(f"toex: no package translates {what}; run `toex setup` or pass --translation-model", file=stderr)
        return 2
    translator = PairTranslator(chosen, target)
    try:
        merged = load_glossaries(Path(force_glossary) if force_glossary else None,
                                 Path(glossary) if glossary else None)
    except DocumentError as e:
        print(f"toex: {e.code}: {e.message}", file=stderr)
        return 2
    opts = PipelineOptions(target=target, source=source)
    print(f"model: {translator.model_info['name']} sha256={translator.model_info['sha256']} "
          f"{source or 'detected'}→{target}", file=stderr)
    failed = 0
    used: dict[Path, str] = {}  # output folder → the file written there in this run
    for name in files:
        path = Path(name)
        try:
            if out is None and _prints(path):
                stdout.write(_translated_text(path, translator, opts, merged))
                continue
            folder = (Path(out) if out is not None else DEFAULT_OUT) / path.stem
            if folder.resolve() in used:
                failed += 1
                print(f"{name}: failed: document.output_clash: {folder} holds {used[folder.resolve()]}'s "
                      f"outputs already (same stem); translate it in another run or rename it", file=stderr)
                continue
            used[folder.resolve()] = name
            done = translate_file(path, folder, translator, opts, merged, decoding=decoding)
            print(f"{name}: {folder} ({done.characters_translated} characters translated, {done.warnings} "
                  f"warnings, {done.skipped} passages kept untranslated)", file=stdout)
        except DocumentError as e:
            failed += 1
            print(f"{name}: failed: {e.code}: {e.message}", file=stderr)
    return 1 if failed else 0


def _prints(path: Path) -> bool:
    return path.suffix.lower() in (".txt", ".text", ".md", ".markdown")


def _translated_text(path: Path, translator: PairTranslator, opts: PipelineOptions,
                     glossary: Glossary | None) -> str:
    """A text file translated, as text (its own line endings; a BOM dropped)."""
    doc, _ = read_document(path)
    result = translate_document(doc, translator.translate, translator.supports, opts, glossary)
    data = doc.write(result.outputs)
    text = data.decode(doc.info.get("encoding", "utf-8"))
    return text[1:] if text.startswith("\ufeff") else text
