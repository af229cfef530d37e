"""`glyph ui`: the Dagster webserver and daemon on 127.0.0.1 with this project's workspace.yaml and dagster.yaml.

DAGSTER_HOME holds the packaged `dagster.yaml` (glyph_tools/instance.py): run/event/schedule storage on PostgreSQL
(`GLYPH_DAGSTER_PG_URL`, dagster-postgres), the QueuedRunCoordinator with one run per tenant at a time, run
retries for crashed workers, run monitoring. The connection settings come from the shell or, when unset, from the
local services (`glyph services up`).

    glyph ui                      # foreground: both processes, Ctrl-C stops both
    glyph ui --background         # start, wait until the code location is loaded, print the URL, return
    glyph ui status               # which recorded instances answer
    glyph ui stop [--port N]      # stop the background instance(s) this command started

Background state (pids, port, log files) lives in `.glyph/ui/<port>.json`; logs in `.glyph/ui/<port>-*.log`.
Each process runs in its own session (process group), so `stop` also ends the code servers they spawned.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import click

LOCATION_QUERY = ("{ workspaceOrError { __typename ... on Workspace { locationEntries { name "
                  "locationOrLoadError { __typename ... on PythonError { message } } } } } }")


@dataclass
class UiProcess:
    port: int
    webserver_pid: int
    daemon_pid: int
    webserver_log: str
    daemon_log: str
    started_at: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _state_dir() -> Path:
    from glyph_tools.services import state_dir

    path = state_dir() / "ui"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _binary(name: str) -> str:
    """The console script installed next to this Python (the venv), else the one on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise click.ClickException(f"{name} not found: install the project (scripts/install.sh)")
    return found


