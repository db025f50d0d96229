"""Audit the pinned dependencies with pip-audit; fail only on a known vulnerability with a fix.

A vulnerability without a fixed version cannot be acted on by bumping the lock: it is printed,
not fatal. pip-audit asks PyPI about each pinned version (``/pypi/<name>/<version>/json``); where
that answer is missing (a PyPI mirror that only serves project pages), the project page
(``/pypi/<name>/json``) is asked instead: its ``vulnerabilities`` are those of the latest release,
so they audit a pin only when it is that release. Anything else is named « non audité », so an
unreachable service never passes for a clean audit.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent
COMMAND = [
    str(BIN / "pip-audit"),
    *("-r", "requirements.lock", "--no-deps", "--disable-pip"),
    *("--progress-spinner", "off", "--format", "json"),
]
PROJECT = "https://pypi.org/pypi/{name}/json"
TIMEOUT_S = 60


def _project_page(dep: dict) -> dict:
    """``dep`` audited from its PyPI project page, or given the reason it could not be."""
    context = ssl.create_default_context()
    try:
        with urllib.request.urlopen(
            PROJECT.format(name=dep["name"]), timeout=TIMEOUT_S, context=context
        ) as answer:
            page = json.load(answer)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        return {**dep, "skip_reason": f"fiche projet PyPI illisible ({error})"}
    latest = page["info"]["version"]
    if latest != dep["version"]:
        return {
            **dep,
            "skip_reason": f"{dep['name']} {dep['version']} : PyPI ne renseigne ici que la "
            f"dernière version ({latest})",
        }
    vulns = [
        {"id": v["id"], "fix_versions": v.get("fixed_in") or []}
        for v in page.get("vulnerabilities", [])
        if not v.get("withdrawn")
    ]
    return {"name": dep["name"], "version": dep["version"], "vulns": vulns, "page_projet": True}


def _pinned(lock: Path) -> dict[str, str]:
    """Version of each ``name==version`` line, by normalised name (as pip-audit reports it)."""
    pins = (line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line)
    return {re.sub(r"[-_.]+", "-", n).lower().strip(): v.strip() for n, v in pins}


def main() -> int:
    run = subprocess.run(COMMAND, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit n'a pas rendu de rapport (code {run.returncode}) :\n{run.stderr}")
        return 1
    deps = [d for d in report["dependencies"] if "skip_reason" not in d]
    pinned = _pinned(Path("requirements.lock"))
    missing = [
        {**d, "version": pinned.get(d["name"], "?")}
        for d in report["dependencies"]
        if "skip_reason" in d
    ]
    with ThreadPoolExecutor(8) as pool:
        deps += list(pool.map(_project_page, missing))
    skipped = [d for d in deps if "skip_reason" in d]
    fixable = found = 0
    for dep in deps:
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln["fix_versions"]) or "aucune"
            fixable += bool(vuln["fix_versions"])
            found += 1
            print(f"{dep['name']} {dep['version']} : {vuln['id']} (corrigé en : {fixes})")
    audited = len(deps) - len(skipped)
    by_page = sum(1 for d in deps if d.get("page_projet"))
    print(
        f"{audited} dépendance(s) auditée(s) sur {len(deps)} ({audited - by_page} par pip-audit, "
        f"{by_page} par leur fiche projet PyPI) : {found} vulnérabilité(s) connue(s), "
        f"{fixable} corrigeable(s)"
    )
    for dep in skipped:
        print(f"non auditée : {dep['skip_reason']}")
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
