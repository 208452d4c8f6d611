"""Starting engine processes (`python -m bot.followup run`) for the process tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.followup.policy import POLICY_FILE

ROOT = Path(__file__).resolve().parents[2]


def policy_file(directory: Path, **engine: int) -> Path:
    """policy.yml with a high pressure limit (the schedule is then exactly the policy's) and
    the engine settings given."""
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    data["pressure"]["max_messages"] = 100
    data["engine"].update(engine)
    path = directory / "policy.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def start(url: str, *args: str, log: Path, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, "BETAALHULP_DATABASE_URL": url, "BETAALHULP_LOG_LEVEL": "WARNING",
                   "BETAALHULP_WEB_SECRET": "followup-tests-secret", **(env or {})}
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "bot.followup", "run", "--database", url, *args], cwd=ROOT,
                            env=environment, stdout=handle, stderr=subprocess.STDOUT)
