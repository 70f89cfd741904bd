"""Counting a person's taps through a task in Chromium (the persona tests of issue 15).

A tap is what a finger does on a phone: pressing a button or link, or touching a field to type in
it (typing itself is not a tap; the on-screen keyboard's "next"/"go" is not offered as a shortcut,
so every field costs one tap). Each tap waits for what it starts (a navigation, a script) to settle.
"""

from __future__ import annotations


class Taps:
    """`taps.tap(locator)`, `taps.type(locator, text)`, `taps.choose(locator, value)`; `taps.count`."""

    def __init__(self, page, *, touch: bool = False):
        self.page = page
        self.touch = touch  # True for the phone_page fixture (has_touch): taps are real touch events
        self.count = 0
        self.log: list[str] = []

    def _note(self, what: str) -> None:
        self.count += 1
        self.log.append(what)

    def tap(self, locator, what: str = "", *, navigates: bool = False) -> None:
        """Press a button or link (a real touch tap on a touch page, a click otherwise).

        With `navigates`, wait for the page it opens (a click returns before a navigation starts).
        """
        locator.wait_for(state="visible")
        locator.scroll_into_view_if_needed()
        press = locator.tap if self.touch else locator.click
        if navigates:
            with self.page.expect_navigation():
                press()
        else:
            press()
        self.page.wait_for_load_state()
        self._note(what or "tap")

    def type(self, locator, text: str, what: str = "") -> None:
        """Touch a field (one tap) and type into it."""
        locator.wait_for(state="visible")
        locator.click()
        locator.fill(text)
        self._note(what or f"type {text!r}")

    def choose(self, locator, value: str, what: str = "") -> None:
        """A select: one tap to open it, one to pick the option."""
        locator.select_option(value)
        self._note(what or f"open select for {value!r}")
        self._note(what or f"pick {value!r}")

    def __str__(self) -> str:
        return f"{self.count} taps: " + ", ".join(self.log)
