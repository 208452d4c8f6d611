"""Logs are masked by construction (issue 23 §2): every record of the process, whatever handler
prints it, and every line the supervisor passes on."""
from __future__ import annotations

import io
import logging
import warnings

import pytest

from bot.ops.logs import install_masking, masked_line
from bot.privacy import known_names
from bot.privacy.logfilter import mask, remember_user_text

DUTCH_PHONES = ["+31 6 12345678", "06-1234 5678", "020-1234567", "0612345678", "+31612345001", "06 12345678",
                "0031 6 1234 5678", "(020) 123 4567", "+31 (0)6 1234 5678", "010 - 123 45 67"]
IBANS = ["NL91ABNA0417164300", "nl91abna0417164300", "NL91 ABNA 0417 1643 00", "nl91 abna 0417 1643 00"]


@pytest.mark.parametrize("phone", DUTCH_PHONES)
def test_every_dutch_way_of_writing_a_phone_number_is_masked(phone):
    masked = mask(f"bel me op {phone} vanavond", names=False)
    assert masked == "bel me op [phone] vanavond", masked


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_in_any_case_with_or_without_spaces(iban):
    assert mask(f"mijn rekening is {iban}.", names=False) == "mijn rekening is [iban]."


def test_payment_ids_loan_references_and_customer_numbers():
    line = ("GET /pay/3fa85f64-5717-4562-b3fc-2c963f66afa6/done 200; loan PE-100001; "
            "slots {'customer_number': '100001'}")
    assert mask(line, names=False) == "GET /pay/[id]/done 200; loan [loan]; slots {'customer_number': '[number]'}"


def test_what_is_not_personal_stays_readable():
    line = "payment 42 moved from open to paid in 0.13 s; 150 events; port 5005"
    assert mask(line, names=False) == line


def test_known_customers_names_are_masked_word_by_word(database):
    known_names.reload()
    masked = mask("Sanne de Vries and Mohamed El Amrani wrote; so did PETRA jansen")
    for name in ("Sanne", "Vries", "Mohamed", "Amrani", "PETRA", "jansen"):
        assert name not in masked
    assert "wrote; so did" in masked and "[naam]" in masked


def test_remembered_user_text_and_quoted_messages_are_masked():
    remember_user_text("ik ben mijn baan kwijt en heb schulden bij de buurman")
    line = "Failed to parse arguments in line '/crisis{\"a\": 1}': ik ben mijn baan kwijt en heb schulden bij de buurman"
    masked = mask(line, names=False)
    assert "buurman" not in masked and "crisis" not in masked
    assert mask("{'text': 'zomaar iets persoonlijks'}", names=False) == "{'text': '[tekst]'}"


def test_a_handler_installed_after_ours_still_gets_masked_records():
    """Rasa installs coloredlogs after our set-up; uvicorn its dictConfig: neither sees raw data."""
    install_masking()
    out = io.StringIO()
    late = logging.StreamHandler(out)  # no filter of ours on it
    logger = logging.getLogger("test.late_handler")
    logger.addHandler(late)
    logger.setLevel(logging.INFO)
    try:
        logger.info("customer %s iban %s phone %s", "100002", "nl91 abna 0417 1643 00", "06-1234 5678")
        try:
            raise ValueError("birth date 03-11-1979")
        except ValueError:
            logger.exception("failed for 100002")
    finally:
        logger.removeHandler(late)
    written = out.getvalue()
    assert "customer [number] iban [iban] phone [phone]" in written
    for secret in ("100002", "abna", "1234 5678", "03-11-1979"):
        assert secret not in written, secret


def test_warnings_go_through_logging_and_are_masked():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logging.getLogger("py.warnings").addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            logging.captureWarnings(False)  # pytest records warnings itself: hand them to logging here
            install_masking()
            warnings.warn("Failed to parse arguments in line '06-1234 5678 NL91ABNA0417164300'", UserWarning)
    finally:
        logging.getLogger("py.warnings").removeHandler(handler)
        logging.captureWarnings(False)
    assert "UserWarning" in out.getvalue() and "NL91" not in out.getvalue() and "1234 5678" not in out.getvalue()


def test_the_supervisor_masks_every_line_it_passes_on(database, tmp_path):
    from bot.ops.stack import Stack
    known_names.reload()
    out = io.StringIO()
    Stack([], tmp_path, out=out).say("rasa", "print() of Sanne de Vries, 12-04-1988, +31 6 12345678")
    assert out.getvalue() == "rasa     | print() of [naam] de [naam], [date], [phone]\n"
    assert masked_line("PE-100001") == "[loan]"
