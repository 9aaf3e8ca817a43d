"""Trusted documents: operations known by the SHA-256 of their text.

A manifest maps each hash to the exact document a client sends: one
operation and the fragments it uses, printed by graphql-core (the same
printer as graphql-js, so Apollo's persisted-query link, which hashes
`print(document)`, computes the same hash). Clients may send the hash alone
(`extensions.persistedQuery.sha256Hash`, Apollo's shape). With
TRUSTED_DOCUMENTS_ONLY the server runs nothing else: an attacker can no
longer write queries, only replay the application's own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from prescripcare.errors import TopLevelCode

# The contract's operations.graphql, built into a manifest shipped with the package.
CONTRACT_MANIFEST = "trusted_documents.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
APOLLO_FORMAT = "apollo-persisted-query-manifest"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)


def _used_fragments(
    root: Node, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments an operation uses, directly or through other fragments,
    in the order they are first used."""
    used: dict[str, FragmentDefinitionNode] = {}
    pending = [root]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(0), spreads)
        for name in spreads.names:
            if name not in used and name in fragments:
                used[name] = fragments[name]
                pending.append(fragments[name])
    return list(used.values())


def split_documents(source: str, max_tokens: int | None = None) -> dict[str, str]:
    """Each named or anonymous operation of a .graphql source as the document
    a client sends for it, keyed by its SHA-256."""
    document = parse(source, no_location=True, max_tokens=max_tokens)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    out: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            single = DocumentNode(definitions=(definition, *_used_fragments(definition, fragments)))
            text = print_ast(single)
            out[sha256_hex(text)] = text
    return out


class ManifestError(ValueError):
    pass


def read_manifest(content: bytes | str, origin: str) -> dict[str, str]:
    """A manifest as {sha256: document} (GraphQL Codegen's persisted
    documents) or Apollo's persisted-query manifest; every hash is checked
    against its document, so a manifest cannot smuggle in another operation."""
    try:
        data: Any = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{origin}: not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        pairs: Iterable[tuple[object, object]] = (
            (op.get("id"), op.get("body")) for op in data.get("operations", [])
        )
    elif isinstance(data, dict):
        pairs = data.items()
    else:
        raise ManifestError(f"{origin}: expected a JSON object")
    documents: dict[str, str] = {}
    for key, body in pairs:
        if not isinstance(key, str) or not isinstance(body, str):
            raise ManifestError(f"{origin}: every entry needs a hash and a document")
        if sha256_hex(body) != key.lower():
            raise ManifestError(f"{origin}: {key} is not the SHA-256 of its document")
        documents[key.lower()] = body
    return documents


def write_manifest(documents: Mapping[str, str]) -> bytes:
    return orjson.dumps(dict(sorted(documents.items())), option=orjson.OPT_INDENT_2) + b"\n"


def contract_manifest() -> dict[str, str]:
    content = resources.files("prescripcare.graphql").joinpath(CONTRACT_MANIFEST).read_bytes()
    return read_manifest(content, CONTRACT_MANIFEST)


def contract_operation(name: str) -> str:
    """The clients' own document for an operation, from the shipped contract
    manifest: what the benchmarks load and the statement-count pins run."""
    for document in contract_manifest().values():
        for definition in parse(document).definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                definition.name is not None and definition.name.value == name
            ):
                return document
    raise KeyError(f"no operation {name} in the contract manifest")


def load_manifests(paths: str) -> dict[str, str]:
    """The comma-separated manifest files of TRUSTED_DOCUMENTS_FILES, or the
    shipped contract manifest when there are none."""
    files = [p.strip() for p in paths.split(",") if p.strip()]
    if not files:
        return contract_manifest()
    documents: dict[str, str] = {}
    for file in files:
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise ManifestError(f"{file}: {exc.strerror}") from None
        documents.update(read_manifest(content, file))
    return documents


@dataclass(frozen=True, slots=True)
class Refusal:
    code: TopLevelCode
    message: str

    def error(self) -> GraphQLError:
        return GraphQLError(self.message, extensions={"code": self.code.value})


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str], *, only: bool, max_tokens: int) -> None:
        self.documents = dict(documents)
        self.only = only
        self.max_tokens = max_tokens

    def allows(self, query: str) -> bool:
        """The text as sent is in the manifest, or each of its operations is
        once printed canonically (the same document with other whitespace)."""
        if sha256_hex(query) in self.documents:
            return True
        try:
            hashes = split_documents(query, self.max_tokens)
        except GraphQLError:
            return False
        return bool(hashes) and all(h in self.documents for h in hashes)

    def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None
    ) -> str | Refusal | None:
        """The document to run for a request, or why it may not run."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is not None:
            digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
            version = persisted.get("version") if isinstance(persisted, dict) else None
            if version != 1 or not isinstance(digest, str) or not _SHA256.match(digest.lower()):
                return Refusal(
                    TopLevelCode.BAD_USER_INPUT,
                    "persistedQuery needs version 1 and a sha256Hash of 64 hex digits.",
                )
            digest = digest.lower()
            if query is None:
                known = self.documents.get(digest)
                if known is None:
                    # Apollo's link recognises this message and resends the text.
                    return Refusal(TopLevelCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
                return known
            if sha256_hex(query) != digest:
                return Refusal(
                    TopLevelCode.PERSISTED_QUERY_HASH_MISMATCH,
                    "persistedQuery.sha256Hash is not the SHA-256 of the query sent.",
                )
        if self.only and query is not None and not self.allows(query):
            return Refusal(
                TopLevelCode.PERSISTED_QUERY_NOT_FOUND,
                "This server runs only trusted documents and the operation is not one of them.",
            )
        return query
