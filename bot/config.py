"""Every setting from the environment, read once, with the embedded defaults of `make run`.

No setting is needed for the embedded set-up (SQLite, local ports); production picks
PostgreSQL, Redis and tokens through the same variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return raw.strip().lower() in ("1", "true", "yes", "on") if raw else default


def secret_from_env(name: str) -> str | None:
    """A secret from the environment, or from the file named by NAME_FILE (a mounted secret,
    mode 0600): never from the repository or a command line."""
    value = os.environ.get(name)
    if not value and os.environ.get(f"{name}_FILE"):
        value = Path(os.environ[f"{name}_FILE"]).read_text(encoding="utf-8").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    rasa_url: str
    rasa_auth_token: str | None
    rasa_port: int
    actions_port: int
    web_port: int
    console_port: int
    max_verification_attempts: int
    verification_lock_minutes: int
    lender_name: str
    lender_iban: str
    lender_bic: str
    web_host: str
    # Payments (issue 4): which provider makes links, and the address customers reach us on.
    payment_provider: str
    public_url: str
    mollie_api_key: str | None
    mollie_api_url: str | None
    web_secret: str | None
    # Website widget (issue 6): where browsers reach Rasa's widget channel.
    widget_server_url: str
    # Staff console (issue 5): sessions, lockout and rate limiting.
    console_session_idle_minutes: int
    console_cookie_secure: bool


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'betaalhulp.db'}"


@lru_cache(maxsize=1)
def settings() -> Settings:
    data_dir = Path(os.environ.get("BETAALHULP_DATA_DIR", PROJECT_ROOT / "var"))
    rasa_port = _int("RASA_PORT", 5005)
    return Settings(
        database_url=os.environ.get("BETAALHULP_DATABASE_URL") or default_database_url(data_dir),
        data_dir=data_dir,
        rasa_url=os.environ.get("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        rasa_auth_token=secret_from_env("RASA_AUTH_TOKEN"),
        rasa_port=rasa_port,
        actions_port=_int("ACTIONS_PORT", 5055),
        web_port=_int("WEB_PORT", 8080),
        console_port=_int("CONSOLE_PORT", 8081),
        max_verification_attempts=_int("BETAALHULP_MAX_VERIFICATION_ATTEMPTS", 3),
        verification_lock_minutes=_int("BETAALHULP_VERIFICATION_LOCK_MINUTES", 30),
        # A fictional lender for the demo; a real one sets its own account here.
        lender_name=os.environ.get("BETAALHULP_LENDER_NAME", "Voorbeeld Lening B.V."),
        lender_iban=os.environ.get("BETAALHULP_LENDER_IBAN", "NL91ABNA0417164300"),
        lender_bic=os.environ.get("BETAALHULP_LENDER_BIC", "ABNANL2A"),
        web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
        payment_provider=os.environ.get("BETAALHULP_PAYMENT_PROVIDER", "local").strip().lower(),
        public_url=os.environ.get("BETAALHULP_PUBLIC_URL", "http://localhost:8080").rstrip("/"),
        mollie_api_key=os.environ.get("MOLLIE_API_KEY") or None,
        mollie_api_url=os.environ.get("MOLLIE_API_URL") or None,
        # Signs the payment page's form tokens; unset, each web process picks a random one.
        web_secret=os.environ.get("BETAALHULP_WEB_SECRET") or None,
        widget_server_url=(os.environ.get("BETAALHULP_WIDGET_SERVER_URL")
                           or os.environ.get("RASA_URL", f"http://127.0.0.1:{rasa_port}")).rstrip("/"),
        console_session_idle_minutes=_int("BETAALHULP_CONSOLE_SESSION_IDLE_MINUTES", 8 * 60),
        # Off for the plain-http localhost set-up; on behind TLS in production.
        console_cookie_secure=_bool("BETAALHULP_CONSOLE_COOKIE_SECURE", False),
    )
