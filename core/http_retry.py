"""One POST to a model server, retried on what is worth retrying (no answer, 5xx, 429) and
refused at once on what is not (4xx), with messages that name the server and its reply."""

from __future__ import annotations

import time

import httpx


def post_with_retries(client: httpx.Client, url: str, error: type[Exception], what: str, max_retries: int,
                      **kwargs) -> httpx.Response:
    last: Exception | None = None
    for attempt in range(max_retries + 1):
        try:
            resp = client.post(url, **kwargs)
        except httpx.TransportError as exc:
            last = exc
        else:
            if resp.status_code < 400:
                return resp
            if resp.status_code < 500 and resp.status_code != 429:
                raise error(f"the {what} at {url} refused the request ({resp.status_code}): {resp.text[:300]}")
            last = httpx.HTTPStatusError(f"{resp.status_code}: {resp.text[:200]}", request=resp.request, response=resp)
        if attempt < max_retries:
            time.sleep(min(2**attempt, 10))
    raise error(f"the {what} at {url} did not answer after {max_retries + 1} tries: {last}")
