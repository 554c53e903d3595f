"""A held-out interview set: texts, voices and a build that nobody tuned the pipeline on.

    python -m bench.interview_heldout     # (re)build into <cache root>/bench/interviews-heldout, list the files

Written after the development set (``bench.interview_texts``) and committed before either system ran on
it, so that its figures say how the pipeline does on interviews of the same kind that it has never
seen: new sentences, names and places; espeak-ng voices that no other set of the bench uses (voice +
variant pairs, two officers alternating on the officer's lines as in the development set); rates
outside the development set's; 0.25-0.9 s pauses between lines; a room-tone level per interview; and
three endings: room tone only, a recorder's stop click (0.25 s burst 1 s after the last word), or a
chair scrape (0.6 s of low rumble 0.8 s after the last word). The interviews at even positions are also
written as MP4 (AAC with an MPEG-4 video track), as the development set's are.

Change nothing here to improve a figure: a fix is found on the development sets, then this set is
scored again as it is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench import interviews
from bench.interviews import Recording, _write
from shared.domain.audio_format import SAMPLE_RATE

Interview = tuple[str, tuple[tuple[str, str], ...]]

# none of these voice + variant pairs is used by any other set in bench/ or tests/
VOICES = ("en-us-nyc+m8", "en-gb-x-rp+f4", "en-gb-scotland+m1", "en-029+m7", "en-gb-x-gbcwmd+f2",
          "en-gb-x-gbclan+m6", "en-us+m4", "en-gb+m5", "en-us+f5")
RATES = (135, 150, 175, 158, 143, 168)

HELDOUT: tuple[Interview, ...] = (
    ("converters", (
        ("officer", "This interview is taking place at Kendal police station on the fourth of March."),
        ("officer", "Present are myself, Detective Constable Hughes, and your solicitor, Miss Turner."),
        ("suspect", "Right, let's get this over with."),
        ("officer", "Your van was stopped on the bypass with eleven catalytic converters in the back."),
        ("suspect", "I collect scrap metal for a living, I pick things up from garages all over Cumbria."),
        ("officer", "Can you name one garage that gave you a converter last week?"),
        ("suspect", "There was a place near Penrith, but I never wrote the name down."),
        ("officer", "Several of them still had fresh cuts and the paint was barely scratched."),
        ("suspect", "That is how they come off, I do not ask people how they take them off."),
        ("officer", "A battery saw was found under the passenger seat."),
        ("solicitor", "My client has been advised not to comment on the saw."),
    )),
    ("hit and run", (
        ("officer", "I would like to ask you about the collision on Harbour Road in Whitby."),
        ("witness", "I was walking my dog along the seafront at about quarter to seven."),
        ("officer", "What did you notice first?"),
        ("witness", "I heard tyres screeching and then a loud bang near the zebra crossing."),
        ("officer", "Where was the cyclist when you first saw him?"),
        ("witness", "He was lying in the road next to his bike, and the car did not stop."),
        ("officer", "Can you describe the car for me?"),
        ("witness", "It was a dark blue hatchback with a broken wing mirror on the driver's side."),
        ("officer", "Did you see who was driving?"),
        ("witness", "A young man with a beard, he looked straight at me before he drove off."),
        ("officer", "Thank you, an officer will take a full statement from you shortly."),
    )),
    ("knife", (
        ("officer", "You were searched outside Oakfield Academy yesterday afternoon."),
        ("officer", "The officer found a kitchen knife in the lining of your rucksack."),
        ("suspect", "Somebody must have put it there, it is not my knife."),
        ("officer", "Your friend Kieran told us that you showed it to him at lunch."),
        ("suspect", "Kieran is lying, he has had a problem with me since the summer."),
        ("officer", "Why would anybody need a knife at school?"),
        ("suspect", "Some boys from Hillside have been waiting for me after school."),
        ("officer", "Have you told a teacher or your mum about these boys?"),
        ("suspect", "No, because it would only make things worse for me."),
        ("guardian", "He has been scared to walk home for weeks, I knew nothing about this."),
        ("officer", "We will talk to the school about those threats as well."),
    )),
    ("romance scam", (
        ("officer", "Mrs Okafor, can you tell me how you first met the man called Richard?"),
        ("victim", "He sent me a friend request in August and said he was an engineer on an oil rig."),
        ("officer", "When did he first ask you for money?"),
        ("victim", "After about six weeks, he said his wages were frozen and he needed to pay a customs fee."),
        ("officer", "How much have you sent him altogether?"),
        ("victim", "Nearly nine thousand pounds, most of it in gift cards from the post office."),
        ("officer", "Have you ever spoken to him on a video call?"),
        ("victim", "He always said the camera on the rig was broken."),
        ("officer", "Do you still have the messages on your phone?"),
        ("victim", "Yes, I have kept every one of them, I feel so stupid now."),
        ("officer", "You are not the first person this has happened to, and you did the right thing."),
    )),
    ("football disorder", (
        ("officer", "This interview concerns the disorder outside the stadium in Wrexham on Saturday."),
        ("officer", "Footage shows a man in a grey tracksuit throwing a flare at the away supporters."),
        ("suspect", "I was at the match, but I was nowhere near the away end."),
        ("officer", "The man in the footage is wearing the same trainers you had on when you were arrested."),
        ("suspect", "Half the town wears those trainers, you can buy them anywhere."),
        ("officer", "You also have a burn mark on your right hand."),
        ("suspect", "I burnt it on the oven on Friday night, my girlfriend can tell you."),
        ("officer", "What is your girlfriend's name and phone number?"),
        ("suspect", "Her name is Chloe Price, but I do not know her number off by heart."),
        ("solicitor", "My client is happy to provide that number after the interview."),
        ("officer", "Thank you, the time is twenty past five and this interview is concluded."),
    )),
    ("dog attack", (
        ("officer", "A postman was bitten at your address on Elm Grove this morning."),
        ("owner", "I am so sorry, the gate must have been left open by the children."),
        ("officer", "What breed of dog is it and how old is he?"),
        ("owner", "He is a German shepherd called Bruno, he turned four in May."),
        ("officer", "Has Bruno ever bitten or chased anybody before?"),
        ("owner", "He barks at the bin men, but he has never hurt anyone."),
        ("officer", "The postman needed seven stitches in his leg at the hospital in Ipswich."),
        ("owner", "That is awful, please tell him I will pay for anything he needs."),
        ("officer", "A dog warden will visit you tomorrow to check the garden and the fence."),
        ("owner", "Of course, I will keep Bruno inside until the fence is fixed."),
    )),
)


def output_dir() -> Path:
    from shared.settings import cache_root

    return cache_root() / "bench" / "interviews-heldout"


def _voice_of(k: int, speakers: list[str], voices: tuple[str, ...] = VOICES,
              rates: tuple[int, ...] = RATES) -> dict[str, tuple[str, int]]:
    """Interview k's speakers (in order of appearance, plus 'officer2') -> (voice, rate); all different."""
    names = [*speakers, "officer2"]
    return {s: (voices[(2 * k + j) % len(voices)], rates[(k + 2 * j) % len(rates)]) for j, s in enumerate(names)}


