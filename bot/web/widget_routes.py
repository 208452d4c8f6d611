"""The website chat widget's assets and the demo page (issue 6).

- `GET /`                              a fictional lender's "betalingsproblemen" page with the widget
- `GET /widget/betaalhulp-widget.js`   the widget (plain JS, no build step, nothing from a CDN)
- `GET /widget/betaalhulp-widget.css`  its stylesheet

The widget talks to Rasa's widget channel (bot/channels/widget.py) at
`BETAALHULP_WIDGET_SERVER_URL` (default: `RASA_URL`); the demo page's content security policy
allows exactly that origin for `connect-src`, and scripts from this server only.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import settings

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


class WidgetFiles(StaticFiles):
    """Served to any website that embeds the widget; revalidated so a fix reaches customers soon."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "public, max-age=300"
        return response


def routes() -> list:
    return [Route("/", demo_page, methods=["GET"]),
            Mount("/widget", WidgetFiles(directory=WIDGET_DIR), name="widget")]
