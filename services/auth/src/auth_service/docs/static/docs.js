// The gateway's one docs page: fetch every service's OpenAPI document through the gateway, merge
// them into one, and start Swagger UI on the result. Loaded as a file (the page's CSP forbids
// inline scripts); the list of documents comes from data attributes that auth writes into the page.
//
// Merging: paths are disjoint by design (/api/v1/<service>/...); a component that two services
// define differently is renamed "<service>.<name>" in the second service's document and its $refs
// are rewritten, identical ones are kept once. Operations without a tag get the service's name.
//
// A document that does not load (a service down, or 401/403 in staging, where documents need an
// admin) is named in the page's description. When a document was refused, signing in with
// "Authorize" loads the documents again with that access token.
(function () {
  "use strict";

  const root = document.getElementById("swagger-ui");
  const specs = JSON.parse(root.dataset.specs);
  const tokenUrl = root.dataset.tokenUrl;
  const title = root.dataset.title;
  const COMPONENT_KINDS = [
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
  ];
  const SIGN_IN_SCHEME = {
    OAuth2PasswordBearer: { type: "oauth2", flows: { password: { tokenUrl: tokenUrl, scopes: {} } } },
  };

  let ui = null;
  let accessToken = null;
  let refused = false;

  async function fetchSpec(spec) {
    const headers = { Accept: "application/json" };
    if (accessToken) {
      headers.Authorization = "Bearer " + accessToken;
    }
    try {
      const response = await fetch(spec.url, { headers: headers, credentials: "omit", cache: "no-store" });
      if (!response.ok) {
        return { name: spec.name, url: spec.url, status: response.status };
      }
      return { name: spec.name, url: spec.url, doc: await response.json() };
    } catch (error) {
      return { name: spec.name, url: spec.url, status: 0 };
    }
  }

  function rewriteRefs(node, renamed) {
    if (Array.isArray(node)) {
      node.forEach(function (item) {
        rewriteRefs(item, renamed);
      });
    } else if (node && typeof node === "object") {
      for (const key of Object.keys(node)) {
        const value = node[key];
        if (key === "$ref" && typeof value === "string" && renamed.has(value)) {
          node[key] = renamed.get(value);
        } else {
          rewriteRefs(value, renamed);
        }
      }
    }
  }

  function mergeComponents(merged, doc, service) {
    const renamed = new Map();
    const components = doc.components || {};
    for (const kind of COMPONENT_KINDS) {
      for (const name of Object.keys(components[kind] || {})) {
        const existing = merged.components[kind] && merged.components[kind][name];
        if (existing && JSON.stringify(existing) !== JSON.stringify(components[kind][name])) {
          const alias = service + "." + name;
          renamed.set("#/components/" + kind + "/" + name, "#/components/" + kind + "/" + alias);
        }
      }
    }
    if (renamed.size) {
      rewriteRefs(doc, renamed);
    }
    for (const kind of COMPONENT_KINDS) {
      for (const [name, value] of Object.entries(components[kind] || {})) {
        const ref = "#/components/" + kind + "/" + name;
        const target = renamed.has(ref) ? renamed.get(ref).split("/").pop() : name;
        merged.components[kind] = merged.components[kind] || {};
        merged.components[kind][target] = value;
      }
    }
  }

  function mergePaths(merged, doc, service) {
    for (const [path, item] of Object.entries(doc.paths || {})) {
      if (merged.paths[path]) {
        console.warn("docs: " + path + " of " + service + " is already described; kept the first");
        continue;
      }
      for (const operation of Object.values(item)) {
        if (operation && typeof operation === "object" && "responses" in operation) {
          operation.tags = operation.tags && operation.tags.length ? operation.tags : [service];
        }
      }
      merged.paths[path] = item;
    }
    for (const tag of doc.tags || []) {
      if (!merged.tags.some((known) => known.name === tag.name)) {
        merged.tags.push(tag);
      }
    }
  }

  function describe(results) {
    const lines = [
      "Every service's API, reached through this gateway. Sign in with **Authorize** " +
        "(OAuth2 password flow against `" + tokenUrl + "`), then use **Try it out** on any route.",
      "",
      "Errors are RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status`, " +
        "`detail`, `instance`). Clients may send `X-Client-Version` (semver); a version below the " +
        "supported minimum is answered `426 Upgrade Required`, a malformed one `400`.",
      "",
      "| service | OpenAPI document | state |",
      "| --- | --- | --- |",
    ];
    for (const result of results) {
      let state = "loaded";
      if (!result.doc) {
        state = result.status === 401 || result.status === 403
          ? "needs an admin: sign in with **Authorize** (HTTP " + result.status + ")"
          : result.status ? "unavailable (HTTP " + result.status + ")" : "unreachable";
      }
      lines.push("| " + result.name + " | `" + result.url + "` | " + state + " |");
    }
    return lines.join("\n");
  }

  function merge(results) {
    const merged = {
      openapi: "3.1.0",
      info: { title: title, version: "v1", description: describe(results) },
      paths: {},
      components: {},
      tags: [],
    };
    for (const result of results) {
      if (!result.doc) {
        continue;
      }
      merged.openapi = result.doc.openapi || merged.openapi;
      mergeComponents(merged, result.doc, result.name);
      mergePaths(merged, result.doc, result.name);
    }
    const schemes = merged.components.securitySchemes || {};
    if (!Object.keys(schemes).length) {
      // No document loaded (e.g. staging before an admin signs in): still offer Authorize.
      merged.components.securitySchemes = SIGN_IN_SCHEME;
      merged.security = [{ OAuth2PasswordBearer: [] }];
    }
    return merged;
  }

  // Swagger UI plugin: remember the token "Authorize" obtained, and load refused documents again.
  function reloadOnSignIn() {
    return {
      statePlugins: {
        auth: {
          wrapActions: {
            authorizeOauth2: function (original) {
              return function (payload) {
                const result = original(payload);
                const token = payload && payload.token && payload.token.access_token;
                if (token) {
                  accessToken = token;
                  if (refused) {
                    load();
                  }
                }
                return result;
              };
            },
            logout: function (original) {
              return function (names) {
                accessToken = null;
                return original(names);
              };
            },
          },
        },
      },
    };
  }

  async function load() {
    const results = await Promise.all(specs.map(fetchSpec));
    refused = results.some((result) => result.status === 401 || result.status === 403);
    const merged = merge(results);
    if (ui) {
      ui.specActions.updateSpec(JSON.stringify(merged));
      return;
    }
    ui = window.SwaggerUIBundle({
      spec: merged,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      displayRequestDuration: true,
      filter: true,
      persistAuthorization: false,
      presets: [window.SwaggerUIBundle.presets.apis],
      plugins: [reloadOnSignIn],
      layout: "BaseLayout",
    });
    window.ui = ui;
    root.dataset.ready = "true";
  }

  load();
})();
