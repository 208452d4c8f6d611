"""QR codes, IBAN and RF references (issue 4, R3), decoded back with real decoders (zbar, zxing)."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bot.payments import qr

IBAN = "NL91ABNA0417164300"
pytestmark = pytest.mark.timeout(120)


def zbar(png: bytes, tmp_path) -> bytes:
    if not shutil.which("zbarimg"):
        pytest.fail("zbarimg is missing: run scripts/system_deps.sh (Debian zbar-tools)")
    path = tmp_path / "code.png"
    path.write_bytes(png)
    # -Sbinary: the bytes as encoded, without zbar guessing a character set.
    result = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(path)], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.removesuffix(b"\n")


# -- IBAN ---------------------------------------------------------------------------------------
def test_known_ibans():
    assert qr.is_valid_iban(IBAN)
    assert qr.is_valid_iban("nl91 abna 0417 1643 00")
    assert qr.is_valid_iban("DE89370400440532013000")
    assert not qr.is_valid_iban("NL92ABNA0417164300")  # check digits off
    assert not qr.is_valid_iban("NL91ABNA041716430")   # one short for NL
    assert not qr.is_valid_iban("")
    assert not qr.is_valid_iban("NL91-ABNA-0417")


@given(bank=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4),
       account=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_iban_round_trip(bank, account):
    iban = qr.make_iban("NL", bank + account)
    assert qr.is_valid_iban(iban) and len(iban) == 18


@given(account=st.text(alphabet="0123456789", min_size=10, max_size=10), position=st.integers(4, 17),
       shift=st.integers(1, 9))
def test_iban_catches_every_single_digit_error(account, position, shift):
    iban = qr.make_iban("NL", "ABNA" + account)
    if not iban[position].isdigit():
        return
    wrong = iban[:position] + str((int(iban[position]) + shift) % 10) + iban[position + 1:]
    assert not qr.is_valid_iban(wrong)


# -- ISO 11649 RF ------------------------------------------------------------------------------
def test_rf_example_from_the_standard():
    assert qr.rf_reference("539007547034") == "RF18539007547034"
    assert qr.is_valid_rf("RF18 5390 0754 7034")
    assert not qr.is_valid_rf("RF19539007547034")
    assert qr.group_in_fours("RF18539007547034") == "RF18 5390 0754 7034"


@given(base=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=21))
def test_rf_round_trip(base):
    reference = qr.rf_reference(base)
    assert qr.is_valid_rf(reference) and reference.endswith(base) and len(reference) <= 25


@given(base=st.text(alphabet="0123456789", min_size=2, max_size=21), position=st.integers(0, 20),
       shift=st.integers(1, 9))
def test_rf_catches_a_changed_digit(base, position, shift):
    reference = qr.rf_reference(base)
    position = 4 + position % len(base)
    wrong = reference[:position] + str((int(reference[position]) + shift) % 10) + reference[position + 1:]
    assert not qr.is_valid_rf(wrong)


def test_rf_rejects_bad_bases():
    for base in ("", "A" * 22, "ab-c", "é"):
        with pytest.raises(ValueError):
            qr.rf_reference(base)


def test_new_references_are_valid_and_short():
    reference = qr.new_rf_reference()
    assert qr.is_valid_rf(reference) and len(reference) == 16


# -- EPC069-12 ---------------------------------------------------------------------------------
def test_epc_payload_field_by_field():
    payload = qr.epc_payload(name="Voorbeeld Lening B.V.", iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A",
                             amount_cents=21000, reference="RF18539007547034")
    lines = payload.split("\n")
    assert lines[0] == "BCD"                     # 1 service tag
    assert lines[1] == "002"                     # 2 version
    assert lines[2] == "1"                       # 3 character set: UTF-8
    assert lines[3] == "SCT"                     # 4 identification: SEPA credit transfer
    assert lines[4] == "ABNANL2A"                # 5 BIC of the beneficiary bank
    assert lines[5] == "Voorbeeld Lening B.V."   # 6 beneficiary name, at most 70
    assert lines[6] == IBAN                      # 7 IBAN, without spaces
    assert lines[7] == "EUR210.00"               # 8 amount: EUR, a decimal point, 2 decimals at most
    assert lines[8] == ""                        # 9 purpose code (none)
    assert lines[9] == "RF18539007547034"        # 10 structured reference (ISO 11649)
    assert len(lines) == 10                      # 11 and 12 empty: no trailing separator
    assert not payload.endswith("\n")
    assert len(payload.encode()) <= qr.EPC_MAX_BYTES


def test_epc_with_text_instead_of_reference_and_all_fields():
    payload = qr.epc_payload(name="Voorbeeld", iban=IBAN, amount_cents=1, text="Achterstand PE-100001",
                             purpose="LOAR", info="Dank je")
    assert payload.split("\n") == ["BCD", "002", "1", "SCT", "", "Voorbeeld", IBAN, "EUR0.01", "LOAR", "",
                                   "Achterstand PE-100001", "Dank je"]


@pytest.mark.parametrize("fields, reason", [
    ({"iban": "NL92ABNA0417164300"}, "IBAN"),
    ({"bic": "ABN"}, "BIC"),
    ({"name": ""}, "name"),
    ({"name": "x" * 71}, "name"),
    ({"amount_cents": 0}, "amount"),
    ({"amount_cents": -5}, "amount"),
    ({"amount_cents": 100_000_000_000}, "amount"),
    ({"amount_cents": True}, "amount"),
    ({"text": "vrije tekst"}, "both"),
    ({"reference": "RF00123"}, "reference"),
    ({"reference": "", "text": "x" * 141}, "text"),
    ({"purpose": "loan"}, "purpose"),
])
def test_epc_refuses_what_the_standard_does_not_allow(fields, reason):
    good = {"name": "Voorbeeld", "iban": IBAN, "bic": "ABNANL2A", "amount_cents": 21000,
            "reference": "RF18539007547034"}
    with pytest.raises(ValueError, match=reason):
        qr.epc_payload(**{**good, **fields})


def test_epc_payload_stays_within_331_bytes():
    # Every field at its maximum is still one byte-count check away from a too-large code.
    with pytest.raises(ValueError, match="331"):
        qr.epc_payload(name="é" * 70, iban=IBAN, bic="ABNANL2AXXX", amount_cents=99_999_999_999,
                       text="é" * 140, purpose="LOAR", info="é" * 70)


def test_epc_qr_decodes_byte_for_byte(tmp_path):
    payload = qr.epc_payload(name="Voorbeeld Lening B.V.", iban=IBAN, bic="ABNANL2A", amount_cents=21050,
                             reference="RF18539007547034")
    png = qr.epc_qr_png(name="Voorbeeld Lening B.V.", iban=IBAN, bic="ABNANL2A", amount_cents=21050,
                        reference="RF18539007547034")
    assert png.startswith(b"\x89PNG")
    assert zbar(png, tmp_path) == payload.encode()


def test_epc_qr_keeps_utf8_names(tmp_path):
    payload = qr.epc_payload(name="Lening & Zoon Café", iban=IBAN, amount_cents=100, text="Betaling")
    assert zbar(qr.qr_png(payload), tmp_path).decode("utf-8") == payload


def test_link_qr_decodes_and_uses_error_correction_m(tmp_path):
    url = "http://localhost:8080/pay/3a48babe-ce8b-4b23-92e8-6190b59ab16b"
    png = qr.link_qr_png(url)
    assert zbar(png, tmp_path) == url.encode()
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "code.png"))
    assert [code.text for code in found] == [url]
    assert found[0].ec_level == "M"
