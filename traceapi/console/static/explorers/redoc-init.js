// ReDoc on our OpenAPI description, with the system's fonts (no web fonts from elsewhere).
"use strict";
(function () {
  const element = document.getElementById("redoc");
  Redoc.init(element.dataset.openapiUrl, { hideDownloadButton: false }, element);
})();
