"""Hypothesis strategies for hostile input: arbitrary JSON, and valid documents or files with random damage."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

# Text that tends to break parsers: separators, quotes, control characters, huge numbers, odd Unicode.
NASTY_TEXT = st.sampled_from([
    "", " ", "\x00", "\ufeff", "\u202e", "\r\n", ",", ";", "\t", '"', "'", "\\", "{", "[", "-", "-1", "0", "1e309",
    "NaN", "Infinity", "null", "true", "9" * 400, "%s%n", "../../etc/passwd", "<script>", "é", "𝔘",
])
TEXT = st.one_of(st.text(max_size=40), NASTY_TEXT)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, document: Any, max_edits: int = 3) -> Any:
    """`document` with 1..max_edits values replaced by arbitrary JSON, or keys and items removed."""
    result = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=max_edits))):
        paths = _paths(result)
        path = draw(st.sampled_from(paths))
        if not path:
            return draw(JSON_VALUES)
        parent = result
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            parent[path[-1]] = draw(JSON_VALUES)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    return result


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes, max_edits: int = 4) -> bytes:
    """`seed` with random byte-level edits: deletions, insertions, overwrites and repeated or swapped lines."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=max_edits))):
        edit = draw(st.sampled_from(["delete", "insert", "overwrite", "repeat_line", "swap_lines", "truncate"]))
        position = draw(st.integers(min_value=0, max_value=len(data)))
        if edit == "delete":
            del data[position:position + draw(st.integers(min_value=1, max_value=64))]
        elif edit == "insert":
            data[position:position] = draw(st.one_of(st.binary(max_size=16), NASTY_TEXT.map(str.encode)))
        elif edit == "overwrite" and data:
            data[min(position, len(data) - 1)] = draw(st.integers(min_value=0, max_value=255))
        elif edit == "truncate":
            del data[position:]
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if edit == "repeat_line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)
