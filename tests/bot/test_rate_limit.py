"""The sliding-window limiter the widget and every REST sender share (bot/rate_limit.py)."""
from bot.rate_limit import RateLimit


def test_at_most_limit_hits_per_window_per_key():
    limit = RateLimit(2, 60)
    assert [limit.allow("a", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limit.allow("b", now=2)  # another key counts apart
    assert limit.allow("a", now=60.5) and not limit.allow("a", now=60.6)  # 0 left the window, 1 did not yet


def test_the_oldest_keys_are_forgotten_beyond_max_keys():
    limit = RateLimit(1, 60, max_keys=2)
    for key in ("a", "b", "c"):
        assert limit.allow(key, now=0)
    assert limit.allow("a", now=1)  # "a" was forgotten to keep memory bounded
    assert not limit.allow("c", now=1)
