"""Background jobs: the huey queue, task wiring and the task modules of each feature."""

from __future__ import annotations

import importlib
import pkgutil


def discover_tasks() -> None:
    """Import every `lti_tool.jobs.*_tasks` module (and `tasks`) so the worker knows all tasks."""
    import lti_tool.jobs as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name == "tasks" or module.name.endswith("_tasks"):
            importlib.import_module(f"{package.__name__}.{module.name}")
