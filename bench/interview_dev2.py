"""A second development interview set, of the held-out set's kind, for looking for causes without touching it.

    python -m bench.interview_dev2        # (re)build into <cache root>/bench/interviews-dev2, list the files

Made after the held-out set (``bench.interview_heldout``) showed toex reading its MP4 copies worse than
their WAVs, a loss the first development set does not show. Built the same way (``interview_heldout``'s
``_interview``: 0.25-0.9 s pauses, a room-tone level per interview, the three endings), with its own
texts and its own voice + variant pairs (none used by another set in bench/ or tests/, none of the
held-out set's), every interview as WAV and MP4. This set may be tuned on; the held-out set may not.
"""

from __future__ import annotations

from pathlib import Path

from bench import interviews
from bench.interview_heldout import Interview, _interview
from bench.interviews import Recording

VOICES = ("en-gb-x-rp+m1", "en-029+f4", "en-us-nyc+f2", "en-gb-scotland+m8", "en-gb-x-gbcwmd+m6", "en-gb+f5",
          "en-us+m8")
RATES = (140, 172, 153, 162, 137, 147)

DEV2: tuple[Interview, ...] = (
    ("stolen tractor", (
        ("officer", "A tractor was taken from Brook Farm near Hexham on Thursday night."),
        ("suspect", "I have never been to Brook Farm, I do not even know where it is."),
        ("officer", "The tractor was found in a barn that you rent on the edge of Alnwick."),
        ("suspect", "Lots of people have keys to that barn, I only keep my trailer there."),
        ("officer", "Who else has a key, can you give me their names?"),
        ("suspect", "My uncle Frank and a lad called Stuart who helps us at lambing time."),
        ("officer", "The farmer's camera shows a white pickup with a tow bar leaving the yard."),
        ("suspect", "There must be a hundred white pickups in Northumberland."),
        ("officer", "Yours has a dent in the tailgate, and so does the one on the camera."),
        ("solicitor", "My client will not be answering any more questions today."),
    )),
    ("pharmacy", (
        ("officer", "Tell me what happened at the chemist on Castle Street this afternoon."),
        ("witness", "A woman came to the counter and handed me a prescription for sleeping tablets."),
        ("officer", "What made you think there was something wrong with it?"),
        ("witness", "The doctor's signature looked strange and the surgery stamp was smudged."),
        ("officer", "What did you do when you noticed that?"),
        ("witness", "I told her it would take twenty minutes and I rang the surgery in Taunton."),
        ("officer", "And what did the surgery tell you?"),
        ("witness", "They said the doctor on the form had retired two years ago."),
        ("officer", "Did the woman wait for the tablets?"),
        ("witness", "No, she left her umbrella on the counter and walked out quickly."),
        ("officer", "Thank you, we will collect the umbrella and the prescription from you."),
    )),
    ("cash machine", (
        ("officer", "Mr Lindqvist, you reported that your card was kept by a cash machine in Perth."),
        ("victim", "That is right, it happened at the machine outside the bakery on Friday."),
        ("officer", "Did anybody speak to you while you were using the machine?"),
        ("victim", "A tall man behind me said the machine had eaten his card as well."),
        ("officer", "Did he watch you type your number?"),
        ("victim", "He was standing very close, he might have seen it over my shoulder."),
        ("officer", "Your bank says six hundred pounds was taken out twenty minutes later in Dunfermline."),
        ("victim", "I phoned the bank as soon as I got home, but it was already gone."),
        ("officer", "We think a device was fitted to the slot to trap cards."),
        ("victim", "I had no idea that could happen, I will be much more careful now."),
    )),
)


def output_dir() -> Path:
    from shared.settings import cache_root

    return cache_root() / "bench" / "interviews-dev2"


def build(out: Path | None = None, rebuild: bool = False) -> list[Recording]:
    """The second development recordings (every one as WAV and MP4), built once per espeak-ng version."""
    out = out or output_dir()
    return interviews.cached_build(out, rebuild, lambda tmp: [
        _interview(k, name, lines, out, tmp, seed=700, voices=VOICES, rates=RATES, kind="dev2", mp4=True)
        for k, (name, lines) in enumerate(DEV2)])


if __name__ == "__main__":
    interviews.show(build(rebuild=True))
