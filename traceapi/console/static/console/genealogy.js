// Draws a lot's genealogy with Cytoscape.js from /console/lots/<id>/genealogy.json: the nodes in
// the columns the server placed them in (depth), pan and zoom, a click opens a node's page.
"use strict";
(function () {
  const container = document.getElementById("genealogy");
  const title = document.getElementById("genealogy-title");
  const note = document.getElementById("genealogy-note");
  if (!container) {
    return;
  }
  const started = performance.now();

  function draw(data) {
    const cy = cytoscape({
      container: container,
      elements: data.elements,
      layout: { name: "preset", fit: true, padding: 24 },
      minZoom: 0.05,
      maxZoom: 3,
      style: [
        {
          selector: "node",
          style: {
            shape: "round-rectangle",
            width: 150,
            height: 44,
            "background-color": "data(fill)",
            "border-width": 1,
            "border-color": "#56606c",
            label: "data(label)",
            "font-size": 11,
            "text-wrap": "wrap",
            "text-max-width": 140,
            "text-valign": "center",
            "text-halign": "center",
            color: "#1d2430",
          },
        },
        { selector: "node[?seed]", style: { "border-width": 3, "border-color": "#17324f" } },
        {
          selector: "node[?held]",
          style: { "border-width": 4, "border-color": "#b3261e", "border-style": "double" },
        },
        {
          selector: "edge",
          style: {
            width: 1.5,
            "line-color": "#6b7785",
            "target-arrow-color": "#6b7785",
            "target-arrow-shape": "triangle",
            "curve-style": "bezier",
            "arrow-scale": 0.8,
          },
        },
        { selector: 'edge[style = "via"]', style: { "line-style": "dotted" } },
        {
          selector: 'edge[style = "onward"]',
          style: { "line-style": "dashed", "line-color": "#c0392b", "target-arrow-color": "#c0392b", width: 2 },
        },
        {
          selector: 'edge[style = "runs-on"]',
          style: { "line-color": "#9aa4b1", "target-arrow-shape": "none", width: 1 },
        },
        { selector: "node:selected", style: { "overlay-color": "#1f5fa8", "overlay-opacity": 0.2 } },
      ],
    });
    // Tall answers (hundreds of shipments in a column) would fit as a thin strip: fit the
    // width instead, top first, and let the reader pan down.
    const box = cy.elements().boundingBox();
    const widthZoom = Math.min(1.2, (container.clientWidth - 48) / Math.max(box.w, 1));
    if (widthZoom > cy.zoom()) {
      cy.zoom(widthZoom);
      cy.pan({ x: 24 - box.x1 * widthZoom, y: 24 - box.y1 * widthZoom });
    }
    cy.on("tap", "node", function (event) {
      window.location.assign(event.target.data("url"));
    });
    cy.on("mouseover", "node", function (event) {
      container.title = event.target.data("tooltip") || event.target.id();
    });
    window.traceapiGenealogy = cy;
    const ms = Math.round(performance.now() - started);
    container.dataset.drawnMs = String(ms);
    container.dataset.nodes = String(cy.nodes().length);
    title.textContent = data.title + " · " + data.subtitle;
    if (data.note) {
      note.textContent = data.note;
    }
  }

  fetch(container.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error((body.error && body.error.message) || "the picture could not be drawn");
        }
        return body;
      });
    })
    .then(draw)
    .catch(function (error) {
      title.textContent = error.message;
      title.className = "error";
    });
})();
