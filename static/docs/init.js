// Starts Swagger UI on campaignd's own OpenAPI document. A served file, not an inline script, so
// that the page's Content-Security-Policy allows scripts from campaignd only.
"use strict";

window.addEventListener("load", function () {
  // The page is served at /docs: the document is /campaign/openapi.json beside it (also behind a
  // reverse proxy that adds a path prefix).
  window.ui = SwaggerUIBundle({
    url: new URL("campaign/openapi.json", document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayRequestDuration: true,
    // Nothing from other hosts: no validator badge (it would load an image from swagger.io).
    validatorUrl: null,
    // The key given to "Authorize" stays in this page's memory only, never in localStorage.
    persistAuthorization: false,
  });
});
