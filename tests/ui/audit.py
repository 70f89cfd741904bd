"""What a page audit measures in Chromium: sideways scrolling, small tap targets, links in text
told apart by colour alone, axe-core violations.

Used by the page sweep (tests/ui/test_page_audit.py) and by any browser test that wants to hold one
page to the same rules. axe-core comes from the `axe-playwright-python` package (it ships
axe.min.js; no CDN, no npm); it is injected into every frame, the map iframes included, and run
there with the WCAG 2.0/2.1/2.2 A and AA rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

#: the axe-core rule tags the issue asks for (WCAG 2 A/AA, 2.1 A/AA, 2.2 AA)
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: the smallest tap target for an action (WCAG 2.5.5 AAA, Apple's and Google's guidance)
MIN_TAP_PX = 44

#: what counts as an action a person taps: buttons and links styled as buttons, in the page's main
#: part (the header's links have their own 44 px rule in site.css and are checked here too)
ACTIONS = (
    "main button:not([hidden]), main .button, main input[type=submit], main summary, "
    ".site-header a, .site-header button"
)


@cache
def axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Finding:
    """One thing wrong on a page, in words a failing test can print."""

    kind: str  # "overflow" | "tap" | "link" | "axe"
    what: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.what}"


_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return {scroll, width, culprits: []};
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    // inside a scrolling box (a table wrapper) is fine: that box scrolls, not the page
    let p = el.parentElement, boxed = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      const clips = /(auto|scroll|hidden|clip)/.test(s.overflowX);
      if (clips && p.getBoundingClientRect().right <= width + 1) { boxed = true; break; }
      p = p.parentElement;
    }
    if (boxed) continue;
    const tag = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    culprits.push(`${tag} (right ${Math.round(r.right)}px)`);
    if (culprits.length >= 5) break;
  }
  return {scroll, width, culprits};
}
"""

_TAPS_JS = """
([selector, min]) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') continue;  // not shown
    if (el.closest('[hidden], details:not([open]) > :not(summary)')) continue;
    if (r.height < min - 0.5 || r.width < min - 0.5) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40);
      small.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}
"""

#: links that sit in a line of text and are told from it by colour alone: axe's link-in-text-block
#: (WCAG 1.4.1) finds them only when it can work out both colours and the block has other text,
#: which for a map's attribution depends on what lies under it and how its line wraps, so axe saw
#: the same link fail one run in many. This check asks the rule's own question of every link, every
#: time: in a block with other text, is it underlined (or bordered)?
_PLAIN_LINKS_JS = """
() => {
  const plain = [];
  const blockOf = (el) => {
    let p = el.parentElement;
    while (p && getComputedStyle(p).display.startsWith('inline')) p = p.parentElement;
    return p;
  };
  const marked = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.textDecorationLine.includes('underline')) return true;
      if (parseFloat(s.borderBottomWidth) > 0 && s.borderBottomStyle !== 'none') return true;
      if (!s.display.startsWith('inline')) break;
    }
    return false;
  };
  for (const a of document.querySelectorAll('a[href]')) {
    const r = a.getBoundingClientRect();
    const text = a.innerText.trim();
    if (!text || r.width === 0 || r.height === 0 || getComputedStyle(a).visibility === 'hidden') continue;
    if (getComputedStyle(a).display !== 'inline') continue;  // a block or inline-block link is its own box
    const block = blockOf(a);
    if (!block || block.innerText.replace(text, '').trim() === '') continue;  // nothing else to tell it from
    if (marked(a)) continue;
    const named = (el) => {
      const cls = typeof el.className === 'string' ? el.className.trim() : '';
      return el.tagName.toLowerCase() + (cls ? '.' + cls.split(/\\s+/).join('.') : '');
    };
    plain.push(`${named(a)} "${text.slice(0, 40)}" in ${named(block)}`);
  }
  return plain;
}
"""


def overflow(page) -> list[Finding]:
    """The page scrolls sideways: by how much, and the elements that stick out."""
    settled(page)
    result = page.evaluate(_OVERFLOW_JS)
    if result["scroll"] <= result["width"]:
        return []
    return [
        Finding(
            "overflow",
            f"page is {result['scroll']}px wide in a {result['width']}px viewport: {', '.join(result['culprits'])}",
        )
    ]


def small_targets(page, selector: str = ACTIONS, minimum: int = MIN_TAP_PX) -> list[Finding]:
    """Visible buttons (and button-like links) smaller than `minimum` px in either direction."""
    settled(page)
    return [Finding("tap", text) for text in page.evaluate(_TAPS_JS, [selector, minimum])]


def _frames(page):
    """(where, frame) for the page and every live frame in it, the map iframes included."""
    for frame in page.frames:
        if frame.is_detached() or frame.url.startswith("data:"):
            continue
        yield ("page" if frame == page.main_frame else f"frame {frame.name or frame.url[:60]}"), frame


def _gone(error: Exception) -> bool:
    """The frame navigated away while it was being checked."""
    return "detached" in str(error) or "destroyed" in str(error)


def plain_links(page) -> list[Finding]:
    """Links in a line of text told from it by colour alone, in every frame (map iframes included)."""
    settled(page)
    findings = []
    for where, frame in _frames(page):
        try:
            found = frame.evaluate(_PLAIN_LINKS_JS)
        except Exception as error:
            if _gone(error):
                continue
            raise
        findings += [Finding("link", f"{where}: {text}") for text in found]
    return findings


def axe(page, tags: tuple[str, ...] = AXE_TAGS) -> list[Finding]:
    """axe-core violations in every frame of the page (map iframes included)."""
    settled(page)
    findings = []
    for where, frame in _frames(page):
        try:
            if not frame.evaluate("typeof window.axe !== 'undefined'"):
                frame.evaluate(axe_source())
            # A map frame (srcdoc or sandboxed: an opaque origin, and a CSP without connect-src) cannot
            # fetch stylesheets; axe's preload would only fail there, noisily and late, so it is off in
            # frames. The page itself is same-origin: axe reads its CSS (css-orientation-lock).
            result = frame.evaluate(
                """([tags, preload]) => axe.run(document, {
                    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload})""",
                [list(tags), frame == page.main_frame],
            )
        except Exception as error:
            if _gone(error):
                continue
            raise
        for violation in result["violations"]:
            targets = "; ".join(
                " ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                for node in violation["nodes"][:4]
            )
            findings.append(Finding("axe", f"{where}: {violation['id']} ({violation['impact']}): {targets}"))
    return findings


def settled(page) -> None:
    """Wait for the page's load event and its fonts before anything is measured.

    A test that waits for an element of the page a form post redirected to can get it before the
    stylesheets are in: Chromium lays a page out for a script without its pending stylesheets, so
    every button measured then has its unstyled size (a 44 px summary measured 24 px in CI, one
    run in many). The load event comes after the head's stylesheets; fonts can still change sizes.
    """
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")


def audit(page, *, taps: bool = True) -> list[Finding]:
    """Everything above for the page as it is now."""
    return overflow(page) + (small_targets(page) if taps else []) + plain_links(page) + axe(page)
