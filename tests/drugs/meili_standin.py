"""A local HTTP server that answers the Meilisearch API calls PrescripCare
makes, as Meilisearch does (no Meilisearch server can be installed here).

Indexes, settings, document batches and tasks follow Meilisearch's v1 API
shapes; search follows its documented defaults: every query word must match,
the last one as a prefix, with one typo allowed from 5 letters and two from 9;
results ordered by the ranking rules' typo count, then exactness, then the
index's custom `attr:asc` rules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standin import LocalServer


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance, stopping early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _allowed_typos(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


def _word_typos(query_word: str, term_words: list[str], prefix: bool) -> int | None:
    allowed = _allowed_typos(query_word)
    best: int | None = None
    for word in term_words:
        candidates = [word]
        if prefix:
            candidates += [word[:n] for n in range(len(query_word) - allowed, len(word)) if n > 0]
        for candidate in candidates:
            typos = _distance(query_word, candidate, allowed)
            if typos <= allowed and (best is None or typos < best):
                best = typos
    return best


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
        self.app = Starlette(
            routes=[
                Route("/indexes", self.create_index, methods=["POST"]),
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
        started = time.perf_counter()
        words = str(body.get("q") or "").lower().split()
        limit = int(body.get("limit", 20))
        custom = [
            rule.split(":")[0]
            for rule in index.settings.get("rankingRules", [])
            if rule.endswith(":asc")
        ]
        scored = []
        for document in index.documents.values():
            term_words = str(document.get("term", "")).lower().split()
            typos = 0
            for position, word in enumerate(words):
                found = _word_typos(word, term_words, prefix=position == len(words) - 1)
                if found is None:
                    break
                typos += found
            else:
                if not words:
                    continue
                exact = 0 if " ".join(words) == " ".join(term_words) else 1
                scored.append(((typos, exact, *(document.get(a, 0) for a in custom)), document))
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
