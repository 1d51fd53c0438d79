import pytest

from outsourcing.tests.urls_walk import demo_data_for_a_module


@pytest.fixture(scope="module")
def walk_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data with a row for every page, once per module (see demo_data_for_a_module)."""
    with django_db_blocker.unblock(), demo_data_for_a_module(tmp_path_factory.mktemp("media")):
        yield
