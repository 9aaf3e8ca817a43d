"""A local HTTP server that answers the Meilisearch API calls PrescripCare
makes, as Meilisearch does (no Meilisearch server can be installed here).

Indexes, settings, document batches and tasks follow Meilisearch's v1 API
shapes; search follows its documented defaults: every query word must match,
the last one as a prefix, with one typo allowed from 5 letters and two from 9
(a swapped pair of letters is one typo), none on the attributes of
`typoTolerance.disableOnAttributes`; a query that is a synonym is searched
as its synonyms too; results ordered by the ranking rules' typo count, then
the matched attribute's place in `searchableAttributes`, then exactness,
then the index's custom `attr:asc` / `attr:desc` rules.

`delay` (seconds) makes every search that slow, to test client timeouts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rapidfuzz.distance import OSA
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standin import LocalServer


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), stopping
    early past `limit`."""
    return OSA.distance(a, b, score_cutoff=limit)


def _allowed_typos(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


def _word_typos(
    query_word: str, term_words: list[str], prefix: bool, typos: bool = True
) -> int | None:
    allowed = _allowed_typos(query_word) if typos else 0
    best: int | None = None
    for word in term_words:
        candidates = [word]
        if prefix:
            candidates += [word[:n] for n in range(len(query_word) - allowed, len(word)) if n > 0]
        for candidate in candidates:
            distance = _distance(query_word, candidate, allowed)
            if distance <= allowed and (best is None or distance < best):
                best = distance
    return best


def _score(query: str, value: object, typos_allowed: bool) -> tuple[int, int] | None:
    """(typos, 0 when the whole value is the query else 1), or None when a
    query word does not match."""
    words = query.split()
    if not words or not isinstance(value, str):
        return None
    term_words = value.lower().split()
    typos = 0
    for position, word in enumerate(words):
        found = _word_typos(word, term_words, position == len(words) - 1, typos_allowed)
        if found is None:
            return None
        typos += found
    return typos, 0 if words == term_words else 1


def _not_found(uid: str) -> dict[str, Any]:
    return {
        "message": f"Index `{uid}` not found.",
        "code": "index_not_found",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#index_not_found",
    }


@dataclass
class _Index:
    primary_key: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)


