"""The layout holds: the import-linter contracts in pyproject.toml (layers, registries, vendor
edges, the API as the front ends' one door), modules a reader can take in, thin tasks, and the
project's own imports at the top of each file (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "storage", "media", "persona", "materials", "script", "production", "voice", "video", "review",
            "delivery", "runs", "tasks", "flows", "app", "review_ui"]
# the only places that import the project's own modules lazily: registries load a backend when chosen
LAZY_ALLOWED = {"script/registry.py", "voice/registry.py", "video/registry.py", "persona/embeddings.py"}


def _modules(*roots: str) -> list[Path]:
    return sorted(p for r in roots for p in (ROOT / r).rglob("*.py"))


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "7 kept" in proc.stdout, proc.stdout[-2000:]


def test_no_module_is_over_400_lines():
    big = {str(p.relative_to(ROOT)): n for p in _modules(*PACKAGES, "bench")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not big, f"split these (one concern per module): {big}"


def test_tasks_are_thin_wrappers():
    thick = {p.name: n for p in _modules("tasks") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 120}
    assert not thick, f"move the logic into its capability package: {thick}"


def test_the_projects_own_imports_are_at_the_top():
    lazy = []
    for path in _modules(*PACKAGES, "bench"):
        rel = str(path.relative_to(ROOT))
        if rel in LAZY_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(fn):
                module = (node.module if isinstance(node, ast.ImportFrom) else
                          node.names[0].name if isinstance(node, ast.Import) else None)
                if module and module.split(".")[0] in PACKAGES:
                    lazy.append(f"{rel}:{node.lineno} {module}")
    assert not lazy, "import these at the top of the file: " + ", ".join(sorted(set(lazy)))


def test_runs_that_wait_warm_at_gates_hold_no_deployment_concurrency_slot():
    """Prefect's server revokes a run's deployment concurrency lease when the run pauses, and
    the run's process, still renewing it, then crashes itself ("Concurrency lease renewal failed",
    PrefectHQ/prefect#22885): seen in bench/longform on the cluster, 2 min after a warm gate.
    Productions wait warm, so their deployment has no such limit (each worker takes a bounded
    number of runs); template re-runs keep theirs and suspend at their gate at once."""
    import yaml

    deployments = {d["name"]: d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]}
    assert deployments["produce"].get("concurrency_limit") is None
    serve = (ROOT / "flows" / "serve.py").read_text()
    assert 'name="produce", concurrency_limit=None' in serve
    def code(path: str) -> str:  # without its comments
        return ast.unparse(ast.parse((ROOT / path).read_text()))

    assert "warm_s=0" in code("flows/template.py") and "--limit" in code("app/cluster.py")
