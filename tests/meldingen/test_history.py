"""The meldingen list (buurt.meldingen.history): date limits, order, paging and the filters' groups."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from buurt.extensions import db
from buurt.meldingen.history import MeldingFilter, filter_groups, filter_neighbourhoods, list_meldingen
from buurt.times import local_midnight, local_zone

pytestmark = pytest.mark.usefixtures("request_ctx")


def _at(melding, moment: datetime):
    melding.occurred_at = moment
    db.session.commit()
    return melding


def _ids(pagination) -> list[int]:
    return [m.id for m in pagination.items]


def test_since_includes_its_midnight_and_until_excludes_the_next(make_melding, coordinator):
    """`van` and `tot en met` are local dates, inclusive: a melding at 00:00 of the `van` day is in,
    one at 00:00 of the day after `tot en met` is out."""
    first = _at(make_melding(), local_midnight(date(2025, 3, 4)))
    next_day = _at(make_melding(), local_midnight(date(2025, 3, 5)))
    last_moment = _at(make_melding(), local_midnight(date(2025, 3, 5)) - timedelta(microseconds=1))

    one_day = list_meldingen(coordinator, MeldingFilter(since=date(2025, 3, 4), until=date(2025, 3, 4)))
    assert set(_ids(one_day)) == {first.id, last_moment.id}
    from_next = list_meldingen(coordinator, MeldingFilter(since=date(2025, 3, 5)))
    assert _ids(from_next) == [next_day.id]
    up_to_day_before = list_meldingen(coordinator, MeldingFilter(until=date(2025, 3, 3)))
    assert _ids(up_to_day_before) == []


def test_newest_occurrence_first_then_newest_entry(make_melding, coordinator):
    """Ordered by when it happened (not when it was entered), ties by the later entry first."""
    zone = local_zone()
    late = _at(make_melding(), datetime(2025, 3, 4, 22, 0, tzinfo=zone))
    early = _at(make_melding(), datetime(2025, 3, 4, 8, 0, tzinfo=zone))
    tie_a = _at(make_melding(), datetime(2025, 3, 4, 12, 0, tzinfo=zone))
    tie_b = _at(make_melding(), datetime(2025, 3, 4, 12, 0, tzinfo=zone))
    tie_c = _at(make_melding(), datetime(2025, 3, 4, 12, 0, tzinfo=zone))

    listed = _ids(list_meldingen(coordinator, MeldingFilter()))
    assert listed == [late.id, tie_c.id, tie_b.id, tie_a.id, early.id]


def test_paging_defaults_to_the_first_page_and_honours_per_page(make_melding, coordinator):
    zone = local_zone()
    made = [_at(make_melding(), datetime(2025, 3, day, 12, 0, tzinfo=zone)) for day in (1, 2, 3)]
    newest_first = [m.id for m in reversed(made)]

    everything = list_meldingen(coordinator, MeldingFilter())
    assert everything.page == 1
    assert _ids(everything) == newest_first

    first = list_meldingen(coordinator, MeldingFilter(), per_page=2)
    assert (first.page, first.pages, first.total) == (1, 2, 3)
    assert _ids(first) == newest_first[:2]
    second = list_meldingen(coordinator, MeldingFilter(), page=2, per_page=2)
    assert _ids(second) == newest_first[2:]


def test_neighbourhood_coordinator_is_offered_exactly_the_groups_of_their_neighbourhood(
    make_squares, make_user, groups
):
    squares = make_squares({"a": 2, "b": 0, "c": 1})
    elsewhere = make_squares({"a": 0})
    hood = squares["a"].neighbourhood
    coordinator = make_user("coordinator", neighbourhood=hood)

    offered = filter_groups(coordinator)
    # by the group's sort order, not by id or name
    assert [g.id for g in offered] == [squares["b"].id, squares["c"].id, squares["a"].id]
    assert elsewhere["a"] not in offered
    assert not set(groups) & set(offered)
    assert filter_neighbourhoods(coordinator) == [hood]


def test_beheerder_is_offered_only_their_own_groups(make_squares, make_user, groups):
    squares = make_squares({"a": 0, "b": 1})
    beheerder = make_user("beheerder", groups=[squares["b"], groups[0]])

    offered = filter_groups(beheerder)
    assert set(offered) == {squares["b"], groups[0]}
    assert {n.id for n in filter_neighbourhoods(beheerder)} == {
        squares["b"].neighbourhood_id,
        groups[0].neighbourhood_id,
    }


def test_groups_are_offered_by_neighbourhood_order_then_name_then_group_order(make_squares, make_user):
    """For someone who sees everything: neighbourhoods by their sort order, equal orders by name,
    then each neighbourhood's groups by their own sort order."""
    zeeburg = make_squares({"a": 0})  # made first: lower ids
    achterweg = make_squares({"b": 1, "a": 0})
    last = make_squares({"a": 0})
    first = make_squares({"a": 5})
    for groups_of, name, order in ((zeeburg, "Zeeburg", 50), (achterweg, "Achterweg", 50), (last, "Aalmarkt", 60)):
        groups_of["a"].neighbourhood.name = name
        groups_of["a"].neighbourhood.sort_order = order
    first["a"].neighbourhood.name = "Zzz"
    first["a"].neighbourhood.sort_order = 40
    db.session.commit()
    wijkagent = make_user("wijkagent")

    mine = {g.id for g in [*zeeburg.values(), *achterweg.values(), *last.values(), *first.values()]}
    offered = [g.id for g in filter_groups(wijkagent) if g.id in mine]
    assert offered == [first["a"].id, achterweg["a"].id, achterweg["b"].id, zeeburg["a"].id, last["a"].id]

    hoods = [n.id for n in filter_neighbourhoods(wijkagent)]
    ours = [g["a"].neighbourhood_id for g in (first, achterweg, zeeburg, last)]
    assert [n for n in hoods if n in ours] == ours


