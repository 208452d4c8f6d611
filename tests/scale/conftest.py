import pytest

from tests.scale.services import check_postgres, check_redis


@pytest.fixture(scope="session")
def postgres():
    check_postgres()


@pytest.fixture(scope="session")
def redis_server():
    check_redis()
