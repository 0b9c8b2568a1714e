"""The package's shape: every module imports alone, imports run downhill, commands live in cli/.

These read the source, so a newcomer's shortcut (an argparse parser in a
library module, an import cycle hidden behind a function-level import, an
exception outside the family) fails CI instead of spreading.
"""

from __future__ import annotations

import ast
import concurrent.futures
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import commentwatch
from commentwatch.errors import CommentwatchError

PACKAGE = Path(commentwatch.__file__).resolve().parent
#: Third-party warnings that appear on import and are not ours to fix, by module.
KNOWN_WARNINGS: tuple[str, ...] = ()


def _modules() -> list[str]:
    names = ["commentwatch"]
    for info in pkgutil.walk_packages(commentwatch.__path__, "commentwatch."):
        # ``__main__`` modules run a command when imported; they are checked by running them.
        if not info.name.endswith(".__main__"):
            names.append(info.name)
    return sorted(names)


def _source(module: str) -> tuple[Path, ast.Module]:
    parts = module.split(".")[1:]
    path = PACKAGE.joinpath(*parts)
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package's own modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("commentwatch")]
    if node.level or not (node.module or "").startswith("commentwatch"):
        return []
    found = []
    for alias in node.names:
        # ``from commentwatch import paths`` names a module; ``from x.y import name`` names x.y.
        candidate = f"{node.module}.{alias.name}"
        found.append(candidate if candidate in MODULES else node.module)
    return found


MODULES = set(_modules())


def test_every_module_imports_alone_in_a_fresh_interpreter_without_warnings():
    flags = ["-W", "error"] + [arg for spec in KNOWN_WARNINGS for arg in ("-W", spec)]

    def load(module: str) -> tuple[str, int, str]:
        done = subprocess.run([sys.executable, *flags, "-c", f"import {module}"],
                              check=False, capture_output=True, text=True, timeout=300)
        return module, done.returncode, done.stderr.strip()[-800:]

    with concurrent.futures.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
        failures = [(m, err) for m, rc, err in pool.map(load, sorted(MODULES)) if rc]
    assert not failures, "\n\n".join(f"{m}:\n{err}" for m, err in failures)


def test_module_level_imports_form_no_cycle():
    graph = {}
    for module in MODULES:
        _, tree = _source(module)
        graph[module] = {t for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                         for t in _imported(node) if t != module}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_function_level_imports_of_the_package_say_why():
    unexplained = []
    for module in MODULES:
        path, tree = _source(module)
        lines = path.read_text(encoding="utf-8").splitlines()
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top and _imported(node):
                # The comment sits on the import, or just above the block of imports it is in.
                above = node.lineno - 1
                while above > 0 and lines[above - 1].strip().startswith(("from ", "import ")):
                    above -= 1
                if "#" not in lines[node.lineno - 1] and (above == 0 or "#" not in lines[above - 1]):
                    unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not unexplained, "function-level imports without a comment saying why: " + ", ".join(unexplained)


def test_argparse_lives_only_in_the_cli_package():
    offenders = []
    for module in MODULES:
        if module == "commentwatch.cli" or module.startswith("commentwatch.cli."):
            continue
        _, tree = _source(module)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if "argparse" in names:
                    offenders.append(module)
    assert not offenders, f"argparse outside commentwatch/cli/: {sorted(set(offenders))}"


def test_no_command_modules_outside_cli():
    loose = [p.name for p in PACKAGE.rglob("*_command.py")] + [p.name for p in PACKAGE.rglob("command.py")]
    assert not loose


def test_every_exception_the_package_defines_belongs_to_the_family():
    strays = []
    for module in MODULES:
        _, tree = _source(module)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                loaded = getattr(__import__(module, fromlist=["_"]), node.name)
                if isinstance(loaded, type) and issubclass(loaded, BaseException) \
                        and not issubclass(loaded, CommentwatchError):
                    strays.append(f"{module}.{node.name}")
    assert not strays, f"exceptions outside CommentwatchError: {strays}"


def test_every_command_in_the_registry_has_its_module_and_configure_function():
    from commentwatch.cli import COMMANDS

    for command in COMMANDS:
        module = __import__(f"commentwatch.cli.{command.module}", fromlist=["_"])
        assert callable(getattr(module, f"configure_{command.name.replace('-', '_')}")), command.name


def test_tests_are_laid_out_like_the_package():
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders - {"e2e", "fixtures"} <= packages, f"test folders with no package: {folders - packages}"
    # Fixtures come from conftest.py by name, helpers from tests.helpers; the package is installed.
    banned = ("from " + "conftest import", "PYTHON" + "PATH", "sys.path." + "insert")
    for path in tests.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [b for b in banned if b in text], path