def test_no_groups_offered_to_someone_who_sees_no_meldingen():
    """Not logged in (melding_scope is None): no groups and no neighbourhoods to filter on."""
    assert filter_groups(None) == []
    assert filter_neighbourhoods(None) == []


def test_timeline_tells_who_did_what_in_order(make_melding, make_user, coordinator):
    """The melding's timeline: entered, forwarded per group, closed with its result, the closing text
    forwarded per group; each with who did it, and in the order of events even at the same moment."""
    from buurt.meldingen import services
    from buurt.meldingen.history import timeline
    from buurt.meldingen.services import GroupLabels
    from buurt.models import MeldingResult

    melding = make_melding()
    target = next(t for t in melding.targets if not t.is_neighbour)
    beheerder = make_user("beheerder", groups=[target.group], name="Bea Beheerder")
    assert services.mark_forwarded(melding, target, beheerder)
    services.close_melding(melding, beheerder, MeldingResult.FOUND, None)
    assert services.mark_close_forwarded(melding, target, beheerder)
    db.session.refresh(melding)

    events = timeline(melding)
    assert [e.kind for e in events] == ["created", "forward", "close", "close_forward"]
    assert [e.text for e in events] == [
        "Melding ingevoerd",
        f"Doorgestuurd naar {target.group.name}",
        "Afgemeld: Gevonden",
        f"Afmelding doorgestuurd naar {target.group.name}",
    ]
    assert [e.who for e in events] == [coordinator.name, beheerder.name, beheerder.name, beheerder.name]

    # all at one moment: still in the order things happen
    moment = melding.created_at
    melding.closed_at = target.forwarded_at = target.close_forwarded_at = moment
    db.session.commit()
    assert [e.kind for e in timeline(melding)] == ["created", "forward", "close", "close_forward"]

    labelled = timeline(melding, GroupLabels(several=True))
    hood = target.group.neighbourhood.name
    assert labelled[1].text == f"Doorgestuurd naar {target.group.name} ({hood})"
    assert labelled[3].text == f"Afmelding doorgestuurd naar {target.group.name} ({hood})"


def test_timeline_of_a_melding_whose_people_are_gone(make_melding):
    """Accounts can be deleted: the steps stay, without a name."""
    from buurt.meldingen.history import timeline

    melding = make_melding()
    melding.created_by = None
    db.session.commit()

    events = timeline(melding)
    assert [(e.kind, e.text, e.who) for e in events] == [("created", "Melding ingevoerd", None)]


def test_timeline_names_every_result_and_none_when_missing(make_melding):
    """Each result has its Dutch label; a close without a recorded result shows no made-up one."""
    from buurt.meldingen.history import timeline
    from buurt.models import MeldingResult

    melding = make_melding()
    melding.closed_at = melding.created_at
    texts = {}
    for result in [*MeldingResult, None]:
        melding.result = result
        db.session.commit()
        texts[result] = next(e.text for e in timeline(melding) if e.kind == "close")
    assert texts == {
        MeldingResult.FOUND: "Afgemeld: Gevonden",
        MeldingResult.NOT_FOUND: "Afgemeld: Niet gevonden",
        MeldingResult.CANCELLED: "Afgemeld: Ingetrokken",
        None: "Afgemeld: ",
    }


def test_an_empty_scope_selects_no_melding(make_melding):
    """A scope with no groups, no neighbourhood and no creator sees nothing (never everything)."""
    import warnings

    from buurt.auth.permissions import MeldingScope
    from buurt.meldingen.history import scope_clause
    from buurt.models import Melding

    make_melding()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seen = db.session.scalars(db.select(Melding.id).where(scope_clause(MeldingScope()))).all()
    assert seen == []
