// Must NOT type-check: proves the check can fail (a field the schema lacks,
// a variable of the wrong type).
import type { LoginMutation, LoginMutationVariables } from "./generated";

export const variables: LoginMutationVariables = { email: 42, password: "x" };

export function token(result: LoginMutation): string {
  return result.login!.sessionCookie;
}
