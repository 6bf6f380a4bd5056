"""The runner: serves the production flow as a deployment and runs its flow runs (each run,
and each resume after a review, in a fresh process)."""

from prefect import serve

from flows.produce import produce

if __name__ == "__main__":  # the runner's child processes re-import this module
    serve(produce.to_deployment(name="produce", concurrency_limit=None), limit=4)
