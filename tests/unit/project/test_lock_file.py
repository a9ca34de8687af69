"""requirements.lock pins, with hashes, a version of every dependency pyproject.toml declares."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]


def _pins() -> dict[str, tuple[str, list[str]]]:
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s\\;]+)", block)
        if match:
            pins[canonicalize_name(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:(\w+)", block))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return [Requirement(item) for item in requirements]


def test_every_declared_dependency_is_pinned_within_its_range():
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"{requirement.name}=={pins[name][0]} does not satisfy {requirement.specifier}: run make lock")


def test_every_pin_carries_hashes():
    for name, (_version, hashes) in _pins().items():
        assert hashes, f"{name} has no --hash in requirements.lock"
