from __future__ import annotations

import httpx
import pytest

from harness.urls import RequestUrls

CASES = [
    ("http://miaw.invalid", {}, "/control/clock", None),
    ("http://miaw.invalid", {}, "/control/subjects/v2%2Fiamessage%2Fuid%3Aab/last-event-id", None),
    ("http://miaw.invalid/", {}, "control/info", None),
    ("https://org.example.com/prefix", {}, "/iamessage/api/v2/conversation/list", {"limit": "50", "x": "a b"}),
    ("http://127.0.0.1:8123", {"k": "1"}, "/eventrouter/v1/sse", None),
    ("http://127.0.0.1:8123", {"k": "1"}, "/iamessage/api/v2/conversation/c1", {"esDeveloperName": "Dep"}),
    ("http://miaw.invalid", {}, "/conversation/é ü?q=1", None),
    ("http://miaw.invalid", {}, "http://other.invalid/absolute", None),
    ("http://miaw.invalid/base/", {}, "/a/../b/./c#frag", None),
    ("http://miaw.invalid", {}, "/control/conversations/a%20b/messages?x=%2F&y", {"y": "2"}),
    ("http://user:pw@miaw.invalid:8080", {}, "//two/slashes", None),
    ("http://miaw.invalid", {}, "/redirect?to=http://elsewhere.invalid/x", None),
    ("http://miaw.invalid/", {}, "relative/no/slash", None),
    ("http://miaw.invalid/base?q=1", {}, "/x", None),
]


@pytest.mark.parametrize(("base", "client_params", "path", "params"), CASES)
def test_request_goes_where_the_relative_path_would(
    base: str, client_params: dict[str, str], path: str, params: dict[str, str] | None
) -> None:
    http = httpx.AsyncClient(base_url=base, params=client_params)
    urls = RequestUrls(http)
    expected = http.build_request("GET", path, params=params).url
    assert http.build_request("GET", urls.url(path), params=params).url == expected
    assert urls.url(path) is urls.url(path)


def test_table_is_emptied_past_its_limit() -> None:
    urls = RequestUrls(httpx.AsyncClient(base_url="http://miaw.invalid"), limit=3)
    first = urls.url("/a")
    for path in ("/b", "/c", "/d"):
        urls.url(path)
    assert urls.url("/a") == first
    assert urls.url("/a") is not first