def _utterances(k: int, lines: tuple[tuple[str, str], ...], workdir: Path, voices: tuple[str, ...] = VOICES,
                rates: tuple[int, ...] = RATES) -> tuple[list[np.ndarray], set[str]]:
    return interviews._utterances(k, lines, workdir, lambda k, speakers: _voice_of(k, speakers, voices, rates),
                                  prefix="h")


def _ending(k: int, tail: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Room tone only (k % 3 == 0), a stop click 1 s in (1), or a 0.6 s chair scrape 0.8 s in (2)."""
    tail = tail.copy()
    if k % 3 == 1:
        a, b = SAMPLE_RATE, SAMPLE_RATE + SAMPLE_RATE // 4
        tail[a:b] += (rng.standard_normal(b - a) * 0.05).astype(np.float32)
    elif k % 3 == 2:
        a, b = round(0.8 * SAMPLE_RATE), round(1.4 * SAMPLE_RATE)
        rumble = np.cumsum(rng.standard_normal(b - a))
        rumble -= np.linspace(rumble[0], rumble[-1], len(rumble))  # no step at either end
        tail[a:b] += (0.04 * rumble / np.abs(rumble).max()).astype(np.float32)
    return tail


def _interview(k: int, name: str, lines: tuple[tuple[str, str], ...], out: Path, tmp: Path, *, seed: int = 900,
               voices: tuple[str, ...] = VOICES, rates: tuple[int, ...] = RATES, kind: str = "heldout",
               mp4: bool | None = None) -> Recording:
    """One interview as WAV (and MP4 at even k, or where `mp4` says)."""
    rng = np.random.default_rng(seed + k)
    floor = float(rng.uniform(0.0015, 0.003))

    def tone(seconds: float) -> np.ndarray:
        return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * floor).astype(np.float32)

    utts, used = _utterances(k, lines, tmp, voices, rates)
    parts = [tone(float(rng.uniform(0.4, 0.8)))]
    for i, u in enumerate(utts):
        if i:
            parts.append(tone(float(rng.uniform(0.25, 0.9))))
        parts.append(u)
    last = sum(len(p) for p in parts) / SAMPLE_RATE
    audio = np.concatenate([*parts, _ending(k, tone(float(rng.uniform(1.6, 3.0))), rng)])
    stem = name.replace(" ", "-")
    wav = _write(out / f"{stem}.wav", audio, video=False)
    video = _write(out / f"{stem}.mp4", audio, video=True) if (k % 2 == 0 if mp4 is None else mp4) else None
    return Recording(stem, kind, str(wav), None if video is None else str(video), " ".join(t for _, t in lines),
                     round(len(audio) / SAMPLE_RATE, 3), round(last, 3), tuple(sorted(used)))


def build(out: Path | None = None, rebuild: bool = False) -> list[Recording]:
    """The held-out recordings, built once per espeak-ng version into ``out`` (``interviews.cached_build``)."""
    out = out or output_dir()
    return interviews.cached_build(out, rebuild, lambda tmp: [_interview(k, name, lines, out, tmp)
                                                              for k, (name, lines) in enumerate(HELDOUT)])


if __name__ == "__main__":
    interviews.show(build(rebuild=True))
