"""The architecture, enforced: which parts of meco may import which, read from the syntax tree of every module
(imports inside functions count too; `if TYPE_CHECKING:` imports do not, they never run)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import meco

PACKAGE = Path(meco.__file__).parent
STDLIB = sys.stdlib_module_names


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of everything `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    type_checking = {
        id(node)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
        for node in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from . import checkpoint`
    return found


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, part: str) -> bool:
    return name == part or name.startswith(part + ".")


def importers(target: str, among: str = "meco") -> list[str]:
    """Modules inside `among` (excluding `target` itself) that import `target` or anything under it."""
    return sorted(
        m
        for m, deps in MODULES.items()
        if within(m, among) and not within(m, target) and any(within(d, target) for d in deps)
    )


def test_the_import_reader_sees_relative_lazy_and_aliased_imports():
    deps = MODULES["meco.inference.loading"]
    assert {"meco.shards", "meco.trainer.checkpoint", "meco.trainer.model"} <= deps
    assert "meco.trainer.train" in MODULES["meco.trainer.cli"]  # imported inside the command function
    assert "meco.shards" not in MODULES["meco.tokenizer"]  # a TYPE_CHECKING import never runs


def test_shards_import_numpy_only():
    outside = {
        d
        for m, deps in MODULES.items()
        if within(m, "meco.shards")
        for d in deps
        if d.split(".")[0] not in STDLIB
        and not any(within(d, ok) for ok in ("meco.shards", "meco.errors", "meco.lazy"))
    }
    assert outside <= {"numpy"}, outside


@pytest.mark.parametrize(
    ("part", "forbidden"),
    [
        ("meco.pipeline", "meco.trainer"),
        ("meco.trainer", "meco.pipeline"),
        ("meco.trainer", "meco.tokenizer"),
        ("meco.trainer", "datatrove"),
        ("meco.inference", "meco.pipeline"),
        ("meco.inference", "datatrove"),
        ("meco.inference", "meco.export"),
        ("meco.inspection", "meco.pipeline"),
        ("meco.inspection", "datatrove"),
        ("meco.export", "meco.pipeline"),
        ("meco.export", "datatrove"),
        ("meco", "meco.cli"),
    ],
)
def test_forbidden_imports(part, forbidden):
    assert importers(forbidden, among=part) == []


def test_only_the_cli_imports_inference():
    assert importers("meco.inference") == ["meco.cli"]


def test_help_imports_neither_datatrove_nor_torch():
    """`meco --help` and every `meco <command> --help` load only the command line (not even numpy)."""
    code = (
        "import sys; from click.testing import CliRunner; from meco.cli import main; "
        "assert all(CliRunner().invoke(main, [*c, '--help']).exit_code == 0 for c in ([], *[[n] for n in main.commands])); "
        "print(sorted(m for m in ('datatrove', 'torch', 'numpy', 'pyarrow', 'tiktoken', 'tokenizers') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
