"""Run axe-core (installed from npm: `npm ci`) inside a Playwright page and report WCAG 2.1 A/AA violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.1 A and AA violations axe-core finds on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}; run `npm ci` in the repository.")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [{"id": item["id"], "impact": item["impact"], "help": item["help"],
             "targets": [node["target"] for node in item["nodes"]]} for item in result["violations"]]
