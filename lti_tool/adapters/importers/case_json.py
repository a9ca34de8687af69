"""1EdTech CASE JSON: a CFPackage (CFDocument, CFItems, CFAssociations, CFDefinitions).

Reading is tolerant of early exports (plain-string URIs, `educationalLevel` strings, numbers as
strings); the hierarchy comes from `isChildOf` associations, whose destination is the parent (the
CFDocument itself for top-level items). Writing produces CASE 1.1 shapes with UUID identifiers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lti_tool.adapters.importers.drafts import (
    FrameworkDraft,
    ImportFailed,
    ImportProblem,
    StandardDraft,
)
from lti_tool.adapters.importers.https_fetch import FetchFailed, fetch_url
from lti_tool.adapters.importers.validation import (
    RawStandard,
    Spot,
    build_standards,
    decode_text,
    drop_label_repeating_code,
    raise_if_problems,
)

FORMAT_NAME = "case"
CHILD_OF = "isChildOf"
# Identifiers the exporter has to invent (for frameworks that came from a CSV) are UUIDv5 names
# under this namespace, so exporting the same framework twice gives the same identifiers.
SBG_CASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:sbg:case")


def parse_case_json(data: bytes) -> FrameworkDraft:
    """Read a CASE CFPackage; raises `ImportFailed` listing every problem with its JSON path."""
    problems: list[ImportProblem] = []
    text = decode_text(data, problems)
    if text is None:
        raise_if_problems(problems)
    try:
        root = json.loads(text or "")
    except json.JSONDecodeError as error:
        problems.append(
            ImportProblem(
                reason=f"not valid JSON: {error.msg} (column {error.colno})", line=error.lineno
            )
        )
        raise_if_problems(problems)
    package, base = _unwrap(root)
    reader = _PackageReader(base, problems)
    draft = reader.read(package)
    raise_if_problems(problems)
    assert draft is not None
    return draft


def _unwrap(root: Any) -> tuple[Any, str]:
    """The package, bare or inside the CASE 1.1 endpoint's {"CFPackage": {...}} envelope."""
    if isinstance(root, dict) and isinstance(root.get("CFPackage"), dict):
        return root["CFPackage"], "$.CFPackage"
    return root, "$"


