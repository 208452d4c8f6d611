"""The Telegram channel mounted in a real Sanic app: updates as Telegram sends them, the secret
token on every update, replies to a local stand-in for the Bot API (issue 6; issue 9 §1, §3)."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
import requests

from bot.channels import telegram as telegram_channel
from bot.channels.telegram import MEDIA_WITHOUT_TEXT, TelegramSecretInput, TelegramSettings

TOKEN = "7012345678:AAHk-test-token-not-real_0123456789"
SECRET = "s3cr3t-Token_for-tests"
CHAT = 987654321


def user(chat_id: int = CHAT) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "Sanne", "language_code": "nl"}


def message_update(update_id: int, text: str | None = "hoi", chat_id: int = CHAT, **extra) -> dict:
    message = {"message_id": update_id % 1000, "from": user(chat_id),
               "chat": {"id": chat_id, "first_name": "Sanne", "type": "private"}, "date": 1763805600, **extra}
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, chat_id: int = CHAT) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": user(chat_id), "chat_instance": "-6045830127613445151", "data": data,
        "message": {"message_id": 12, "from": {"id": 7012345678, "is_bot": True, "first_name": "Betaalhulp",
                                               "username": "betaalhulp_bot"},
                    "chat": {"id": chat_id, "first_name": "Sanne", "type": "private"}, "date": 1763805500,
                    "text": "Vraag 1. Is je inkomen anders?",
                    "reply_markup": {"inline_keyboard": [[{"text": "Ja", "callback_data": "ja"}],
                                                         [{"text": "Nee", "callback_data": "nee"}]]}}}}


def post(app, body, secret: str | None = SECRET) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(f"{app.url}/webhooks/telegram_secret/webhook", data=data, headers=headers, timeout=30)


def settings(api_url: str) -> TelegramSettings:
    return TelegramSettings(token=TOKEN, secret_token=SECRET, api_base_url=f"{api_url}/bot", max_attempts=3,
                            backoff_seconds=0.01)


@pytest.fixture
def channel(database, telegram_api):
    return TelegramSecretInput(settings(telegram_api.url))


@pytest.fixture
def app(mount, channel):
    return mount(channel)


def test_a_message_reaches_the_bot_as_telegram_chat_id_without_a_verified_phone(app):
    assert post(app, message_update(100, "Hoi, ik heb een achterstand")).status_code == 200
    [message] = app.agent.messages
    assert message.text == "Hoi, ik heb een achterstand"
    assert message.sender_id == f"telegram:{CHAT}" and message.input_channel == "telegram_secret"
    assert "verified_phone" not in message.metadata


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_wrong_or_missing_secret_token_is_403_and_never_reaches_the_bot(app, secret):
    reply = post(app, message_update(101), secret=secret)
    assert reply.status_code == 403 and reply.json()["error"]
    assert app.agent.messages == []


def test_a_shared_phone_number_in_a_contact_is_not_trusted(app):
    contact = {"phone_number": "+31612345001", "first_name": "Sanne", "user_id": CHAT}
    post(app, message_update(102, None, contact=contact))
    [message] = app.agent.messages
    assert message.text == MEDIA_WITHOUT_TEXT and "verified_phone" not in message.metadata


def test_the_same_update_id_twice_makes_one_turn(app):
    assert post(app, message_update(103)).status_code == 200
    assert post(app, message_update(103)).status_code == 200
    assert len(app.agent.messages) == 1


def test_a_photo_without_caption_becomes_a_kind_out_of_scope_turn(app):
    photo = [{"file_id": "AgACAgQAAxkBAAIB", "file_unique_id": "AQADx", "file_size": 1234, "width": 90,
              "height": 90}]
    post(app, message_update(104, None, photo=photo))
    assert app.agent.messages[0].text == MEDIA_WITHOUT_TEXT


def test_a_button_press_sends_its_payload_and_answers_the_callback(app, telegram_api):
    post(app, callback_update(105, "nee"))
    [message] = app.agent.messages
    assert message.text == "nee" and message.sender_id == f"telegram:{CHAT}"
    deadline = time.monotonic() + 10  # answered beside the turn, never holding up the webhook
    while not telegram_api.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    [answer] = telegram_api.requests
    assert answer.path == f"/bot{TOKEN}/answerCallbackQuery"
    assert answer.field("callback_query_id") == "4382bfdwdsb323b2d9"


def test_replies_use_an_inline_keyboard_and_photos(app, telegram_api):
    qr = "https://betaalhulp.example.nl/qr/abc123.png"
    app.agent.replies = [{"text": "Vraag 1. Is je inkomen anders?",
                          "buttons": [{"title": "Ja", "payload": "ja"}, {"title": "Nee", "payload": "nee"}]},
                         {"text": "Scan de QR-code.", "image": qr}]
    post(app, message_update(106))
    buttons, text, photo = telegram_api.requests
    assert buttons.method == "sendMessage" and buttons.field("chat_id") == str(CHAT)
    assert json.loads(buttons.field("reply_markup")) == {"inline_keyboard": [
        [{"text": "Ja", "callback_data": "ja"}], [{"text": "Nee", "callback_data": "nee"}]]}
    assert text.method == "sendMessage" and text.field("text") == "Scan de QR-code."
    assert photo.method == "sendPhoto" and photo.field("photo") == qr and photo.field("chat_id") == str(CHAT)


def test_too_long_payloads_go_by_number_and_map_back(app, telegram_api):
    long_payload = "betaalregeling van drie maanden met een kleinere termijn en daarna weer normaal"
    app.agent.replies = [{"text": "Kies", "buttons": [{"title": "Regeling", "payload": long_payload}]}]
    post(app, message_update(107))
    keyboard = json.loads(telegram_api.requests[0].field("reply_markup"))
    assert keyboard["inline_keyboard"][0][0]["callback_data"] == "1"
    app.agent.replies = []
    post(app, callback_update(108, "1"))
    assert app.agent.messages[-1].text == long_payload


def test_pushes_from_outside_a_conversation_work_on_any_event_loop(app, channel, telegram_api):
    # as Rasa's HTTP API does (output_channel=latest): a fresh output channel, on the server's loop
    app.run(channel.get_output_channel().send_text_message(f"telegram:{CHAT}", "Je betaling is binnen."))
    # and from a loop of its own (a follow-up process)
    asyncio.run(channel.get_output_channel().send_image_url(f"telegram:{CHAT}", "https://x.example/qr.png"))
    assert [r.method for r in telegram_api.requests] == ["sendMessage", "sendPhoto"]
    assert telegram_api.requests[0].field("text") == "Je betaling is binnen."


def test_send_failures_are_retried(channel, telegram_api):
    telegram_api.fail_next = [502]
    asyncio.run(channel.get_output_channel().send_text_message(f"telegram:{CHAT}", "hallo"))
    assert telegram_api.attempts == 2 and len(telegram_api.requests) == 1


@pytest.mark.parametrize("body,status", [
    (b"not json", 400),
    (b"[1, 2]", 400),
    (b'{"message": {"text": "hoi"}}', 400),            # no update_id
    (b'{"update_id": "12", "message": {}}', 400),      # update_id not an integer
    (b'{"update_id": 12, "message": {"text": 5}}', 400),  # not a Message
])
def test_malformed_updates_get_a_4xx_with_a_reason(app, body, status):
    reply = post(app, body)
    assert reply.status_code == status and reply.json()["error"]
    assert app.agent.messages == []


def test_updates_that_make_no_turn_are_acknowledged(app):
    edited = {"update_id": 109, "edited_message": message_update(109)["message"]}
    assert post(app, edited).json() == {"status": "ignored"}
    assert app.agent.messages == []


def test_set_webhook_is_a_cli_command(telegram_api, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"{telegram_api.url}/bot")
    telegram_api.answer = lambda recorded: (200, {"ok": True, "result": True})
    url = "https://betaalhulp.example.nl/webhooks/telegram_secret/webhook"
    assert telegram_channel.main(["set-webhook", url]) == 0
    [call] = telegram_api.requests
    assert call.method == "setWebhook" and call.field("url") == url and call.field("secret_token") == SECRET
    assert json.loads(call.field("allowed_updates")) == ["message", "callback_query"]
    assert "webhook set" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        telegram_channel.main(["set-webhook", "http://insecure.example/hook"])
