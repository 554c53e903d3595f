"""Language of a paragraph or message: py3langid (its model ships inside the wheel, ~5 MB).

Chosen over lingua-language-detector by bench/langid_chat.py (84 short chat lines, 7 languages):
restricted to the casework languages below, py3langid got 97.6 % at ~1 ms a line for ~100 MB RSS,
lingua's high-accuracy mode 96.4 % at ~9 ms a line for ~800 MB RSS (docs/benchmarks.md).
Text with fewer than `MIN_LETTERS` letters (a name, "ok", an emoji) has no reliable language: it
gets None and the caller uses the document's dominant language or the declared source.
"""

from __future__ import annotations

import threading
from typing import Any


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The languages UK casework meets most (py3langid knows each of them).
CASEWORK_LANGUAGES = _words(
    "en pl ro pt es fr it de nl lt lv bg hu cs sk sl hr sr sq el tr ru uk ar fa ur pa hi bn gu ta so "
    "zh vi th tl sw yo da sv"
)
MIN_LETTERS = 12
_lock = threading.Lock()
_identifiers: dict[tuple[str, ...], Any] = {}


def _identifier(languages: tuple[str, ...]) -> Any:
    with _lock:
        if languages not in _identifiers:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(list(languages))
            _identifiers[languages] = ident
        return _identifiers[languages]


def identify(text: str, languages: tuple[str, ...] = tuple(CASEWORK_LANGUAGES)) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) of ``text``, or None when it has too few letters."""
    letters = sum(ch.isalpha() for ch in text)
    if letters < MIN_LETTERS:
        return None
    code, prob = _identifier(languages).classify(text)
    return str(code), float(prob)
