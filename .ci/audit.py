"""Audit the pinned dependencies with pip-audit; fail only on a known vulnerability with a fix.

A vulnerability without a fixed version cannot be acted on by bumping the lock: it is printed,
not fatal. Dependencies the vulnerability service could not look up are named as « non audité »,
so an unreachable service never passes for a clean audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
COMMAND = [
    str(BIN / "pip-audit"),
    *("-r", "requirements.lock", "--no-deps", "--disable-pip"),
    *("--progress-spinner", "off", "--format", "json"),
]


def main() -> int:
    run = subprocess.run(COMMAND, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit n'a pas rendu de rapport (code {run.returncode}) :\n{run.stderr}")
        return 1
    deps = report["dependencies"]
    skipped = [d for d in deps if "skip_reason" in d]
    fixable = 0
    for dep in deps:
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln["fix_versions"]) or "aucune"
            fixable += bool(vuln["fix_versions"])
            print(f"{dep['name']} {dep['version']} : {vuln['id']} (corrigé en : {fixes})")
    audited = len(deps) - len(skipped)
    print(f"{audited} dépendance(s) auditée(s), {fixable} vulnérabilité(s) corrigeable(s)")
    if skipped:
        print(f"{len(skipped)} dépendance(s) non auditée(s), p. ex. : {skipped[0]['skip_reason']}")
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
