// The gateway's Swagger UI page: fetch every service's OpenAPI document through the gateway, merge
// them into one (merge.js, shared with the ReDoc page at /redoc), and start Swagger UI on the result.
// Loaded as a file (the page's CSP forbids inline scripts); the list of documents comes from data
// attributes that auth writes into the page.
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
  const SIGN_IN_SCHEME = {
    OAuth2PasswordBearer: { type: "oauth2", flows: { password: { tokenUrl: tokenUrl, scopes: {} } } },
  };

  let ui = null;
  let accessToken = null;
  let refused = false;

  function describe(results) {
    const lines = [
      "Every service's API, reached through this gateway. Sign in with **Authorize** " +
        "(OAuth2 password flow against `" + tokenUrl + "`), then use **Try it out** on any route.",
      "",
      "Errors are RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status`, " +
        "`detail`, `instance`). Clients may send `X-Client-Version` (semver); a version below the " +
        "supported minimum is answered `426 Upgrade Required`, a malformed one `400`.",
      "",
      ...window.OpenApiMerge.sourcesTable(results, "sign in with **Authorize**"),
    ];
    return lines.join("\n");
  }

  function merge(results) {
    const info = { title: title, version: "v1", description: describe(results) };
    const merged = window.OpenApiMerge.merge(results, info);
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
    const results = await window.OpenApiMerge.fetchAll(specs, accessToken);
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