@dataclass
class _PackageReader:
    """Reads one package, collecting problems as it goes."""

    base: str
    problems: list[ImportProblem]
    document_refs: set[str] = field(default_factory=set)
    item_ids: set[str] = field(default_factory=set)
    uri_to_id: dict[str, str] = field(default_factory=dict)
    type_titles: dict[str, str] = field(default_factory=dict)

    def fail(self, path: str, reason: str) -> None:
        """Record a problem at a JSON path."""
        self.problems.append(ImportProblem(reason=reason, path=path, field=_last_key(path)))

    def read(self, package: Any) -> FrameworkDraft | None:
        """The whole package as a draft, or None when it is too broken to read on."""
        if not isinstance(package, dict):
            self.fail(self.base, "a CASE package is a JSON object with CFDocument and CFItems")
            return None
        document = package.get("CFDocument")
        if not isinstance(document, dict):
            self.fail(f"{self.base}.CFDocument", "CFDocument is missing")
            return None
        self._read_definitions(package.get("CFDefinitions"))
        framework = self._read_document(document)
        items = self._list(package, "CFItems")
        if not items:
            self.fail(f"{self.base}.CFItems", "the package has no CFItems (no standards)")
            return None
        raw = [self._read_item(item, f"{self.base}.CFItems[{i}]") for i, item in enumerate(items)]
        standards = [standard for standard in raw if standard is not None]
        self._attach_parents(standards, self._list(package, "CFAssociations"))
        ordered = build_standards(standards, self.problems)
        return FrameworkDraft(standards=ordered, **framework)

    def _list(self, package: dict[str, Any], key: str) -> list[Any]:
        """A top-level array of the package ([] when absent)."""
        value = package.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{self.base}.{key}", f"{key} must be a JSON array")
            return []
        return value

    def _read_definitions(self, definitions: Any) -> None:
        """Item type titles by identifier, for items that name their type only by reference."""
        if not isinstance(definitions, dict):
            return
        for item_type in definitions.get("CFItemTypes") or []:
            if isinstance(item_type, dict) and isinstance(item_type.get("identifier"), str):
                title = item_type.get("title") or item_type.get("typeCode") or ""
                self.type_titles[item_type["identifier"]] = str(title)

    def _read_document(self, document: dict[str, Any]) -> dict[str, str]:
        """The framework's own fields from CFDocument."""
        path = f"{self.base}.CFDocument"
        identifier = self.text(document, "identifier", path, required=True)
        self.document_refs = {identifier, self.text(document, "uri", path)} - {""}
        return {
            "identifier": identifier,
            "title": self.text(document, "title", path, required=True),
            "source_format": FORMAT_NAME,
            "subject": ", ".join(self.text_list(document, "subject", path)),
            "version": self.text(document, "version", path),
            "creator": self.text(document, "creator", path),
            "publisher": self.text(document, "publisher", path),
            "description": self.text(document, "description", path),
        }

    def _read_item(self, item: Any, path: str) -> RawStandard | None:
        """One CFItem as a raw standard (its parent is filled in from the associations)."""
        if not isinstance(item, dict):
            self.fail(path, "each CFItem must be a JSON object")
            return None
        identifier = self.text(item, "identifier", path, required=True)
        code = self.text(item, "humanCodingScheme", path)
        statement = self.text(item, "fullStatement", path)
        label = self.text(item, "abbreviatedStatement", path)
        if not statement and not label:
            self.fail(f"{path}.fullStatement", "fullStatement is empty")
        if identifier:
            self.item_ids.add(identifier)
        uri = self.text(item, "uri", path)
        if uri and identifier:
            self.uri_to_id[uri] = identifier
        levels = self.text_list(item, "educationLevel", path) or self.text_list(
            item, "educationalLevel", path
        )
        label = drop_label_repeating_code(label, code)
        if not statement or statement == label:
            # CASE requires a full statement, so an item with only a short label repeats it there.
            statement = ""
        return RawStandard(
            identifier=identifier,
            code=code,
            parent_identifier=None,
            label=label,
            statement=statement,
            kind=self._item_type(item, path).lower(),
            grade_levels=tuple(levels),
            subject=", ".join(self.text_list(item, "subject", path)),
            at_identifier=Spot(path=f"{path}.identifier", field="identifier"),
            at_code=Spot(path=f"{path}.humanCodingScheme", field="humanCodingScheme"),
            at_parent=Spot(path=path),
        )

    def _item_type(self, item: dict[str, Any], path: str) -> str:
        """CFItemType, or the title of the type its CFItemTypeURI points at."""
        named = self.text(item, "CFItemType", path)
        if named:
            return named
        link = item.get("CFItemTypeURI")
        if isinstance(link, dict):
            title = link.get("title")
            if isinstance(title, str) and title.strip():
                return title.strip()
            return self.type_titles.get(str(link.get("identifier", "")), "")
        return ""

    def _attach_parents(self, standards: list[RawStandard], associations: list[Any]) -> None:
        """Give each item the parents its isChildOf associations name, first one first."""
        by_id = {standard.identifier: standard for standard in standards if standard.identifier}
        linked: set[str] = set()
        for index, association in enumerate(associations):
            path = f"{self.base}.CFAssociations[{index}]"
            if not isinstance(association, dict):
                self.fail(path, "each CFAssociation must be a JSON object")
                continue
            if association.get("associationType") != CHILD_OF:
                continue
            child = self._node(association.get("originNodeURI"))
            parent = self._node(association.get("destinationNodeURI"))
            if child not in by_id:
                self.fail(
                    f"{path}.originNodeURI",
                    f"isChildOf names a child {child or '(nothing)'!r} that is not a CFItem here",
                )
                continue
            sequence = self._sequence(association.get("sequenceNumber"), path)
            standard = by_id[child]
            parent_id = None if parent in self.document_refs else parent
            if child not in linked:
                linked.add(child)
                standard.parent_identifier = parent_id
                standard.sequence = sequence
                standard.at_parent = Spot(path=f"{path}.destinationNodeURI", field="destinationNodeURI")
            elif parent_id is not None and parent_id != standard.parent_identifier:
                if parent_id not in standard.extra_parent_identifiers:
                    standard.extra_parent_identifiers += (parent_id,)

    def _node(self, reference: Any) -> str:
        """An association end as an item identifier (via its identifier or its uri)."""
        candidates: list[str] = []
        if isinstance(reference, dict):
            candidates = [str(reference.get(key) or "") for key in ("identifier", "uri")]
        elif isinstance(reference, str):
            candidates = [reference]  # early exports wrote plain URI strings
        for candidate in candidates:
            if candidate in self.item_ids or candidate in self.document_refs:
                return candidate
            if candidate in self.uri_to_id:
                return self.uri_to_id[candidate]
        return candidates[0] if candidates else ""

    def _sequence(self, value: Any, path: str) -> float | None:
        """sequenceNumber as a number; early exports wrote it as a string."""
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.fail(f"{path}.sequenceNumber", "sequenceNumber must be a whole number")
            return None
        try:
            return float(value)
        except ValueError:
            self.fail(f"{path}.sequenceNumber", f"sequenceNumber {value!r} is not a number")
            return None

    def text(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> str:
        """A string property, trimmed; numbers are accepted as text."""
        value = obj.get(key)
        if isinstance(value, str):
            value = value.strip()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif value is not None:
            self.fail(f"{path}.{key}", f"{key} must be text")
            return ""
        if required and not value:
            self.fail(f"{path}.{key}", f"{key} is empty")
        return value or ""

    def text_list(self, obj: dict[str, Any], key: str, path: str) -> list[str]:
        """An array of strings; a single comma-separated string is accepted too."""
        value = obj.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            return [part.strip() for part in value if part.strip()]
        self.fail(f"{path}.{key}", f"{key} must be a list of text values")
        return []


def _last_key(path: str) -> str | None:
    """"$.CFItems[3].fullStatement" -> "fullStatement"."""
    tail = path.rsplit(".", 1)[-1]
    return None if tail.endswith("]") or tail == "$" else tail


def parse_case_url(url: str, fetch: Callable[[str], bytes] = fetch_url) -> FrameworkDraft:
    """Download a CFPackage from a CASE provider over https and read it.

    Accepts a package address (`.../ims/case/v1p0/CFPackages/{id}`, v1p1 alike) or a document
    address (`.../CFDocuments/{id}`), which is turned into the package address of the same id.
    """
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ImportFailed(
            [ImportProblem(reason="only https:// addresses can be imported", field="url")]
        )
    path = parts.path.replace("/CFDocuments/", "/CFPackages/")
    package_url = urlunsplit(parts._replace(path=path))
    try:
        data = fetch(package_url)
    except FetchFailed as error:
        raise ImportFailed(
            [ImportProblem(reason=f"could not download {package_url}: {error}", field="url")]
        ) from error
    return parse_case_json(data)


def export_case_json(
    draft: FrameworkDraft, *, now: datetime | None = None, base_uri: str = ""
) -> bytes:
    """Write a draft as a CASE 1.1 CFPackage (UTF-8 JSON)."""
    return _CaseWriter(draft, now or datetime.now(timezone.utc), base_uri).package()


class _CaseWriter:
    """Builds the package dictionaries; identifiers that are not UUIDs get stable UUIDv5s."""

    def __init__(self, draft: FrameworkDraft, now: datetime, base_uri: str) -> None:
        self.draft = draft
        self.stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.base_uri = base_uri.rstrip("/")
        self.document_id = _as_uuid(draft.identifier or draft.title, SBG_CASE_NAMESPACE)
        self.namespace = uuid.UUID(self.document_id)
        self.item_ids = {s.identifier: _as_uuid(s.identifier, self.namespace) for s in draft.standards}
        self.standards_by_id = {standard.identifier: standard for standard in draft.standards}

    def uri(self, identifier: str) -> str:
        """The uri of an object: under the provider's base address, or a URN."""
        return f"{self.base_uri}/{identifier}" if self.base_uri else f"urn:uuid:{identifier}"

    def link(self, title: str, identifier: str) -> dict[str, str]:
        """A LinkURI / LinkGenURI object."""
        return {"title": title, "identifier": identifier, "uri": self.uri(identifier)}

    def package(self) -> bytes:
        """The CFPackage as JSON bytes."""
        kinds = list(dict.fromkeys(standard.kind for standard in self.draft.standards))
        package = {
            "CFDocument": self.document(),
            "CFItems": [self.item(standard) for standard in self.draft.standards],
            "CFAssociations": [
                association
                for standard in self.draft.standards
                for association in self.associations(standard)
            ],
            "CFDefinitions": {
                "CFItemTypes": [self.item_type(kind, level) for level, kind in enumerate(kinds, 1)]
            },
        }
        return json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")

    def document(self) -> dict[str, Any]:
        """CFDocument; creator is required by CASE, so the publisher stands in when missing."""
        draft = self.draft
        document: dict[str, Any] = {
            "identifier": self.document_id,
            "uri": self.uri(self.document_id),
            "title": draft.title or draft.identifier or "Framework",
            "creator": draft.creator or draft.publisher or "sbg",
            "lastChangeDateTime": self.stamp,
            "caseVersion": "1.1",
        }
        optional = {
            "publisher": draft.publisher,
            "version": draft.version,
            "description": draft.description,
        }
        document.update({key: value for key, value in optional.items() if value})
        if draft.subject:
            document["subject"] = [draft.subject]
        return document

    def item(self, standard: StandardDraft) -> dict[str, Any]:
        """CFItem for one standard."""
        identifier = self.item_ids[standard.identifier]
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": self.uri(identifier),
            "fullStatement": standard.statement or standard.label or standard.code or identifier,
            "lastChangeDateTime": self.stamp,
        }
        if standard.code:
            item["humanCodingScheme"] = standard.code
        if standard.label:
            item["abbreviatedStatement"] = standard.label
        if standard.kind:
            type_title = _type_title(standard.kind)
            item["CFItemType"] = type_title
            item["CFItemTypeURI"] = self.link(type_title, self.type_id(standard.kind))
        if standard.grade_levels:
            item["educationLevel"] = list(standard.grade_levels)
        if standard.subject:
            item["subject"] = [standard.subject]
        return item

    def associations(self, standard: StandardDraft) -> list[dict[str, Any]]:
        """isChildOf associations: to the parent (or the document at the top), then extras."""
        origin_id = self.item_ids[standard.identifier]
        origin = self.link(standard.code or standard.label or origin_id, origin_id)
        parents = [standard.parent_identifier, *standard.extra_parent_identifiers]
        found = []
        for parent in parents:
            if parent is None:
                destination = self.link(self.draft.title or self.document_id, self.document_id)
            else:
                parent_standard_id = self.item_ids[parent]
                destination = self.link(self.title_of(parent), parent_standard_id)
            identifier = str(
                uuid.uuid5(self.namespace, f"{CHILD_OF}:{origin_id}:{destination['identifier']}")
            )
            found.append(
                {
                    "identifier": identifier,
                    "uri": self.uri(identifier),
                    "associationType": CHILD_OF,
                    "sequenceNumber": standard.position,
                    "originNodeURI": origin,
                    "destinationNodeURI": destination,
                    "lastChangeDateTime": self.stamp,
                }
            )
        return found

    def title_of(self, identifier: str) -> str:
        """A readable title for a link to a standard."""
        standard = self.standards_by_id[identifier]
        return standard.code or standard.label or self.item_ids[identifier]

    def type_id(self, kind: str) -> str:
        """The identifier of a CFItemType definition."""
        return str(uuid.uuid5(self.namespace, f"CFItemType:{kind}"))

    def item_type(self, kind: str, level: int) -> dict[str, Any]:
        """A CFItemTypes definition entry."""
        title = _type_title(kind)
        identifier = self.type_id(kind)
        return {
            "identifier": identifier,
            "uri": self.uri(identifier),
            "title": title,
            "description": title,
            "hierarchyCode": str(level),
            "typeCode": title,
            "lastChangeDateTime": self.stamp,
        }


def _type_title(kind: str) -> str:
    """"cluster" -> "Cluster" (kinds are stored lower-case)."""
    return kind[:1].upper() + kind[1:]


def _as_uuid(identifier: str, namespace: uuid.UUID) -> str:
    """The identifier itself when it is already a UUID, otherwise a stable UUIDv5 of it."""
    try:
        parsed = uuid.UUID(identifier)
    except ValueError:
        return str(uuid.uuid5(namespace, identifier))
    if str(parsed) == identifier.lower():
        return str(parsed)
    return str(uuid.uuid5(namespace, identifier))
