"""The frame every page shares (issue 15): footer words, language link, 403 for a logged-in person,
the error summary, the focus ring."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

LANGUAGE_LINK = re.compile(r'<a href="([^"]*)" lang="(en|nl)" hreflang="\2" data-language-switch')


def language_link(html: str) -> str:
    match = LANGUAGE_LINK.search(html)
    assert match, "no language link"
    return match.group(1).replace("&amp;", "&")


def test_footer_follows_saar_and_112_is_a_phone_link(client):
    html = client.get("/").get_data(as_text=True)
    footer = html.split('<footer class="site-footer">', 1)[1]
    assert '<a href="tel:112">112</a>' in footer
    # SAAR says: call 112 first, then tell the group ("App"); the old footer said the opposite
    assert "Reageer niet in de groep" not in footer
    assert "meld het daarna in de groep" in footer
    assert " je " not in footer.lower()
    assert "zie je" not in footer.lower()


def test_language_link_keeps_the_query_of_the_page(client):
    html = client.get("/incidenten/openbaar?periode=3m&pagina=2").get_data(as_text=True)
    link = language_link(html)
    parts = urlsplit(link)
    assert parts.path == "/incidenten/openbaar"
    assert parse_qs(parts.query) == {"periode": ["3m"], "pagina": ["2"], "lang": ["en"]}
    english = client.get(link).get_data(as_text=True)
    back = urlsplit(language_link(english))
    assert parse_qs(back.query) == {"periode": ["3m"], "pagina": ["2"], "lang": ["nl"]}  # one lang, replaced


def test_language_link_encodes_what_the_url_carried(client):
    html = client.get('/welke-groep/straten?q="><script>x</script>&q=2').get_data(as_text=True)
    link = language_link(html)
    assert "<script>" not in html.split("data-language-switch", 1)[0].rsplit("<a ", 1)[1]
    assert parse_qs(urlsplit(link).query)["q"] == ['"><script>x</script>', "2"]


def test_forbidden_for_a_logged_in_person_points_to_their_own_start(client, login, make_user, groups):
    login(make_user("wijkagent"))
    response = client.get(f"/beheer/groep/{groups[0].id}")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Log in" not in main
    assert "inloggen" not in main.lower()
    assert 'href="/incidenten/"' in main  # a wijkagent starts at the incident page
    assert "Naar uw startpagina" in main


def test_forbidden_for_a_beheerder_points_to_the_console(client, login, make_user, groups):
    login(make_user("beheerder", groups=[groups[1]]))
    response = client.get("/beheer/audit")
    assert response.status_code == 403
    assert 'href="/beheer/"' in response.get_data(as_text=True).split("<main", 1)[1]


@pytest.mark.browser
def test_error_summary_gets_focus_and_links_to_the_fields(live_server, phone_page):
    page = phone_page
    page.goto(live_server.url + "/inloggen")
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    assert page.locator("[role=alert]").count() == 1  # one announcement, not one per field
    links = summary.locator("a")
    assert links.count() == 2
    links.nth(1).click()
    assert page.evaluate("document.activeElement.name") == "password"
    assert page.locator("#password").get_attribute("aria-describedby") == "password-error"
    assert page.errors == []


def test_field_keeps_its_hint_with_an_error(client):
    html = client.post("/welke-groep", data={"postcode": "", "street": "", "house_number": ""}).get_data(as_text=True)
    assert 'id="street-hint"' in html  # the hint is still there ...
    described = re.search(
        r'id="house_number"[^>]*aria-describedby="([^"]+)"|aria-describedby="([^"]+)"[^>]*id="house_number"', html
    )
    assert described, "the number field is described by its error"
    assert "house_number-error" in (described.group(1) or described.group(2))


CONTRAST_JS = """
el => {
  function lum(c) {
    const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function background(node) {
    for (let n = node.parentElement; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
    }
    return 'rgb(255, 255, 255)';
  }
  const ring = getComputedStyle(el).outlineColor, bg = background(el);
  const [a, b] = [lum(ring), lum(bg)].sort((x, y) => y - x);
  return {ratio: (a + 0.05) / (b + 0.05), ring, bg, width: getComputedStyle(el).outlineWidth};
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("selector", ["main a", "main [type=submit]", ".site-header nav a"])
def test_focus_ring_has_3_to_1_contrast(live_server, page, selector):
    page.goto(live_server.url + "/welke-groep")
    target = page.locator(selector).first
    target.focus()
    seen = target.evaluate(CONTRAST_JS)
    assert seen["width"] == "3px"
    assert seen["ratio"] >= 3, seen


def test_the_app_gives_map_documents_the_language_of_the_request(client):
    """create_app wires buurt.map_chrome: a map document follows ?lang= like the page around it."""
    dutch = client.get("/kaart/dekking").get_data(as_text=True)
    assert '<html lang="nl"' in dutch
    assert "Inzoomen" in dutch
    english = client.get("/kaart/dekking?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english
    assert "Inzoomen" not in english


@pytest.mark.browser
def test_english_keeps_the_lookup_answer(live_server, phone_page, make_address):
    """The lookup's answer is the answer to a POST: "English" asks the same question again in English."""
    from tests.residents.conftest import INSIDE

    lat, lon = INSIDE["rijnsoever-west"]
    make_address(postcode="2221XA", number=1, lat=lat, lon=lon, street="Fictieweg")
    page = phone_page
    page.goto(live_server.url + "/welke-groep")
    page.fill("[name=postcode]", "2221XA")
    page.fill("[name=house_number]", "1")
    page.locator("main form [type=submit]").first.click()
    page.locator("#antwoord").wait_for()
    assert "Uw adres valt onder" in page.locator("#antwoord").inner_text()
    with page.expect_navigation():
        page.locator("[data-language-switch]").click()
    page.locator("#antwoord").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    answer = page.locator("#antwoord").inner_text()
    assert "Uw adres valt onder" not in answer
    assert "Rijnsoever-West" in answer
    assert page.input_value("[name=postcode]").replace(" ", "").upper() == "2221XA"  # the form kept it too
    assert page.errors == []
