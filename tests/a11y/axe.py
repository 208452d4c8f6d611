"""An axe-core accessibility scan of the page a browser test has open (issue 26; WCAG 2.2 AA).

axe-core comes from the npm registry into this test-only folder (`npm ci --prefix tests/a11y`,
run by `make test`), and the test injects it into the page: nothing is loaded from a CDN, and
customers never get it. A page fails on any violation of impact serious or critical, and on the
landmark rules named in issue 26 (a page with two banners confuses screen-reader navigation)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
ALSO_FAILING = ("landmark-no-duplicate-banner", "landmark-no-duplicate-contentinfo", "landmark-unique")


def require_axe() -> None:
    if not AXE.exists():
        pytest.fail("no axe-core: npm ci --prefix tests/a11y (make test does it)")


@lru_cache(maxsize=1)
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """The failing violations on the page as it is now, one line each: rule, impact, where."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # evaluated by the test's debugger channel: the page's CSP stays on
    found = page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
                                            where: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{v['id']} ({v['impact']}) at {', '.join(v['where'])}" for v in found
            if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING]
