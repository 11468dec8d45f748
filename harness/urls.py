"""Absolute request URLs under an httpx client's base URL, parsed once per client instead of once per request."""

from __future__ import annotations

import httpx

__all__ = ["RequestUrls"]


class RequestUrls:
    """`url(path)` is the absolute URL httpx itself would make of `path` under `http.base_url`.

    httpx parses a relative path and merges it with the base URL on every request; handing it an absolute
    `httpx.URL` skips both. A client reuses few paths (one conversation, one subject), so the table stays small; it
    is emptied past `limit` entries all the same. Query parameters stay with the request (`params=`).
    """

    def __init__(self, http: httpx.AsyncClient, limit: int = 256) -> None:
        self.http = http
        self.limit = limit
        self._urls: dict[str, httpx.URL] = {}
        base = str(http.base_url)
        self._prefix = base if base.endswith("/") else base + "/"  # httpx keeps the base path ending in "/"

    def url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= self.limit:
                self._urls.clear()
            url = self._urls[path] = self._merge(path)
        return url

    def _merge(self, path: str) -> httpx.URL:
        if path.startswith("/") and not path.startswith("//") and "#" not in path and not self.http.base_url.query:
            return httpx.URL(self._prefix + path[1:])  # one parse of the whole URL
        url = httpx.URL(path)  # anything else: httpx's own rule, spelled out
        if not url.is_relative_url:
            return url
        base = self.http.base_url
        return base.copy_with(raw_path=base.raw_path + url.raw_path.lstrip(b"/"))
