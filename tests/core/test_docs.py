"""Docs that run: what README.md, docs/ and deploy/ say about topics, keys, settings and commands is what the code
does. Extracted from the text, compared with the code; no services needed."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import click

from glyph_core.events import record_key, topic_names
from glyph_io.settings import Settings, env_name
from glyph_tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md"]
TEXT = {p.relative_to(ROOT).as_posix(): p.read_text() for p in DOCS}
# variables that are not pipeline settings: the local services' own knobs and the bootstrap superuser
NOT_SETTINGS = {"GLYPH_SUPERUSER_DATABASE_URL", "GLYPH_STATE_DIR", "GLYPH_PG_SHARED_BUFFERS",
                "GLYPH_PG_MAINTENANCE_WORK_MEM", "GLYPH_TANSU_STORAGE"}


def test_topic_names_in_the_docs_are_the_ones_we_publish_to() -> None:
    published = set(topic_names(Settings().kafka_topic_prefix).values())
    for name, text in TEXT.items():
        for topic in set(re.findall(r"\bglyphfoundry\.[a-z_]+\b", text)) - {"glyphfoundry.node", "glyphfoundry.edge",
                                                                            "glyphfoundry.glyph"}:
            assert topic in published, f"{name} names topic {topic}; we publish to {sorted(published)}"
        assert not re.search(r"`glyphfoundry\.(node|edge|glyph)`", text), f"{name}: topics end in 's' (nodes...)"
    assert all(topic in TEXT["README.md"] for topic in published)


def test_the_message_key_format_in_the_docs_is_the_one_we_build() -> None:
    assert record_key("T", "E") == b"T:E"
    for name in ("README.md", "deploy/README.md"):
        assert "<tenant_id>:<entity id>" in TEXT[name], f"{name} must state the key format <tenant_id>:<entity id>"
        assert "Key = tenant id" not in TEXT[name]


def test_every_setting_is_documented_and_every_documented_variable_exists() -> None:
    settings = {env_name(f.name) for f in fields(Settings)}
    mentioned = {v for text in TEXT.values() for v in re.findall(r"\bGLYPH_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])", text)}
    unknown = mentioned - settings - NOT_SETTINGS
    assert not unknown, f"documented variables the code does not read: {sorted(unknown)}"
    undocumented = settings - set(re.findall(r"\bGLYPH_[A-Z0-9_]*[A-Z0-9]\b", TEXT["README.md"]))
    assert not undocumented, f"settings missing from README's configuration table: {sorted(undocumented)}"


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    out = set()
    for name, command in group.commands.items():
        out.add(f"{prefix}{name}")
        if isinstance(command, click.Group):
            out |= _commands(command, f"{prefix}{name} ")
    return out


def _command_lines(text: str) -> list[str]:
    """`glyph ...` in inline code, and lines of fenced code blocks that run glyph."""
    found = re.findall(r"`(?:\.venv/bin/)?glyph ([^`]+)`", text)
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        found += re.findall(r"^\s*(?:\.venv/bin/)?glyph ([^\n#]+)", block, flags=re.M)
    return found


def test_glyph_commands_in_the_docs_exist() -> None:
    known = _commands(main)
    for name, text in TEXT.items():
        for line in _command_lines(text):
            words = [w for w in line.split() if re.fullmatch(r"[a-z][a-z-]*", w)][:2]
            if not words or words[0] not in main.commands:
                raise AssertionError(f"{name} mentions `glyph {line.strip()}`: no such command")
            if isinstance(main.commands[words[0]], click.Group) and len(words) == 2:
                assert " ".join(words) in known, f"{name} mentions `glyph {line.strip()}`: no such subcommand"


def test_the_dockerfile_installs_with_the_script_the_tests_use() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "install-package.sh" in dockerfile and "constraints.txt" in dockerfile
    for needed in ("HF_HUB_OFFLINE=1", "USER 10001", 'ENTRYPOINT ["glyph"]', "download.pytorch.org/whl/cpu"):
        assert needed in dockerfile
