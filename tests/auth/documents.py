"""The contract's auth documents, verbatim."""

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken
    refreshToken
    user { id email role patient { id } }
    errors { code field message }
  }
}"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken
    refreshToken
    user { id email role }
    errors { code field message }
  }
}"""

REFRESH = """
mutation RefreshToken($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken
    refreshToken
    errors { code field message }
  }
}"""

LOGOUT = """
mutation Logout($refreshToken: String!) {
  logout(refreshToken: $refreshToken) {
    ok
    errors { code field message }
  }
}"""

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id email role }
    errors { code field message }
  }
}"""

ME = """
query Me {
  me { id email role patient { id name } }
}"""
