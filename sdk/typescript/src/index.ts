// The TypeScript client of the Social posts API. Written by hand, on top of what `make sdk`
// generates: `schema.d.ts` (openapi-typescript) describes every path, its parameters, bodies and
// answers; openapi-fetch turns that into typed `GET`, `POST`, ... calls.
//
//   const api = createApiClient("http://127.0.0.1:8000");
//   const { data } = await api.POST("/api/v1/auth/login/json", { body: { username, password } });
//   const authed = createApiClient("http://127.0.0.1:8000", data!.access_token);
//   await authed.POST("/api/v1/posts", { body: { title: "Hello", content: "First post" } });
import createClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type ApiClient = Client<paths>;

/** A client of the gateway at `baseUrl`; with `accessToken`, every request carries it. */
export function createApiClient(baseUrl: string, accessToken?: string, options: ClientOptions = {}): ApiClient {
  const headers = new Headers(options.headers as HeadersInit | undefined);
  if (accessToken) {
    headers.set("Authorization", `Bearer ${accessToken}`);
  }
  return createClient<paths>({ ...options, baseUrl, headers });
}
