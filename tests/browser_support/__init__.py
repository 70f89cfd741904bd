"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the app on 127.0.0.1."""
