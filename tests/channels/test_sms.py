"""The SMS formatter: GSM-7 where possible, UCS-2 only when it must, short parts, nothing lost."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.sms import GSM7_BASIC, GSM7_EXTENSION, encoding, is_gsm7, segments, split_sms, to_gsm7, units

DUTCH = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,!?€:;-'\"()ëïéèöüóáàç’“”–…\n"


def test_the_dutch_characters_that_force_ucs2():
    assert is_gsm7("Dat kan! Ook één keer, met € 210 en é è ö ü")
    for ch in "ëïóáâêôû’“”–…🙂":
        assert not is_gsm7(f"financi{ch}le"), ch
    assert to_gsm7("financiële zorg’s – “ja”…") == "financiele zorg's - \"ja\"..."
    assert encoding(to_gsm7("naïef, reünie, coördinatie")) == "gsm7"
    assert encoding(to_gsm7("fijn 🙂")) == "ucs2"  # an emoji has no GSM-7 form


def test_segment_arithmetic():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert units("€") == 2 and segments("€" * 80) == 1 and segments("€" * 81) == 2
    assert segments("🙂" * 35) == 1 and segments("🙂" * 36) == 2  # a surrogate pair is two UCS-2 units
    assert segments("ë" * 70) == 1 and segments("ë" * 71) == 2


def test_a_split_falls_between_sentences():
    text = "Eerste zin is hier. " * 6 + "\n\nTweede alinea met een link https://betaal.example.nl/abc."
    parts = split_sms(text, max_segments=1)
    assert all(p.segments == 1 for p in parts)
    assert all(p.text.endswith(".") for p in parts)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list(DUTCH)), max_size=900), max_segments=st.integers(1, 4))
def test_parts_fit_keep_every_word_and_stay_gsm7_for_dutch(text, max_segments):
    parts = split_sms(text, max_segments=max_segments)
    assert all(p.segments <= max_segments and p.text for p in parts)
    assert all(p.encoding == "gsm7" for p in parts)  # every Dutch letter and mark has a GSM-7 form
    assert "".join(" ".join(p.text for p in parts).split()) == "".join(to_gsm7(text).split())


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=500), max_segments=st.integers(1, 3))
def test_any_unicode_is_split_within_limits_without_losing_characters(text, max_segments):
    parts = split_sms(text, max_segments=max_segments, transliterate=False)
    assert all(p.segments <= max_segments for p in parts)
    assert all(p.encoding == ("gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in p.text) else "ucs2")
               for p in parts)
    assert "".join("".join(p.text for p in parts).split()) == "".join(text.split())
