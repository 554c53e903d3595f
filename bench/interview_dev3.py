"""A third development interview set of the held-out kind: more words where the VAD finds no pause to cut at.

    python -m bench.interview_dev3        # (re)build into <cache root>/bench/interviews-dev3, list the files

Made after dev2 (``bench.interview_dev2``) showed that the forced cut (talk that runs past a window with no
pause the VAD ends a region at) is where toex lost to faster-whisper, and that three files cannot separate
effects smaller than Whisper's own spread. Built as dev2 is (``interview_heldout``'s ``_interview``: 0.25-0.9 s
pauses, a room-tone level per interview, the three endings), with its own texts and voice + variant pairs that
no other set in bench/ or tests/ uses, every interview as WAV and MP4. Texts and voices were written and
committed before either system ran on the set. This set may be tuned on; the held-out set may not.
"""

from __future__ import annotations

from pathlib import Path

from bench import interviews
from bench.interview_heldout import Interview, _interview
from bench.interviews import Recording

VOICES = ("en-gb-x-rp+John", "en-us+Mike", "en-gb-scotland+Alex", "en-029+David", "en-gb+Zac", "en-us-nyc+Lee",
          "en-gb-x-gbclan+Rob", "en-gb-x-gbcwmd+shelby")
RATES = (150, 166, 141, 158, 170, 145)

DEV3: tuple[Interview, ...] = (
    ("garden shed", (
        ("officer", "Two bicycles and a lawn mower were taken from a shed on Mill Lane in Ludlow last week."),
        ("suspect", "I walk my dog down Mill Lane most evenings, but I have never been in anyone's garden."),
        ("officer", "A neighbour saw a man in a green jacket carrying a bicycle over the back fence."),
        ("suspect", "Lots of people have green jackets, mine came from the market in Shrewsbury."),
        ("officer", "One of the bicycles was advertised for sale online from your phone number."),
        ("suspect", "My cousin borrowed my phone that weekend, he said he was selling his old bike."),
        ("officer", "What is your cousin's name and where does he live?"),
        ("suspect", "His name is Aaron Webb and he lives above the bakery on Broad Street."),
        ("solicitor", "My client would like to stop for a short break to speak with me."),
        ("officer", "The time is ten to three, and we are pausing the interview."),
    )),
    ("petrol station", (
        ("officer", "On Monday night a blue van filled up with forty pounds of diesel at the garage in Bridlington."),
        ("driver", "I do remember stopping there, I was on my way back from a job in Scarborough."),
        ("officer", "The van drove off without paying, and the cashier wrote down the registration."),
        ("driver", "That cannot be right, I paid at the pump with my card like I always do."),
        ("officer", "The garage has no record of any card payment from that pump after nine o'clock."),
        ("driver", "Then the machine must have failed, because the screen told me the payment was approved."),
        ("officer", "Do you still have the receipt or a message from your bank?"),
        ("driver", "I threw the receipt away, but I can check my banking app right now if you like."),
        ("officer", "Please do, and we will note the amount and the time it shows."),
        ("driver", "Here it is, forty pounds at nine fourteen, the same night."),
        ("officer", "Thank you, we will ask the garage to look at their system again."),
    )),
    ("care home", (
        ("officer", "A ring and a watch have gone missing from a resident's room at Beech House care home."),
        ("carer", "I look after Mrs Daley most mornings, she keeps her jewellery in the top drawer."),
        ("officer", "The manager says you were the only member of staff on that corridor on Tuesday."),
        ("carer", "That is true until lunch, but the cleaners and the visitors use that corridor too."),
        ("officer", "A ring matching the description was sold to a shop in Darlington on Wednesday."),
        ("carer", "I was at work all day on Wednesday, the rota and the signing in book will show it."),
        ("officer", "The shop's camera shows a woman with short red hair and a grey coat."),
        ("carer", "My hair is long and brown, you can see that for yourself."),
        ("solicitor", "My client has answered every question and denies taking anything."),
        ("officer", "We will check the rota and the book, and speak to the other staff."),
    )),
    ("fly tipping", (
        ("officer", "A pile of rubble and old kitchen units was dumped in a lay-by near Thirsk on Friday."),
        ("suspect", "I run a small building firm and we take all our waste to the tip in Northallerton."),
        ("officer", "Some of the units had your company's delivery labels still attached to them."),
        ("suspect", "We fitted a kitchen in Ripon last month, the old units went in a skip on the drive."),
        ("officer", "The skip company told us they never collected a skip from that address."),
        ("suspect", "Then the customer must have got rid of it themselves, I paid a lad to clear it."),
        ("officer", "What was his name and how much did you pay him?"),
        ("suspect", "I only know him as Deano, I gave him a hundred and twenty pounds in cash."),
        ("officer", "Did you check that he had a licence to carry waste?"),
        ("suspect", "No, I did not, and I can see now that I should have done."),
        ("officer", "The time is four thirty and this interview is concluded."),
    )),
)


def output_dir() -> Path:
    from shared.settings import cache_root

    return cache_root() / "bench" / "interviews-dev3"


def build(out: Path | None = None, rebuild: bool = False) -> list[Recording]:
    """The third development recordings (every one as WAV and MP4), built once per espeak-ng version."""
    out = out or output_dir()
    return interviews.cached_build(out, rebuild, lambda tmp: [
        _interview(k, name, lines, out, tmp, seed=800, voices=VOICES, rates=RATES, kind="dev3", mp4=True)
        for k, (name, lines) in enumerate(DEV3)])


if __name__ == "__main__":
    interviews.show(build(rebuild=True))
