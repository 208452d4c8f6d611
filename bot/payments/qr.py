"""QR codes for paying (R3): one that opens the payment link, and an EPC QR ("SEPA credit transfer",
EPC069-12) that fills in a transfer in the customer's bank app, with an ISO 11649 RF reference.

The EPC QR needs no payment provider, so it still works when Mollie is down (issue 4, point 5).
"""
from __future__ import annotations

import io
import re
import secrets

import qrcode
from qrcode.constants import ERROR_CORRECT_M

EPC_MAX_BYTES = 331
EPC_MAX_AMOUNT_CENTS = 99_999_999_999  # EUR 999999999.99
# Lengths per country for the countries a Dutch lender's customers bank in most; others are
# checked on format and check digits only.
IBAN_LENGTHS = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20, "ES": 24, "IT": 27, "AT": 20,
                "GB": 22, "IE": 22, "PT": 25, "PL": 28, "GR": 27, "FI": 18, "DK": 18, "SE": 24}
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_REF_BASE = re.compile(r"^[A-Z0-9]{1,21}$")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over letters-as-numbers (A=10 ... Z=35), as IBAN and RF both use."""
    digits = "".join(str(int(ch, 36)) for ch in text)
    return int(digits) % 97


# -- IBAN -------------------------------------------------------------------------------------
def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _mod97(_compact(bban) + country.upper() + '00'):02d}"


def make_iban(country: str, bban: str) -> str:
    return f"{country.upper()}{iban_check_digits(country, bban)}{_compact(bban)}"


def is_valid_iban(iban: str) -> bool:
    iban = _compact(iban)
    if not _IBAN_SHAPE.match(iban):
        return False
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban):
        return False
    return _mod97(iban[4:] + iban[:4]) == 1


def is_valid_bic(bic: str) -> bool:
    return bool(_BIC_SHAPE.match(_compact(bic)))


# -- ISO 11649 creditor reference -------------------------------------------------------------
def rf_reference(base: str) -> str:
    """"RF" + 2 check digits + the reference (1 to 21 letters or digits)."""
    base = _compact(base)
    if not _REF_BASE.match(base):
        raise ValueError("a creditor reference is 1 to 21 letters or digits")
    return f"RF{98 - _mod97(base + 'RF00'):02d}{base}"


def is_valid_rf(reference: str) -> bool:
    reference = _compact(reference)
    if not reference.startswith("RF") or len(reference) < 5 or len(reference) > 25:
        return False
    if not reference[2:4].isdigit() or not _REF_BASE.match(reference[4:]):
        return False
    return _mod97(reference[4:] + reference[:4]) == 1


def new_rf_reference() -> str:
    """12 random digits: easy to type over, and unlikely to meet another open payment."""
    return rf_reference(f"{secrets.randbelow(10**12):012d}")


def group_in_fours(reference: str) -> str:
    """The printed form ("RF18 5390 0754 7034"), easier to copy by hand."""
    compact = _compact(reference)
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


# -- EPC069-12 payload ------------------------------------------------------------------------
def epc_payload(*, name: str, iban: str, amount_cents: int, bic: str = "", reference: str = "",
                text: str = "", purpose: str = "", info: str = "") -> str:
    """The twelve EPC QR lines (version 002, UTF-8, SEPA credit transfer); ValueError on bad input.

    The standard allows a structured reference or free text, never both.
    """
    iban = _compact(iban)
    if not is_valid_iban(iban):
        raise ValueError("the IBAN is not valid")
    if bic and not is_valid_bic(bic):
        raise ValueError("the BIC is not valid")
    name = name.strip()
    if not 1 <= len(name) <= 70:
        raise ValueError("the beneficiary name is 1 to 70 characters")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
            or not 1 <= amount_cents <= EPC_MAX_AMOUNT_CENTS:
        raise ValueError("the amount is between EUR 0.01 and EUR 999999999.99")
    if reference and text:
        raise ValueError("a structured reference and free text cannot both be given")
    if reference and not is_valid_rf(reference):
        raise ValueError("the reference is not a valid RF creditor reference")
    if len(text) > 140 or len(info) > 70:
        raise ValueError("the text is at most 140 characters, the note at most 70")
    if purpose and not re.fullmatch(r"[A-Z]{4}", purpose):
        raise ValueError("the purpose is a 4-letter ISO 20022 code")
    whole, cents = divmod(amount_cents, 100)
    lines = ["BCD", "002", "1", "SCT", _compact(bic), name, iban, f"EUR{whole}.{cents:02d}", purpose,
             _compact(reference), text, info]
    # Trailing empty fields are left out: the last element carries no separator after it.
    while lines and lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > EPC_MAX_BYTES:
        raise ValueError(f"the EPC payload is longer than {EPC_MAX_BYTES} bytes")
    return payload


# -- images -----------------------------------------------------------------------------------
def qr_png(data: str | bytes, *, box_size: int = 8) -> bytes:
    """A PNG with error correction M (what EPC069-12 prescribes, and enough for a phone camera)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(data.encode("utf-8") if isinstance(data, str) else data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def link_qr_png(url: str) -> bytes:
    return qr_png(url)


def epc_qr_png(**fields) -> bytes:
    return qr_png(epc_payload(**fields))
