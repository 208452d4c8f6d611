"""Ruff over our code (pyflakes, pycodestyle, import order): unused names and typos fail the build."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    result = subprocess.run([str(ROOT / ".venv/bin/ruff"), "check", "bot", "actions", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_bot_never_imports_rasa():
    # bot/channels/, bot/rasa_ext/ and bot/ops/ plug into Rasa itself, so only they may import it.
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py") if not {"channels", "rasa_ext", "ops"} & set(p.parts)
                 if "import rasa" in p.read_text() or "from rasa" in p.read_text()]
    assert offenders == []
