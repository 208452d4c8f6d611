"""The website chat widget's assets and the demo page (issue 6).

- `GET /`                              a fictional lender's "betalingsproblemen" page with the widget
- `GET /widget/betaalhulp-widget.js`   the widget (plain JS, no build step, nothing from a CDN)
- `GET /widget/betaalhulp-widget.css`  its stylesheet

The widget talks to Rasa's widget channel (bot/channels/widget.py) at
`BETAALHULP_WIDGET_SERVER_URL` (default: `RASA_URL`); the demo page's content security policy
allows exactly that origin for `connect-src`, and scripts from this server only.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import settings
from bot.language.choice import LANGUAGES_DIR
from bot.language.lexicon import load_yaml

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
DEMO_PHONE = "0800 020 1234"  # fictional, like the lender


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def demo_csp(widget_server: str, public_url: str) -> str:
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' {origin(public_url)}; connect-src {origin(widget_server)}; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


async def demo_page(request: Request) -> Response:
    config = settings()
    response = request.app.state.templates.TemplateResponse(
        request, "demo.html", {"lender_name": config.lender_name, "widget_server": config.widget_server_url,
                               "phone": DEMO_PHONE})
    response.headers["content-security-policy"] = demo_csp(config.widget_server_url, config.public_url)
    response.headers["cache-control"] = "no-store"
    return response


TEXTS_MARK = '{"nl": {}};  /* TEXTS */'


@lru_cache(maxsize=1)
def widget_script() -> bytes:
    """The widget with every language's interface texts (languages/<code>/widget.yml) put in, so
    embedding sites load one file and a new language needs no change to the script (issue 27)."""
    texts = {path.parent.name: {k: v for k, v in load_yaml(str(path)).items() if k != "version"}
             for path in sorted(LANGUAGES_DIR.glob("*/widget.yml"))}
    source = (WIDGET_DIR / "betaalhulp-widget.js").read_text(encoding="utf-8")
    if TEXTS_MARK not in source:
        raise ValueError("betaalhulp-widget.js lost its TEXTS mark")
    return source.replace(TEXTS_MARK, json.dumps(texts, ensure_ascii=False) + ";", 1).encode("utf-8")


async def widget_js(request: Request) -> Response:
    return Response(widget_script(), media_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "public, max-age=300"})


class WidgetFiles(StaticFiles):
    """Served to any website that embeds the widget; revalidated so a fix reaches customers soon."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "public, max-age=300"
        return response


def routes() -> list:
    return [Route("/", demo_page, methods=["GET"]),
            Route("/widget/betaalhulp-widget.js", widget_js, methods=["GET"]),
            Mount("/widget", WidgetFiles(directory=WIDGET_DIR), name="widget")]