def ui_environment() -> dict[str, str]:
    """The process environment for the webserver and daemon: GLYPH_* settings and DAGSTER_HOME."""
    from glyph_io.settings import settings
    from glyph_tools.instance import dagster_home
    from glyph_tools.services import load_local_env

    load_local_env()
    if not settings().dagster_pg_url:
        raise click.ClickException("GLYPH_DAGSTER_PG_URL is not set: run `glyph services up` or export it "
                                   "(the UI's instance storage is PostgreSQL, see dagster.yaml)")
    dagster_home()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def commands(port: int) -> tuple[list[str], list[str]]:
    from glyph_tools.instance import workspace_file

    workspace = str(workspace_file())
    webserver = [_binary("dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", workspace]
    daemon = [_binary("dagster-daemon"), "run", "-w", workspace]
    return webserver, daemon


def location_status(port: int, timeout: float = 2.0) -> str | None:
    """'loaded', an error message, or None while the webserver does not answer or the location is loading."""
    body = json.dumps({"query": LOCATION_QUERY}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    entries = (data.get("data") or {}).get("workspaceOrError", {}).get("locationEntries") or []
    if not entries:
        return None
    for entry in entries:
        loc = entry.get("locationOrLoadError")
        if loc is None:
            return None  # still loading
        if loc.get("__typename") == "PythonError":
            return f"code location {entry['name']} failed to load: {loc.get('message', '').strip()[:2000]}"
    return "loaded"


def wait_until_ready(port: int, processes: list[subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in processes:
            if proc.poll() is not None:
                raise click.ClickException(f"{_program(proc)} exited with {proc.returncode} during start-up")
        status = location_status(port)
        if status == "loaded":
            return
        if status is not None:
            raise click.ClickException(status)
        time.sleep(0.5)
    raise click.ClickException(f"the webserver on port {port} did not load the code location in {timeout:.0f} s")


def _program(proc: subprocess.Popen[bytes]) -> str:
    args = proc.args
    return str(args[0]) if isinstance(args, list) and args else str(args)


def _port_free(port: int) -> bool:
    from glyph_tools.services import _port_free as free

    return free(port)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _stop_group(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the process group this command created (leader = pid), then SIGKILL what is left after `grace`."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        if not _alive(pid):
            # leader gone; give the rest of the group (code servers) a moment, then make sure
            time.sleep(0.5)
            break
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start(port: int, *, wait: bool = True, timeout: float = 120.0) -> UiProcess:
    """Start webserver + daemon detached (own sessions), record them, wait for the code location; return."""
    if not _port_free(port):
        raise click.ClickException(f"port {port} on 127.0.0.1 is in use (glyph ui status / choose --port)")
    env = ui_environment()
    web_cmd, daemon_cmd = commands(port)
    state = _state_dir()
    web_log, daemon_log = state / f"{port}-webserver.log", state / f"{port}-daemon.log"
    with open(web_log, "ab") as wl, open(daemon_log, "ab") as dl:
        web = subprocess.Popen(web_cmd, cwd=_state_dir(), env=env, stdout=wl, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
        daemon = subprocess.Popen(daemon_cmd, cwd=_state_dir(), env=env, stdout=dl, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    info = UiProcess(port, web.pid, daemon.pid, str(web_log), str(daemon_log), time.time())
    (state / f"{port}.json").write_text(json.dumps(asdict(info)))
    if wait:
        try:
            wait_until_ready(port, [web, daemon], timeout)
        except click.ClickException:
            stop(port)
            raise
    return info


def recorded() -> list[UiProcess]:
    out = []
    for path in sorted(_state_dir().glob("*.json")):
        try:
            out.append(UiProcess(**json.loads(path.read_text())))
        except (ValueError, TypeError):
            path.unlink(missing_ok=True)
    return out


def stop(port: int | None = None) -> list[int]:
    """Stop recorded background instances (all, or the one on `port`); returns the ports stopped."""
    stopped = []
    for info in recorded():
        if port is not None and info.port != port:
            continue
        for pid in (info.daemon_pid, info.webserver_pid):
            _stop_group(pid)
        (_state_dir() / f"{info.port}.json").unlink(missing_ok=True)
        stopped.append(info.port)
    return stopped


def run_foreground(port: int) -> None:
    """Both processes attached to this terminal; Ctrl-C (or SIGTERM) stops both."""
    if not _port_free(port):
        raise click.ClickException(f"port {port} on 127.0.0.1 is in use")
    env = ui_environment()
    web_cmd, daemon_cmd = commands(port)
    web = subprocess.Popen(web_cmd, cwd=_state_dir(), env=env, start_new_session=True)
    daemon = subprocess.Popen(daemon_cmd, cwd=_state_dir(), env=env, start_new_session=True)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        wait_until_ready(port, [web, daemon])
        click.echo(f"Dagster UI: http://127.0.0.1:{port}  (DAGSTER_HOME={env['DAGSTER_HOME']}; Ctrl-C stops)")
        while web.poll() is None and daemon.poll() is None:
            time.sleep(1)
        dead = web if web.poll() is not None else daemon
        raise click.ClickException(f"{_program(dead)} exited with {dead.returncode}")
    except KeyboardInterrupt:
        click.echo("stopping webserver and daemon")
    finally:
        for proc in (daemon, web):
            _stop_group(proc.pid)
            proc.wait()


@click.group("ui", invoke_without_command=True)
@click.option("--port", default=3000, show_default=True, type=int, help="Webserver port on 127.0.0.1.")
@click.option("--background", is_flag=True, help="Start detached, print the URL and return (stop: `glyph ui stop`).")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for the code location to load.")
@click.pass_context
def ui(ctx: click.Context, port: int, background: bool, timeout: float) -> None:
    """Dagster webserver + daemon on 127.0.0.1 (workspace.yaml, dagster.yaml: Postgres instance storage)."""
    if ctx.invoked_subcommand is not None:
        return
    if background:
        started = time.monotonic()
        info = start(port, timeout=timeout)
        click.echo(info.url)
        click.echo(f"webserver pid {info.webserver_pid}, daemon pid {info.daemon_pid}, ready in "
                   f"{time.monotonic() - started:.1f} s; logs {info.webserver_log}, {info.daemon_log}", err=True)
    else:
        run_foreground(port)


@ui.command("stop")
@click.option("--port", default=None, type=int, help="Only the instance on this port (default: all recorded).")
def ui_stop(port: int | None) -> None:
    """Stop the background webserver/daemon started by `glyph ui --background`."""
    ports = stop(port)
    click.echo("stopped: " + (", ".join(f"127.0.0.1:{p}" for p in ports) or "nothing was running"))


@ui.command("status")
def ui_status() -> None:
    """Recorded background instances and whether they answer; exits 1 when one does not."""
    ok = True
    for info in recorded():
        alive = _alive(info.webserver_pid) and _alive(info.daemon_pid)
        status = location_status(info.port) if alive else None
        ok &= status == "loaded"
        click.echo(f"{info.url}  webserver {info.webserver_pid} daemon {info.daemon_pid}  "
                   f"{status or ('not answering' if alive else 'DEAD')}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":  # `python -m glyph_tools.ui` works before the command is registered in glyph_tools/cli.py
    ui()
