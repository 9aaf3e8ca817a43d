"""A document the clients send again is parsed and validated once: both
caches are on, shared across requests, and bounded."""

from __future__ import annotations

from typing import Any, Protocol, cast

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from prescripcare.resources import Resources
from tests.conftest import GraphQLClient

QUERY = "query CacheProbe { __typename }"


class LruCached(Protocol):
    """What functools.lru_cache adds to the function it wraps."""

    def cache_info(self) -> Any: ...


async def test_a_repeated_document_is_parsed_and_validated_once(
    gql: GraphQLClient, resources: Resources
) -> None:
    size = resources.settings.graphql_document_cache_size
    parse = cast(LruCached, _get_parse_cache(size))
    validate = cast(LruCached, _get_validate_cache(size))
    await gql.data(QUERY)
    parsed, validated = parse.cache_info(), validate.cache_info()
    for _ in range(3):
        await gql.data(QUERY)
    assert parse.cache_info().hits == parsed.hits + 3
    assert parse.cache_info().misses == parsed.misses
    assert validate.cache_info().hits == validated.hits + 3
    assert (parse.cache_info().maxsize, validate.cache_info().maxsize) == (size, size)
