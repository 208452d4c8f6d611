import uuid

import pytest

from tests.e2e.servers import MODEL, started_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The product as `make run` starts it (scripts/run.sh), shared by the end-to-end tests."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    stack = started_stack(tmp_path_factory.mktemp("e2e"))
    yield stack
    stack.stop()


@pytest.fixture
def sender():
    """A fresh conversation for every test."""
    return f"e2e-{uuid.uuid4().hex[:12]}"
