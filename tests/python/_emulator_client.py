"""A tiny HTTP client over the standard library only (urllib + ssl), so that the emulator is
checked by a client we did not write. Redirects are never followed."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, Optional

from harvest_connect.testing import HarvestEmulator

UA = "harvest-connect tests (tests@example.com)"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    def __init__(self, emulator: HarvestEmulator) -> None:
        handlers: list = [_NoRedirect()]
        if emulator.ca_file:
            handlers.append(urllib.request.HTTPSHandler(context=emulator.ssl_context()))
        self.opener = urllib.request.build_opener(*handlers)
        self.emulator = emulator

    def request(self, method: str, url: str, headers: Optional[Dict[str, str]] = None,
                data: Optional[bytes] = None, timeout: float = 30) -> Answer:
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            return Answer(e.code, {k.lower(): v for k, v in e.headers.items()}, body)

    def api(self, path_or_url: str, token: str, account: Optional[object] = None, method: str = "GET",
            data: Optional[bytes] = None, extra: Optional[Dict[str, str]] = None) -> Answer:
        url = path_or_url if "://" in path_or_url else self.emulator.api_url + path_or_url
        headers = {"Authorization": "Bearer " + token, "User-Agent": UA,
                   "Harvest-Account-Id": str(self.emulator.account_id if account is None else account)}
        headers.update(extra or {})
        return self.request(method, url, headers, data)

    def form(self, url: str, fields: Dict[str, str], headers: Optional[Dict[str, str]] = None) -> Answer:
        h = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": UA}
        h.update(headers or {})
        return self.request("POST", url, h, urllib.parse.urlencode(fields).encode())

    def token(self, fields: Dict[str, str], headers: Optional[Dict[str, str]] = None) -> Answer:
        return self.form(self.emulator.token_url, fields, headers)


def query(url: str) -> Dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))