class MeiliStandIn:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.indexes: dict[str, _Index] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.delay = 0.0
        self.app = Starlette(
            routes=[
                Route("/indexes", self.create_index, methods=["POST"]),
                Route("/indexes/{uid}", self.delete_index, methods=["DELETE"]),
                Route("/swap-indexes", self.swap_indexes, methods=["POST"]),
                Route("/indexes/{uid}/settings", self.update_settings, methods=["PATCH"]),
                Route("/indexes/{uid}/documents", self.documents, methods=["POST", "DELETE"]),
                Route("/indexes/{uid}/search", self.search, methods=["POST"]),
                Route("/tasks/{task_uid:int}", self.task, methods=["GET"]),
                Route("/health", self.health, methods=["GET"]),
            ]
        )
        self._server = LocalServer(self.app)
        self.url = ""

    # ---------------------------------------------------------- plumbing --
    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def _authorised(self, request: Request) -> JSONResponse | None:
        self.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                {
                    "message": "The provided API key is invalid.",
                    "code": "invalid_api_key",
                    "type": "auth",
                    "link": "https://docs.meilisearch.com/errors#invalid_api_key",
                },
                status_code=403,
            )
        return None

    def _enqueue(self, uid: str, kind: str, error: dict[str, Any] | None = None) -> JSONResponse:
        task_uid = len(self.tasks)
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self.tasks[task_uid] = {
            "uid": task_uid,
            "indexUid": uid,
            "status": "failed" if error else "succeeded",
            "type": kind,
            "details": {},
            "error": error,
            "canceledBy": None,
            "duration": "PT0.001S",
            "enqueuedAt": now,
            "startedAt": now,
            "finishedAt": now,
        }
        return JSONResponse(
            {
                "taskUid": task_uid,
                "indexUid": uid,
                "status": "enqueued",
                "type": kind,
                "enqueuedAt": now,
            },
            status_code=202,
        )

    # -------------------------------------------------------------- API --
    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "available"})

    async def create_index(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        body = await request.json()
        uid = body["uid"]
        if uid in self.indexes:
            return self._enqueue(
                uid,
                "indexCreation",
                {
                    "message": f"Index `{uid}` already exists.",
                    "code": "index_already_exists",
                    "type": "invalid_request",
                    "link": "",
                },
            )
        self.indexes[uid] = _Index(primary_key=body.get("primaryKey"))
        return self._enqueue(uid, "indexCreation")

    async def delete_index(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        uid = request.path_params["uid"]
        if self.indexes.pop(uid, None) is None:
            return self._enqueue(uid, "indexDeletion", _not_found(uid))
        return self._enqueue(uid, "indexDeletion")

    async def swap_indexes(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        for pair in await request.json():
            a, b = pair["indexes"]
            if a not in self.indexes or b not in self.indexes:
                return self._enqueue("", "indexSwap", _not_found(a if a not in self.indexes else b))
            self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
        return self._enqueue("", "indexSwap")

    async def update_settings(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        uid = request.path_params["uid"]
        self.indexes.setdefault(uid, _Index()).settings.update(await request.json())
        return self._enqueue(uid, "settingsUpdate")

    async def documents(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        uid = request.path_params["uid"]
        index = self.indexes.setdefault(uid, _Index())
        if request.method == "DELETE":
            index.documents.clear()
            return self._enqueue(uid, "documentDeletion")
        key = request.query_params.get("primaryKey") or index.primary_key or "id"
        for document in await request.json():
            index.documents[str(document[key])] = document
        return self._enqueue(uid, "documentAdditionOrUpdate")

    async def task(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        found = self.tasks.get(request.path_params["task_uid"])
        if found is None:
            return JSONResponse(
                {
                    "message": "Task not found.",
                    "code": "task_not_found",
                    "type": "invalid_request",
                    "link": "",
                },
                status_code=404,
            )
        return JSONResponse(found)

    async def search(self, request: Request) -> JSONResponse:
        if denied := self._authorised(request):
            return denied
        uid = request.path_params["uid"]
        index = self.indexes.get(uid)
        if index is None:
            return JSONResponse(
                {
                    "message": f"Index `{uid}` not found.",
                    "code": "index_not_found",
                    "type": "invalid_request",
                    "link": "",
                },
                status_code=404,
            )
        body = await request.json()
        if self.delay:
            await asyncio.sleep(self.delay)
        started = time.perf_counter()
        query = " ".join(str(body.get("q") or "").lower().split())
        limit = int(body.get("limit", 20))
        settings = index.settings
        attributes = settings.get("searchableAttributes") or ["term"]
        no_typos = set(settings.get("typoTolerance", {}).get("disableOnAttributes", []))
        custom = [
            (rule.split(":")[0], rule.endswith(":desc"))
            for rule in settings.get("rankingRules", [])
            if rule.endswith((":asc", ":desc"))
        ]
        phrasings = [query, *settings.get("synonyms", {}).get(query, [])]
        scored = []
        for document in index.documents.values():
            best = None
            for phrasing in phrasings:
                for place, attribute in enumerate(attributes):
                    found = _score(phrasing, document.get(attribute), attribute not in no_typos)
                    if found is not None:
                        typos, exact = found
                        candidate = (typos, place, exact)
                        best = candidate if best is None or candidate < best else best
            if best is not None:
                ranks = tuple(
                    -float(document.get(a, 0)) if desc else float(document.get(a, 0))
                    for a, desc in custom
                )
                scored.append(((*best, *ranks), document))
        scored.sort(key=lambda pair: pair[0])
        keep = body.get("attributesToRetrieve")
        hits = [
            {k: v for k, v in d.items() if keep is None or k in keep} for _, d in scored[:limit]
        ]
        return JSONResponse(
            {
                "hits": hits,
                "query": body.get("q"),
                "limit": limit,
                "offset": 0,
                "estimatedTotalHits": len(scored),
                "processingTimeMs": int((time.perf_counter() - started) * 1000),
            }
        )
