"""The widget's assets and the demo page, served by the customer web app (issue 6)."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.config import settings
from bot.web.app import create_app


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("BETAALHULP_WIDGET_SERVER_URL", "https://chat.lener.nl/")
    monkeypatch.setenv("BETAALHULP_PUBLIC_URL", "https://hulp.lener.nl")
    settings.cache_clear()
    with TestClient(create_app(run_retry_loop=False), base_url="http://localhost:8080") as client:
        yield client
    settings.cache_clear()


def test_the_demo_page_loads_the_widget_from_this_server_and_talks_to_the_configured_channel(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="nl">' in html and "Lukt betalen even niet?" in html
    assert '<script src="/widget/betaalhulp-widget.js" data-server="https://chat.lener.nl" defer>' in html
    assert 'href="/widget/betaalhulp-widget.css"' in html
    assert "data-betaalhulp-open" in html and "0800 020 1234" in html
    assert "http" not in html.split("<body>", 1)[1].replace("https://chat.lener.nl", "")  # nothing from a CDN
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src https://chat.lener.nl;" in csp
    assert "img-src 'self' https://hulp.lener.nl" in csp and "'unsafe-inline'" not in csp
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path, kind", [("/widget/betaalhulp-widget.js", "javascript"),
                                        ("/widget/betaalhulp-widget.css", "text/css")])
def test_the_widget_assets_are_served_without_a_build_step(client, path, kind):
    asset = client.get(path)
    assert asset.status_code == 200 and kind in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=300"
    assert "//cdn" not in asset.text and "import " not in asset.text


def test_the_widget_never_turns_server_text_into_html():
    script = client_script()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
    assert "sessionStorage" in script and 'aria-live' in script


def client_script() -> str:
    """The widget's two script files (betaalhulp-widget.js loads betaalhulp-widget-view.js)."""
    from bot.web.widget_routes import WIDGET_DIR

    return "\n".join((WIDGET_DIR / name).read_text(encoding="utf-8")
                     for name in ("betaalhulp-widget.js", "betaalhulp-widget-view.js"))
