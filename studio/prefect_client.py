"""Talking to the studio's Prefect server from sync code: its address for the duration of a
call, a coroutine run to completion even inside a running event loop, and one clear error when
the server does not answer."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import Iterator

from studio.settings import StudioSettings


class PrefectUnavailable(RuntimeError):
    """The Prefect server did not answer; nothing was changed there."""


@contextmanager
def prefect_api(settings: StudioSettings) -> Iterator[None]:
    """Point Prefect's client at the studio's server for the duration (never an ephemeral one)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: settings.prefect.api_url,
                                     PREFECT_SERVER_ALLOW_EPHEMERAL_MODE: False}):
        yield


def run_async(coro):
    """Run a Prefect client coroutine to completion from sync code, even where this thread
    already runs an event loop (a Streamlit or Playwright host): then on a fresh thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    context = contextvars.copy_context()  # carries prefect_api()'s settings into the thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coro).result()


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the server could not be reached."""
    import httpx

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def call_prefect(settings: StudioSettings, coro_fn):
    """``coro_fn()``'s result against the studio's server; ``PrefectUnavailable`` with what to
    do when the server does not answer."""
    with prefect_api(settings):
        try:
            return run_async(coro_fn())
        except Exception as exc:
            if unreachable(exc):
                raise PrefectUnavailable(f"the Prefect server at {settings.prefect.api_url} is not answering; "
                                         "start it with `make up` (studio up)") from None
            raise


async def runs_in_states(client, *state_types) -> list:
    """Every flow run on the server in one of ``state_types`` (Prefect ``StateType``s)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType

    return await client.read_flow_runs(flow_run_filter=FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(state_types)))))
