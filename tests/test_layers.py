"""The layers of the code hold: a module imports only modules of its own layer or below (the
contract in pyproject.toml's ``[tool.importlinter]``), so answering never reaches into a face or a
benchmark, and the index knows nothing of answers."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed: pip install -e '.[test]'"
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_layers_contract_is_kept():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 kept, 0 broken" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The check can fail: the same code with the records importing the pipeline breaks it."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "index", "__pycache__", "*.pyc"))
    records = copy / "rag" / "records.py"
    records.write_text(records.read_text(encoding="utf-8") + "\n\ndef _upward():\n    from . import pipeline  # noqa\n",
                       encoding="utf-8")
    run = lint_imports(copy)
    assert run.returncode != 0 and "rag.records -> rag.pipeline" in run.stdout, run.stdout[-3000:]
