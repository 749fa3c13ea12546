// What both docs pages (Swagger UI at /docs, ReDoc at /redoc) do first: fetch every service's OpenAPI
// document through the gateway and merge them into one. Loaded as a file before the page's own script
// (the pages' CSP forbids inline scripts); it defines window.OpenApiMerge.
//
// Merging: paths are disjoint by design (/api/v1/<service>/...); a component that two services
// define differently is renamed "<service>.<name>" in the second service's document and its $refs
// are rewritten, identical ones are kept once. Operations without a tag get the service's name.
// `make sdk` merges the same way for the generated clients (deploy/sdk.py).
(function () {
  "use strict";

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

  // One document: {name, url, doc} when it loaded, {name, url, status} when not (0: unreachable).
  async function fetchSpec(spec, accessToken) {
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

  function fetchAll(specs, accessToken) {
    return Promise.all(specs.map((spec) => fetchSpec(spec, accessToken)));
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

  // One document of every loaded one, under `info` ({title, version, description}).
  function merge(results, info) {
    const merged = { openapi: "3.1.0", info: info, paths: {}, components: {}, tags: [] };
    for (const result of results) {
      if (!result.doc) {
        continue;
      }
      merged.openapi = result.doc.openapi || merged.openapi;
      mergeComponents(merged, result.doc, result.name);
      mergePaths(merged, result.doc, result.name);
    }
    return merged;
  }

  // The state of each document, as markdown table rows for the page's description; `signIn` says
  // how an admin signs in on this page (staging refuses the documents to anyone else).
  function sourcesTable(results, signIn) {
    const lines = ["| service | OpenAPI document | state |", "| --- | --- | --- |"];
    for (const result of results) {
      let state = "loaded";
      if (!result.doc) {
        state = result.status === 401 || result.status === 403
          ? "needs an admin: " + signIn + " (HTTP " + result.status + ")"
          : result.status ? "unavailable (HTTP " + result.status + ")" : "unreachable";
      }
      lines.push("| " + result.name + " | `" + result.url + "` | " + state + " |");
    }
    return lines;
  }

  window.OpenApiMerge = { fetchAll: fetchAll, merge: merge, sourcesTable: sourcesTable };
})();
