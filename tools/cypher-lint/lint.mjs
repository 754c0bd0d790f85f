// Lints Cypher queries with Neo4j's own parser and semantic analysis, many queries per run.
//
// stdin:  {"versions": ["CYPHER 5", ...],
//          "schema": {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...]},
//          "queries": [{"id": "...", "text": "...", "parameters": ["name", ...]}]}
// stdout: {"package": {"name", "version"}, "builtins": {version: {"functions", "procedures"}},
//          "results": [{"id", "version", "parameters": [...], "findings": [...]}]}
// One process lints everything: loading the semantic analysis costs far more than a query.
import { readFileSync } from 'node:fs';

import {
  lintCypherQuery,
  parseParameters,
  testData,
} from '@neo4j-cypher/language-support';

const PACKAGE = '@neo4j-cypher/language-support';
// Neo4j's own procedure namespaces; anything else (apoc, gds, a custom jar) is a plugin.
const BUILT_IN_PROCEDURE_NAMESPACES = ['db.', 'dbms.', 'tx.', 'cdc.'];
const SEVERITIES = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

// The package ships one catalogue of a Neo4j server's SHOW FUNCTIONS / SHOW PROCEDURES (with
// APOC and GDS installed); keeping only the built-ins makes any plugin call a finding.
function builtIns(version) {
  const functions = Object.fromEntries(
    Object.entries(testData.mockSchema.functions[version]).filter(([, fn]) => fn.isBuiltIn),
  );
  const procedures = Object.fromEntries(
    Object.entries(testData.mockSchema.procedures[version]).filter(([name]) =>
      BUILT_IN_PROCEDURE_NAMESPACES.some((namespace) => name.startsWith(namespace)),
    ),
  );
  return { functions, procedures };
}

// The package does not export its package.json; read the copy npm installed beside this script.
function installedVersion() {
  const manifest = new URL(`./node_modules/${PACKAGE}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}

function lint(request) {
  const catalogue = Object.fromEntries(request.versions.map((v) => [v, builtIns(v)]));
  const results = [];
  for (const version of request.versions) {
    const { functions, procedures } = catalogue[version];
    for (const query of request.queries) {
      const dbSchema = {
        ...request.schema,
        defaultLanguage: version,
        functions: { [version]: functions },
        procedures: { [version]: procedures },
        // The header's parameters only, so a parameter it does not declare is an error.
        parameters: Object.fromEntries(query.parameters.map((name) => [name, null])),
      };
      // The driver runs plain Cypher: a line starting with ':' is not a console command.
      const options = { consoleCommandsEnabled: false };
      const { diagnostics } = lintCypherQuery(query.text, dbSchema, options);
      results.push({
        id: query.id,
        version,
        parameters: parseParameters(query.text, false),
        findings: diagnostics.map((d) => ({
          severity: SEVERITIES[d.severity] ?? String(d.severity),
          message: d.message,
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
        })),
      });
    }
  }
  const builtins = Object.fromEntries(
    Object.entries(catalogue).map(([v, c]) => [
      v,
      { functions: Object.keys(c.functions).length, procedures: Object.keys(c.procedures).length },
    ]),
  );
  return { package: { name: PACKAGE, version: installedVersion() }, builtins, results };
}

const request = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
process.stdout.write(JSON.stringify(lint(request)));
