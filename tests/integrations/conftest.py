"""A real Label Studio server for the session: started once, offline, on a
free port of 127.0.0.1 with a temporary data directory (SQLite), a user made
at start-up, and a personal access token made the way a user makes one.

The server lives in its own virtual environment (``make labelstudio-server``
makes ``.venv-ls``; ``GCNAL_LABEL_STUDIO`` may name another ``label-studio``
executable), so that its pinned dependencies never meet gcnal's. The tests
skip, saying so, only where that executable or the SDK is missing.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: ``make labelstudio-server`` touches this once the install has finished.
INSTALLED = ROOT / ".venv-ls" / ".installed"
EXECUTABLE = Path(os.environ.get("GCNAL_LABEL_STUDIO", ROOT / ".venv-ls" / "bin" / "label-studio"))

#: Seconds the server may take to answer /health (about two minutes on a
#: loaded 2-core machine: the first start migrates the SQLite database).
START_TIMEOUT = 600

EMAIL = "annotator@example.com"
PASSWORD = "gcnal-test-password"

#: Label Studio offline and quiet: no telemetry, no update check, no Sentry.
OFFLINE = {"COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "",
           "FRONTEND_SENTRY_DSN": "", "SECRET_KEY": "gcnal-tests-only"}


@dataclass(frozen=True)
class Server:
    url: str
    token: str        # a personal access token (a JWT refresh token)
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"label-studio exited with {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    raise RuntimeError(f"label-studio did not answer {url}/health in {START_TIMEOUT} s:\n"
                       + log.read_text(errors="replace")[-3000:])


def personal_access_token(url: str, email: str, password: str) -> str:
    """Log in as a user does and make a personal access token (Label Studio
    1.23: Account & Settings > Personal Access Token > Create)."""
    import httpx

    with httpx.Client(base_url=url, timeout=30) as browser:
        browser.get("/user/login/")
        csrf = browser.cookies["csrftoken"]
        login = browser.post("/user/login/", data={"csrfmiddlewaretoken": csrf, "email": email,
                                                   "password": password},
                             headers={"Referer": f"{url}/user/login/"})
        assert login.status_code == 302, login.text[:500]
        made = browser.post("/api/token/", json={}, headers={
            "X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{url}/"})
        made.raise_for_status()
        return made.json()["token"]


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> Server:
    pytest.importorskip("label_studio_sdk", reason="gcnal[labelstudio] is not installed "
                        "(pip install -e '.[labelstudio]')")
    if not EXECUTABLE.is_file() or ("GCNAL_LABEL_STUDIO" not in os.environ
                                    and not INSTALLED.is_file()):
        pytest.skip(f"no Label Studio server at {EXECUTABLE}: 'make labelstudio-server' did not "
                    "run or could not install it (or set GCNAL_LABEL_STUDIO to a label-studio "
                    "executable)")
    data = tmp_path_factory.mktemp("label-studio")
    log = data / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **OFFLINE, "LABEL_STUDIO_BASE_DATA_DIR": str(data)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(EXECUTABLE), "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data), "--username", EMAIL,
             "--password", PASSWORD, "--log-level", "WARNING"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=data)
    try:
        _wait_until_up(process, url, log)
        yield Server(url=url, token=personal_access_token(url, EMAIL, PASSWORD), log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
