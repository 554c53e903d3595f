"""Language identification on short chat lines: lingua-language-detector against py3langid.

Lines: bench/data/chat_lines.tsv (84 lines, 7 languages, 3-7 words, written for this benchmark).
Reports accuracy, mean time per line and the RSS added by loading each detector.

    python -m bench.langid_chat
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

from shared.documents.langid import CASEWORK_LANGUAGES as CASEWORK

DATA = Path(__file__).with_name("data") / "chat_lines.tsv"


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lingua(mode: str, restricted: bool = False) -> Callable[[str], str]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    if restricted:
        langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in CASEWORK]
        builder = LanguageDetectorBuilder.from_languages(*langs)
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    if mode == "low":
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def detect(text: str) -> str:
        lang = detector.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang else "?"

    return detect


def _py3langid(restricted: bool = False) -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        ident.set_languages(list(CASEWORK))
    return lambda text: str(ident.classify(text)[0])


def main() -> None:
    rows = [line.split("\t", 1) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"{len(rows)} lines, {len({r[0] for r in rows})} languages")
    import sys

    variants: dict[str, Callable[[], Callable[[str], str]]] = {
        "py3langid": _py3langid, "py3langid-casework": lambda: _py3langid(True),
        "lingua-low": lambda: _lingua("low"), "lingua-high": lambda: _lingua("high"),
        "lingua-low-casework": lambda: _lingua("low", True), "lingua-high-casework": lambda: _lingua("high", True),
    }
    for name in sys.argv[1:] or list(variants):
        make = variants[name]
        before = _rss_mb()
        t0 = time.perf_counter()
        detect = make()
        load = time.perf_counter() - t0
        after = _rss_mb()
        t0 = time.perf_counter()
        hits = 0
        misses = []
        for lang, text in rows:
            got = detect(text)
            hits += got == lang
            if got != lang:
                misses.append(f"{lang}->{got}")
        per_line = (time.perf_counter() - t0) / len(rows) * 1000
        print(f"{name:20s} accuracy {hits}/{len(rows)} = {hits / len(rows):.1%}  {per_line:.2f} ms/line  "
              f"load {load:.1f} s  +{after - before:.0f} MB RSS  misses: {' '.join(misses)}")


if __name__ == "__main__":
    main()
