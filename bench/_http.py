"""The benchmarks' visitor: one keep-alive connection to gunicorn on 127.0.0.1 and a cookie jar
(the session), plus the hidden form fields a browser would send back."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from html import unescape

HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


class Visitor:
    """Sends requests over one keep-alive connection and keeps the cookies it is given."""

    def __init__(self, port: int, timeout: float = 30):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def send(
        self, method: str, path: str, form: dict | None = None, json_body: dict | None = None
    ) -> tuple[http.client.HTTPResponse, str, float]:
        """(response, body, seconds). On a connection error the connection is renewed and the error raised."""
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        elapsed = time.perf_counter() - start
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, text, elapsed

    def close(self) -> None:
        self.conn.close()


def hidden_fields(html: str) -> dict[str, str]:
    """The form's hidden inputs as a browser sends them: the CSRF token, a one-time token, empty picks."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields
