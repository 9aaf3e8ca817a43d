import httpx

from tests.conftest import GraphQLClient


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.headers["x-request-id"]


async def test_me_requires_token(gql: GraphQLClient) -> None:
    body = await gql.raw("{ me { id } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
