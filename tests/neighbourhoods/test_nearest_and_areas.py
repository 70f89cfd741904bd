"""A nearest-group sign-up (an address between two neighbourhoods, in no area) does not block area
changes of its neighbourhood: it keeps its group, and the preview says so (issue 18, point 3)."""

from __future__ import annotations

import pytest

from buurt.areas import files, imports
from buurt.areas.services import current_areas, in_gemeente, place
from buurt.models import ResidentStatus

# the CBS representative point of Hoornes-West (fictional resident): in the gemeente, in no Rijnsoever area
BETWEEN = (52.207133, 4.414889)


def test_a_nearest_group_member_keeps_its_group_through_an_area_change(app, groups, make_resident):
    assert in_gemeente(*BETWEEN)
    assert place(*BETWEEN, areas=current_areas()).area is None
    member = make_resident(groups[0], status=ResidentStatus.ADDED, lat=BETWEEN[0], lon=BETWEEN[1], area_id=None)
    inside = make_resident(groups[0], status=ResidentStatus.ADDED)  # the factory's point lies in an area

    plan = imports.plan_import(files.current_collection())

    assert member.id not in plan.assignment  # left as it is: no area, same group
    assert inside.id in plan.assignment
    assert any("tussen twee buurten" in w and "houden hun groep" in w for w in plan.warnings), plan.warnings


def test_a_resident_outside_every_area_that_was_in_one_still_blocks(app, groups, make_resident):
    # the same point, but stored as inside an area: the new areas would leave them out — refused as before
    area_id = current_areas().areas[0].id
    make_resident(groups[0], status=ResidentStatus.ADDED, lat=BETWEEN[0], lon=BETWEEN[1], area_id=area_id)
    with pytest.raises(imports.AreaValidationError) as refused:
        imports.plan_import(files.current_collection())
    assert refused.value.problems[0].code == "residents_outside"


def test_the_group_page_says_a_nearest_group_sign_up_lies_between_neighbourhoods(
    client, login, make_user, groups, make_resident
):
    from buurt.models import Role

    make_resident(
        groups[0],
        lat=BETWEEN[0],
        lon=BETWEEN[1],
        area_id=None,
        is_border=True,
        needs_review=True,
        border_distance_m=180.0,
    )
    login(make_user(Role.BEHEERDER, groups=[groups[0]]))
    html = client.get(f"/beheer/groep/{groups[0].id}").get_data(as_text=True)
    assert "tussen twee buurten: 180 m buiten het gebied" in html
