"""Shared fixtures for the console tests: a beheerder of group A and a logged-in client."""

import pytest

from buurt.models import Role


@pytest.fixture
def group_a(groups):
    return groups[1]  # Rijnsoever-Midden Noord


@pytest.fixture
def beheerder(make_user, group_a):
    return make_user(Role.BEHEERDER, groups=[group_a])


@pytest.fixture
def console_client(client, login, beheerder):
    login(beheerder)
    return client
