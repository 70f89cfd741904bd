"""`flask buurt route`: target groups one per line, nearest first."""


def test_route_by_point_prints_one_group_per_line_nearest_first(runner):
    result = runner.invoke(args=["buurt", "route", "--lat", "52.213456", "--lon", "4.424538", "--radius", "100"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "BuurtAlarm Rijnsoever-Noord\t0 m"
    assert {line.split("\t")[0] for line in lines[1:]} == {
        "BuurtAlarm Rijnsoever-Midden Noord",
        "BuurtAlarm Rijnsoever-Midden Zuid",
    }
    assert [line.split("\t")[1] for line in lines[1:]] == ["76 m", "76 m"]


def test_route_default_radius_is_500(runner):
    result = runner.invoke(args=["buurt", "route", "--lat", "52.2127", "--lon", "4.413965"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[:3] == [
        "BuurtAlarm Rijnsoever-West\t0 m",
        "BuurtAlarm Rijnsoever-Midden Noord\t119 m",
        "BuurtAlarm Rijnsoever-Midden Zuid\t280 m",
    ]
    assert len(lines) == 3


def test_route_by_address(runner, make_address):
    make_address("2221ZA", 1, 52.2127, 4.413965, street="Fictieweg")
    result = runner.invoke(args=["buurt", "route", "Fictieweg 1, Katwijk", "--radius", "100"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["BuurtAlarm Rijnsoever-West\t0 m"]


def test_route_with_neighbours(runner):
    result = runner.invoke(
        args=["buurt", "route", "--lat", "52.2127", "--lon", "4.413965", "--radius", "100", "--neighbours"]
    )
    assert "(buurgroep) BuurtAlarm Rijnsoever-Midden Noord\t119 m" in result.output


def test_route_outside_everything(runner):
    result = runner.invoke(args=["buurt", "route", "--lat", "52.2030", "--lon", "4.3950"])
    assert result.exit_code == 0
    assert result.output.startswith("Geen groep binnen 500 m; dichtstbijzijnde: BuurtAlarm Rijnsoever-")


def test_route_errors_are_dutch(runner):
    result = runner.invoke(args=["buurt", "route", "Bestaatnietstraat 5"])
    assert result.exit_code == 1
    assert "niet in het adresregister" in result.output
    result = runner.invoke(args=["buurt", "route"])
    assert result.exit_code == 2
    assert "Geef een adres" in result.output
    result = runner.invoke(args=["buurt", "route", "Fictieweg 1", "--lat", "52.2"])
    assert result.exit_code == 2
