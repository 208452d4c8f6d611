import subprocess
import uuid

import pytest

from tests.e2e.servers import MODEL, ROOT, VENV_BIN, make_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    stack = make_stack(tmp_path_factory.mktemp("e2e"))
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=stack.env, check=True,
                   capture_output=True)
    stack.start_actions()
    stack.start_rasa()
    yield stack
    stack.stop()


@pytest.fixture
def sender():
    """A fresh conversation for every test."""
    return f"e2e-{uuid.uuid4().hex[:12]}"
