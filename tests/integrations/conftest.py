"""A real Label Studio server for the session: started once, offline, on a
free port of 127.0.0.1 with a temporary data directory (SQLite), a user made
at start-up, and a personal access token made the way a user makes one. It
starts as soon as collection shows a test needs it, so that its start-up
overlaps the tests that run before them.

The server lives in its own virtual environment (``make labelstudio-server``
makes ``.venv-ls``; ``GCNAL_LABEL_STUDIO`` may name another ``label-studio``
executable), so that its pinned dependencies never meet gcnal's. The tests
skip, saying so, only where that executable or the SDK is missing.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
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


class _Starting:
    """The server process, started as soon as the session knows it will need
    it, so that its start-up (about two minutes) overlaps the other tests."""

    process = None
    url = None
    log = None
    skip = None


def pytest_collection_modifyitems(session, config, items):
    if _Starting.process is None and _Starting.skip is None and any(
            "label_studio" in getattr(item, "fixturenames", ()) for item in items):
        _start()


def _start() -> None:
    try:
        import label_studio_sdk  # noqa: F401
    except ImportError:
        _Starting.skip = "gcnal[labelstudio] is not installed (pip install -e '.[labelstudio]')"
        return
    if not EXECUTABLE.is_file() or ("GCNAL_LABEL_STUDIO" not in os.environ
                                    and not INSTALLED.is_file()):
        _Starting.skip = (f"no Label Studio server at {EXECUTABLE}: 'make labelstudio-server' "
                          "did not run or could not install it (or set GCNAL_LABEL_STUDIO to a "
                          "label-studio executable)")
        return
    data = Path(tempfile.mkdtemp(prefix="gcnal-label-studio-"))
    port = _free_port()
    _Starting.url = f"http://127.0.0.1:{port}"
    _Starting.log = data / "server.log"
    env = {**os.environ, **OFFLINE, "LABEL_STUDIO_BASE_DATA_DIR": str(data)}
    with open(_Starting.log, "wb") as out:
        _Starting.process = subprocess.Popen(
            [str(EXECUTABLE), "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data), "--username", EMAIL,
             "--password", PASSWORD, "--log-level", "WARNING"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=data)


def pytest_sessionfinish(session, exitstatus):
    process = _Starting.process
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(_Starting.log.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def label_studio() -> Server:
    """The server (started at collection), once it answers, with a token."""
    if _Starting.process is None and _Starting.skip is None:  # not seen at collection
        _start()
    if _Starting.skip is not None:
        pytest.skip(_Starting.skip)
    _wait_until_up(_Starting.process, _Starting.url, _Starting.log)
    return Server(url=_Starting.url, token=personal_access_token(_Starting.url, EMAIL, PASSWORD))
