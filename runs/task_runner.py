"""Where a flow's chunks run: Prefect's own task runners, chosen from the settings when a run
starts (so one flow definition serves a laptop and a cluster)."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.settings import get_settings


class StudioTaskRunner(TaskRunner):
    """On the run's machine, ``STUDIO_PREFECT__CHUNK_THREADS`` chunks at a time (threads); where
    ``STUDIO_PREFECT__DASK_ADDRESS`` names a Dask scheduler, on that cluster's workers through
    ``prefect-dask`` (a lost worker's chunks are run again elsewhere by Dask, and every finished
    chunk is found again in the shared store under its key)."""

    def __init__(self):
        super().__init__()
        self._inner: TaskRunner | None = None

    def duplicate(self) -> "StudioTaskRunner":
        return type(self)()

    def __enter__(self) -> "StudioTaskRunner":
        settings = get_settings().prefect
        if settings.dask_address:
            try:
                from prefect_dask import DaskTaskRunner
            except ImportError as exc:  # pragma: no cover
                raise ImportError("a Dask cluster needs prefect-dask: uv sync") from exc
            self._inner = DaskTaskRunner(address=settings.dask_address)
        else:
            self._inner = ThreadPoolTaskRunner(max_workers=settings.chunk_threads)
        self._inner.__enter__()
        return super().__enter__()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        try:
            if self._inner is not None:
                self._inner.__exit__(exc_type, exc_value, traceback)
        finally:
            self._inner = None
            super().__exit__(exc_type, exc_value, traceback)

    def submit(self, task, parameters, wait_for=None, dependencies=None):
        if self._inner is None:
            raise RuntimeError("the studio's task runner must be entered before tasks are submitted")
        return self._inner.submit(task, parameters, wait_for, dependencies)
