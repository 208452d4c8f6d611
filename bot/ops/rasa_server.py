"""`python -m bot.ops.rasa_server run ...`: Rasa's own command line, with two things fixed.

- The HTTP API's secret never sits on a command line (where `ps` shows it) or in a URL (where
  proxies log it). `RASA_AUTH_TOKEN` is read from the environment (or from the 0600 file named
  by `RASA_AUTH_TOKEN_FILE`) and becomes the key of Rasa's JWT check: our clients send a short-
  lived signed token in the `Authorization` header (bot/rasa_api.py). `--auth-token` and
  `--jwt-secret` on the command line are refused, so nobody reintroduces them by habit.
- Logging: `rasa/__main__.py` applies `--logging-config-file`, then installs coloredlogs, which
  replaces our masking handler on the root logger (RASA_NOTES, "Logging"). We let Rasa do its
  set-up and apply ours after it, and route Python `warnings` through logging, so every line
  the process writes passes the personal-data filter.

Everything else is `rasa run` as documented; scripts/run.sh starts the server this way.
"""
from __future__ import annotations

import logging
import sys
import warnings

from bot.config import secret_from_env

REFUSED_FLAGS = ("--auth-token", "--jwt-secret", "--jwt-private-key")


def rasa_arguments(argv: list[str], secret: str | None) -> list[str]:
    """Rasa's arguments with the JWT key added in this process only (not in /proc/<pid>/cmdline)."""
    for flag in REFUSED_FLAGS:
        if any(arg == flag or arg.startswith(flag + "=") for arg in argv):
            raise SystemExit(f"{flag} is not accepted on the command line: set RASA_AUTH_TOKEN in the environment")
    if secret and argv[:1] == ["run"]:
        return [*argv, "--jwt-secret", secret, "--jwt-method", "HS256"]
    return argv


def _our_logging_after_rasas(original):
    """Wraps Rasa's colored-logging set-up so that ours is applied after it, not before."""

    def configure(loglevel):
        original(loglevel)
        from bot.ops.logs import configure_from_env

        configure_from_env()
        # "Failed to parse arguments in line '/...'" and the story reader's warnings quote what a
        # customer typed: through logging they pass the filter; on stderr they would not.
        logging.captureWarnings(True)
        # Libraries' deprecation notices are for their maintainers, not for the operator's log.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)

    return configure


def remember_message_texts() -> None:
    """Every message a channel hands to Rasa is recorded as it is made, before Rasa parses or
    logs it: no log line of this process can repeat it (bot/privacy/logfilter.py). One hook for
    every channel, ours and Rasa's, without touching their code."""
    from rasa.core.channels.channel import UserMessage

    from bot.privacy.logfilter import remember_user_text

    original = UserMessage.__init__
    if getattr(original, "remembers_texts", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        remember_user_text(self.text if isinstance(self.text, str) else None)

    init.remembers_texts = True
    UserMessage.__init__ = init


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    from bot.ops.logs import install_masking

    install_masking()  # from the first line on; Rasa's own set-up cannot undo a record factory
    import rasa.__main__
    import rasa.utils.io

    remember_message_texts()

    rasa.utils.io.configure_colored_logging = _our_logging_after_rasas(rasa.utils.io.configure_colored_logging)
    sys.argv = ["rasa", *rasa_arguments(argv, secret_from_env("RASA_AUTH_TOKEN"))]
    rasa.__main__.main()


if __name__ == "__main__":
    main()
