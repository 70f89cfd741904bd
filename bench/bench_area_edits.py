"""Benchmark: what a coordinator waits for when changing and undoing areas (issue 17).

    .venv/bin/python bench/bench_area_edits.py [--repeat 7] [--addresses 3145] [--residents 1000] [--seed 1]

A throwaway SQLite app with the default Rijnsoever areas (generation 1), a fictional address
register of --addresses addresses ("Proefstraat 12" ..., spread evenly over the neighbourhood's
outline, streets in blocks of about 50 m, as a BAG import would be) and --residents fictional
residents (95 % members, 5 % pending, spread over the five groups). Then, timed:

* the edit: the Midden Noord / Midden Zuid border moved (the top 30 % of Midden Zuid goes to
  Midden Noord) with buurt.geo.topology.move_border and a straight line across both areas (median
  of --repeat); when it cannot, the same change by hand with shapely (the JSON says which);
* ``plan_import`` of generation 1's file with that border moved: median of --repeat runs;
* ``impact_of`` that plan (the preview's seats, warnings and streets): median of --repeat;
* the preview page itself (GET /beheer/gebieden/voorstel/<id>, as a coordinator): median of --repeat;
* ``apply_import`` of it (``confirm_proposal``, once: it changes the data) -> generation 2;
* ``restore_proposal`` of generation 1 plus ``plan_proposal`` of it: median of --repeat (each run
  stores a proposal; the last one is confirmed) and ``impact_of`` that plan;
* ``confirm_proposal`` of the restore (``apply_import``, once) -> generation 3, and a check that
  every resident is back in their group of generation 1.

Wall-clock ms and process CPU ms (the one to compare on a busy machine). Prints human lines, then
ONE JSON object on the last line. Every name, street and phone number is fictional.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time

import numpy as np
from _beheer_setup import PASSWORD, make_app

STREETS = ("Proefstraat", "Verzonnenlaan", "Denkbeeldweg", "Voorbeeldhof", "Fictiepad", "Oefenkade")
BLOCK_DEG = 0.0007  # about 50 m (lat) by 48 m (lon): one street per block


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(median wall ms, median CPU ms, last result) of ``repeat`` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def once(fn) -> tuple[float, float, object]:
    """(wall ms, CPU ms, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def fill_register(count: int, seed: int) -> int:
    """``count`` fictional addresses inside the neighbourhood's outline (bulk insert)."""
    import shapely
    from shapely.geometry import shape

    from buurt.areas.services import default_neighbourhood
    from buurt.extensions import db
    from buurt.geo.addresses import normalize_street
    from buurt.models import Address, utcnow

    outline = shape(default_neighbourhood().outline)
    minx, miny, maxx, maxy = outline.bounds
    rng = np.random.default_rng(seed)
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < count:
        x, y = rng.uniform(minx, maxx, count * 3), rng.uniform(miny, maxy, count * 3)
        inside = shapely.contains_xy(outline, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    now = utcnow()
    rows, numbers = [], {}
    for i, (a, b) in enumerate(zip(lat[:count], lon[:count], strict=True)):
        block = (int((a - miny) / BLOCK_DEG), int((b - minx) / BLOCK_DEG))
        street = f"{STREETS[hash(block) % len(STREETS)]} {block[0]}-{block[1]}"
        numbers[street] = numbers.get(street, 0) + 1
        rows.append(
            {
                "postcode": f"{2221 + i // 500}{chr(65 + (i // 25) % 20)}{chr(65 + i % 25)}",
                "house_number": numbers[street],
                "house_letter": "",
                "house_addition": "",
                "street": street,
                "street_norm": normalize_street(street),
                "place": "Verzonnenstad",
                "lat": float(a),
                "lon": float(b),
                "source": "bag-csv",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(db.insert(Address), rows)
    db.session.commit()
    return len(rows)


def moved_border(repeat: int, result: dict) -> tuple[dict, str]:
    """Generation 1's file with the top 30 % of Midden Zuid given to Midden Noord, and how it was made
    (with topology.move_border: its median time in ``result["move_border_ms"]``)."""
    import shapely
    from shapely.geometry import LineString, box, mapping, shape

    from buurt.areas import files
    from buurt.geo import topology

    doc = files.current_collection()
    features = {f["id"]: f for f in doc["features"]}
    geoms = {key: shape(f["geometry"]) for key, f in features.items()}
    north, south = "rijnsoever-midden-noord", "rijnsoever-midden-zuid"
    minx, miny, maxx, maxy = geoms[south].bounds
    cut = maxy - (maxy - miny) * 0.3
    try:
        line = LineString([(minx - 0.001, cut), (maxx + 0.001, cut)])
        wall, cpu, moved = timed(lambda: topology.move_border(geoms, north, south, line, snap_m=25.0), repeat)
        report(result, "move_border", "topology.move_border (the edit)", wall, cpu)
        how = "topology.move_border"
    except (NotImplementedError, topology.EditRefused) as error:
        strip = shapely.intersection(geoms[south], box(minx, cut, maxx, maxy))
        moved = dict(geoms)
        moved[north] = shapely.union(geoms[north], strip)
        moved[south] = shapely.difference(geoms[south], strip)
        how = "by hand (shapely)" + (f": {error.message}" if isinstance(error, topology.EditRefused) else "")
    for key, feature in features.items():
        feature["geometry"] = mapping(moved[key])
        feature["properties"].pop("huishoudens", None)
        feature["properties"].pop("huishoudens_bron", None)
    return json.loads(json.dumps(doc)), how


def report(result: dict, key: str, label: str, wall: float, cpu: float | None = None, extra: str = "") -> None:
    """Keep ``<key>_ms`` (and ``<key>_cpu_ms``) in the result and print one aligned line (medians
    where the docstring above says so)."""
    result[f"{key}_ms"] = round(wall, 1)
    line = f"{label:38} {wall:8.1f} ms"
    if cpu is not None:
        result[f"{key}_cpu_ms"] = round(cpu, 1)
        line += f" ({cpu:.1f} ms CPU)"
    print(line + (f", {extra}" if extra else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--addresses", type=int, default=3145)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from _beheer_setup import fill

    from buurt.areas import files, proposals, restore
    from buurt.areas.impact import impact_of
    from buurt.areas.imports import plan_import
    from buurt.areas.services import default_neighbourhood, seed_default_neighbourhood
    from buurt.auth.services import create_user
    from buurt.extensions import db
    from buurt.models import BoundaryGeneration, Group, GroupTask, Resident, Role

    app = make_app()
    logging.getLogger("buurt").setLevel(logging.WARNING)  # the app's INFO lines drown the numbers
    app.logger.setLevel(logging.WARNING)
    result: dict = {"benchmark": "area_edits", "repeat": args.repeat}
    login = {"email": "coordinator@example.org", "password": PASSWORD}
    with app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        user_id = create_user(login["email"], "Bench Coordinator", Role.COORDINATOR, PASSWORD, []).id
        result["addresses"] = fill_register(args.addresses, args.seed)
        groups = list(db.session.scalars(db.select(Group).order_by(Group.sort_order)))
        per_group = args.residents // len(groups)
        pending = max(per_group // 20, 1)
        fill(app, {g.id: per_group - pending for g in groups}, pending_per_group=pending, seed=args.seed)
        result["residents"] = db.session.scalar(db.select(db.func.count(Resident.id)))
        hood = default_neighbourhood()
        first_id = files.current_generation(hood).id
        before = dict(db.session.execute(db.select(Resident.id, Resident.group_id)).all())
        print(f"{result['addresses']} addresses, {result['residents']} residents")
        doc, how = moved_border(args.repeat, result)
        result["moved_border_by"] = how
        print(f"border moved {how}")

        wall, cpu, plan = timed(lambda: plan_import(doc, neighbourhood=hood, source="bench"), args.repeat)
        result["moves"] = len(plan.moves)
        result["households_source"] = sorted({a.households_source or "" for a in plan.areas})
        report(result, "plan_import", "plan_import (moved border)", wall, cpu, f"{len(plan.moves)} moves")
        wall, cpu, impact = timed(lambda: impact_of(plan), args.repeat)
        result["impact_streets"] = len(impact.streets)
        report(result, "impact", "impact_of", wall, cpu, f"{len(impact.streets)} street changes")
        proposal_id = proposals.save_proposal(doc, neighbourhood=hood, source="bench", user_id=user_id).id

    client = app.test_client()
    with app.app_context():
        assert client.post("/inloggen", data=login).status_code == 302

        def preview():
            response = client.get(f"/beheer/gebieden/voorstel/{proposal_id}")
            assert response.status_code == 200, response.status_code

        wall, cpu, _ = timed(preview, args.repeat)
        report(result, "preview_page", "preview page (HTTP GET)", wall, cpu)
        db.session.remove()

    with app.app_context():
        hood = default_neighbourhood()
        confirm = proposals.confirm_proposal
        ms, cpu, applied = once(lambda: confirm(proposal_id, user_id, neighbourhood=hood, confirm_moves=True))
        result["apply_tasks"] = applied.tasks
        label = f"apply_import (generation {applied.number})"
        report(result, "apply_import", label, ms, cpu, extra=f"{applied.moved} moved, {applied.tasks} tasks")

        first = db.session.get(BoundaryGeneration, first_id)

        def restore_and_plan():
            proposal = restore.restore_proposal(first, user_id)
            return proposal, proposals.plan_proposal(proposal)

        wall, cpu, (restored, back) = timed(restore_and_plan, args.repeat)
        result["restore_moves"] = len(back.moves)
        report(result, "restore_and_plan", "restore_proposal + plan_proposal", wall, cpu, f"{len(back.moves)} back")
        wall, cpu, _ = timed(lambda: impact_of(back), args.repeat)
        report(result, "restore_impact", "impact_of (restore)", wall, cpu)
        tasks_before = db.session.scalar(db.select(db.func.count(GroupTask.id)))
        ms, cpu, undone = once(lambda: confirm(restored.id, user_id, neighbourhood=hood, confirm_moves=True))
        result["restore_tasks"] = db.session.scalar(db.select(db.func.count(GroupTask.id))) - tasks_before
        db.session.expire_all()
        after = dict(db.session.execute(db.select(Resident.id, Resident.group_id)).all())
        result["everyone_back"] = after == before
        label = f"apply_import (restore, generation {undone.number})"
        extra = f"{undone.moved} moved back, {result['restore_tasks']} tasks; everyone back: {after == before}"
        report(result, "restore_apply", label, ms, cpu, extra=extra)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
