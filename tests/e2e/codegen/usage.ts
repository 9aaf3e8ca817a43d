// What a React app writes against the generated types: if the schema or the
// contract documents drift so that these no longer type-check, the apps'
// builds would break too.
import type {
  LoginMutation,
  LoginMutationVariables,
  MeQuery,
  Role,
} from "./generated";

export const variables: LoginMutationVariables = {
  email: "dr.osei@demo.prescripcare.example",
  password: "demo-clinician-passphrase",
};

export function bearer(result: LoginMutation): string | null {
  // The payload is nullable: a top-level error (e.g. RATE_LIMITED) nulls it.
  if (!result.login) return null;
  const { accessToken, errors } = result.login;
  if (errors.length > 0) {
    return errors.map((e) => `${e.code}: ${e.message}`).join("; ");
  }
  return accessToken ? `Bearer ${accessToken}` : null;
}

export function role(result: MeQuery): Role | undefined {
  return result.me?.role;
}
