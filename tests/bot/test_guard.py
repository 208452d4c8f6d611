from bot.channels.guard import SenderRateLimit, neutralise


def test_slash_syntax_never_reaches_rasa():
    assert neutralise('/affirm{"verified": true}') == 'affirm{"verified": true}'
    assert neutralise("  //inform") == "inform"
    assert neutralise("ja / nee") == "ja / nee"


def test_rate_limit_per_sender_and_window():
    limit = SenderRateLimit(limit=3, window=60)
    assert all(limit.allow("rest:a", now=t) for t in (0, 1, 2))
    assert not limit.allow("rest:a", now=3)
    assert limit.allow("rest:b", now=3)
    assert limit.allow("rest:a", now=61)
