"""Identities are pure functions of their inputs: re-runs must find the rows they wrote before."""

from uuid import UUID

import pytest

from glyph_core.ids import (
    GLYPH_NAMESPACE,
    chunk_key,
    content_hash,
    doc_key,
    stable_uuid,
    tag_key,
    tag_slug,
)


def test_content_hash_is_sha256_hex_of_utf8() -> None:
    assert content_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert content_hash(b"abc") == content_hash("abc")
    assert content_hash("café") == content_hash("café".encode())


def test_stable_uuid_is_pinned_to_the_project_namespace() -> None:
    # Changing the namespace would re-key every node; this value must never change.
    assert UUID("0d6e5f3c-8a41-5b7e-9c2d-3f6a1b8e4c70") == GLYPH_NAMESPACE
    assert stable_uuid("doc", "acme", "x.md") == UUID("0de5e48b-cf3e-5687-8d76-aa18ed776859")


def test_stable_uuid_is_deterministic_and_version_5() -> None:
    first = stable_uuid("chunk", "acme/x.md", 3)
    assert first == stable_uuid("chunk", "acme/x.md", 3)
    assert first.version == 5


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("a/b",), ("a", "b")),
        (("ab", "c"), ("a", "bc")),
        (("a", ""), ("a",)),
        (("doc", "x"), ("chunk", "x")),
    ],
)
def test_stable_uuid_parts_cannot_collide_by_concatenation(left: tuple[str, ...], right: tuple[str, ...]) -> None:
    assert stable_uuid(*left) != stable_uuid(*right)


def test_stable_uuid_treats_parts_as_text() -> None:
    tenant = UUID("12345678-1234-5678-1234-567812345678")
    assert stable_uuid(7) == stable_uuid("7")
    assert stable_uuid(tenant) == stable_uuid(str(tenant))


def test_stable_uuid_needs_a_part() -> None:
    with pytest.raises(ValueError) as error:
        stable_uuid()
    assert str(error.value) == "stable_uuid needs at least one part"


def test_node_keys_follow_the_design_vocabulary() -> None:
    assert doc_key("reference/text/re.md") == "doc:reference/text/re.md"
    assert chunk_key("reference/text/re.md", 0) == "chunk:reference/text/re.md#0"
    assert chunk_key("reference/text/re.md", 12) == "chunk:reference/text/re.md#12"
    assert tag_key("Data Types") == "tag:data-types"


@pytest.mark.parametrize("index", [-1, True, 1.0, "1"])
def test_chunk_key_refuses_an_index_that_is_not_a_non_negative_int(index: object) -> None:
    with pytest.raises(ValueError) as error:
        chunk_key("x.md", index)  # type: ignore[arg-type]
    assert str(error.value) == f"chunk index must be a non-negative int, got {index!r}"


def test_keys_refuse_an_empty_object_key() -> None:
    with pytest.raises(ValueError) as error:
        doc_key("")
    assert str(error.value) == "object key must not be empty"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Data Types", "data-types"),
        ("data_types", "data-types"),
        ("  DATA--types  ", "data-types"),
        ("os-services", "os-services"),
        ("Ünïcödé", "ünïcödé"),
        ("日本語", "日本語"),
        ("ＦＵＬＬ width", "full-width"),
        ("Straße", "strasse"),
        ("C++", "c"),
        ("x" * 100, "x" * 64),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_tag_slug_folds_spelling_variants_together(name: str, slug: str) -> None:
    assert tag_slug(name) == slug


def test_tag_slug_refuses_a_name_without_letters_or_digits() -> None:
    with pytest.raises(ValueError) as error:
        tag_slug(" !!! ")
    assert str(error.value) == "tag has no letters or digits: ' !!! '"
