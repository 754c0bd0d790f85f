// GraphiQL with the Headers pane and the explorer plugin. Headers (where the API key goes) are
// not persisted in localStorage: a key left in the browser outlives the session.
"use strict";
(function () {
  const element = document.getElementById("graphiql");
  const url = new URL(element.dataset.graphqlUrl, window.location.href).toString();
  const parameters = new URLSearchParams(window.location.search);
  const fetcher = GraphiQL.createFetcher({ url: url });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function updateURL(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    history.replaceState(null, "", "?" + parameters.toString());
  }

  function Explorer() {
    const [query, setQuery] = React.useState(parameters.get("q") || undefined);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: query,
      variables: variables,
      onEditQuery: function (value) { setQuery(value); updateURL("q", value); },
      onEditVariables: function (value) { setVariables(value); updateURL("variables", value); },
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(element).render(React.createElement(Explorer));
})();
