// The gateway's ReDoc page (/redoc): the same merged document as the Swagger UI page at /docs
// (merge.js fetches and merges every service's OpenAPI document through the gateway), rendered by
// the vendored ReDoc. Loaded as a file (the page's CSP forbids inline scripts); the list of documents
// comes from data attributes that auth writes into the page.
//
// ReDoc only reads: it has no sign-in. In staging, where the documents need an admin, the page
// names the refused documents and points to /docs, whose "Authorize" signs in.
(function () {
  "use strict";

  const root = document.getElementById("redoc");
  const specs = JSON.parse(root.dataset.specs);
  const title = root.dataset.title;
  const REDOCLY_LOGO = "https://cdn.redoc.ly/";

  // ReDoc 2 shows Redocly's logo from Redocly's CDN at the foot of its menu. This page loads nothing
  // from elsewhere (img-src 'self'), so that one image is given an empty address instead: it fails
  // without a request (and without a CSP violation), and ReDoc then leaves it out. React sets an
  // image's address twice, as an attribute and then as the `src` property: both are covered.
  function withoutRedoclyLogo(value) {
    return String(value).startsWith(REDOCLY_LOGO) ? "" : value;
  }
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const image = this instanceof HTMLImageElement && name === "src";
    return setAttribute.call(this, name, image ? withoutRedoclyLogo(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, withoutRedoclyLogo(value));
    },
  });

  function describe(results) {
    return [
      "Every service's API, reached through this gateway (the same document as [/docs](/docs), " +
        "where **Try it out** calls it). Operation ids are `<tag>-<name>`, the names of the " +
        "generated clients' functions.",
      "",
      ...window.OpenApiMerge.sourcesTable(results, "sign in on [/docs](/docs) with **Authorize**"),
    ].join("\n");
  }

  async function load() {
    const results = await window.OpenApiMerge.fetchAll(specs, null);
    const merged = window.OpenApiMerge.merge(results, {
      title: title,
      version: "v1",
      description: describe(results),
    });
    // disableSearch: ReDoc's search runs in a Worker made from a blob: URL, which the CSP forbids.
    const options = { disableSearch: true, hideDownloadButton: true, expandResponses: "200,201" };
    window.Redoc.init(merged, options, root, function (error) {
      root.dataset.ready = error ? "error" : "true";
    });
  }

  load();
})();
