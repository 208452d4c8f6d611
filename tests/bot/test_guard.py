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


def test_slashes_and_whitespace_in_any_mix_are_neutralised():
    # Rasa strips the text before it looks for "/": " / /crisis" would force the intent.
    assert neutralise(" / /crisis") == "crisis"
    assert neutralise("\u00a0/\t/affirm") == "affirm"
    assert neutralise("/") == ""


def test_the_limit_is_the_setting_and_a_flood_is_told_once_a_window(monkeypatch):
    monkeypatch.setenv("BETAALHULP_MAX_MESSAGES_PER_MINUTE", "7")
    limit = SenderRateLimit()
    assert limit.limit == 7
    assert limit.first_refusal("sms:a", now=0) and not limit.first_refusal("sms:a", now=30)
    assert limit.first_refusal("sms:a", now=61)
