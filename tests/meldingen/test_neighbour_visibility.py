"""A neighbour group's beheerders see a melding only once it was forwarded to their group (issue 19).

A melding in the middle of square A (radius 100 m) targets group A; B, C and D lie within the
neighbour range ("groups to consider"), E about 1.2 km away does not. The beheerder of neighbour B
must not see the melding until someone forwards it to B after all; the beheerder of E never does.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buurt.meldingen import services
from tests.meldingen.conftest import DLAT, DLON, LAT0, LON0

SINCE = datetime(2025, 3, 1, tzinfo=UTC)
UNTIL = datetime(2025, 3, 5, tzinfo=UTC)


@pytest.fixture
def squares(make_squares):
    return make_squares()


@pytest.fixture
def melding(squares, make_melding):
    melding = make_melding(lat=LAT0 + DLAT / 2, lon=LON0 + DLON / 2, radius=100)
    roles = {t.group_id: t.is_neighbour for t in melding.targets}
    assert roles == {squares["a"].id: False, squares["b"].id: True, squares["c"].id: True, squares["d"].id: True}
    return melding


def listed(client, melding) -> bool:
    return f'href="/meldingen/{melding.id}"' in client.get("/meldingen/").get_data(as_text=True)


def test_a_neighbour_groups_beheerder_sees_the_melding_only_once_it_is_forwarded_to_them(
    app, client, login, make_user, coordinator, squares, melding
):
    neighbour = make_user("beheerder", groups=[squares["b"]], email="beheerder-b@example.org")
    far = make_user("beheerder", groups=[squares["e"]], email="beheerder-e@example.org")
    target = make_user("beheerder", groups=[squares["a"]], email="beheerder-a@example.org")

    def sees(user) -> tuple[bool, int]:
        login(user)
        return listed(client, melding), client.get(f"/meldingen/{melding.id}").status_code

    # before: only the target group's beheerder
    assert sees(target) == (True, 200)
    assert sees(neighbour) == (False, 403)
    assert sees(far) == (False, 403)

    # the coordinator forwards it to neighbour B after all (through the page)
    login(coordinator)
    assert client.post(f"/meldingen/{melding.id}/doorgestuurd/{squares['b'].id}").status_code == 302
    assert services.get_target(melding, squares["b"].id).forwarded_at is not None

    # after: B's beheerder sees it in the list and may open it; E's still never does
    assert sees(neighbour) == (True, 200)
    assert sees(far) == (False, 403)
    assert sees(target) == (True, 200)


def test_the_incident_map_follows_the_same_rule(request_ctx, make_user, coordinator, squares, melding):
    """meldingen_for_map per group (and per user): a neighbour group counts once it was forwarded to."""
    neighbour = make_user("beheerder", groups=[squares["b"]], email="beheerder-b@example.org")

    def on_map(**kwargs) -> list[int]:
        return [row["id"] for row in services.meldingen_for_map(SINCE, UNTIL, **kwargs)]

    assert on_map(group_ids=[squares["a"].id]) == [melding.id]
    assert on_map(group_ids=[squares["b"].id]) == []
    assert on_map(group_ids=[squares["e"].id]) == []
    assert on_map(user=neighbour) == []

    assert services.mark_forwarded(melding, services.get_target(melding, squares["b"].id), coordinator) is True

    assert on_map(group_ids=[squares["b"].id]) == [melding.id]
    assert on_map(group_ids=[squares["c"].id]) == []  # another neighbour, not forwarded to
    assert on_map(group_ids=[squares["e"].id]) == []
    assert on_map(user=neighbour) == [melding.id]
    assert on_map(group_ids=[squares["b"].id, squares["e"].id]) == [melding.id]
