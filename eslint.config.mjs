// One linter for the repo: typescript-eslint, Nx module boundaries, Prettier owns layout.
import js from "@eslint/js"
import nx from "@nx/eslint-plugin"
import prettier from "eslint-config-prettier"
import tseslint from "typescript-eslint"

/**
 * The intended import graph, from the tags in each project's package.json (`nx.tags`):
 * apps → libs → domain. Product code (`src/`) never imports a tool, tests may; nothing
 * imports an app; `domain` imports no other project and `contract` no service library; the
 * two clients (`portal-ldap`, `dfo-api`) do not know each other, and only `writeback`
 * composes them. `events` (the broker's messages) and `lease` (one full run across
 * processes) know no service library: the apps hand the event consumer its run. `edge`
 * (configuration sources, the settings declaration, logs, exporters) is a kit at the bottom
 * of the graph: it imports no other project, in its code or its tests; the service
 * libraries import it to declare their settings, `domain` does not.
 * `tools/scripts/test/ModuleBoundaries.test.ts` keeps a wrong import failing.
 */
const services = ["scope:ldap", "scope:dfo", "scope:writeback", "scope:events", "scope:lease"]
const graph = (code) => [
  {
    sourceTag: "type:app",
    onlyDependOnLibsWithTags: code === "src" ? ["type:lib"] : ["type:lib", "type:tool"]
  },
  {
    sourceTag: "type:lib",
    onlyDependOnLibsWithTags: code === "src" ? ["type:lib"] : ["type:lib", "type:tool"]
  },
  { sourceTag: "type:tool", onlyDependOnLibsWithTags: ["type:lib", "type:tool"] },
  { sourceTag: "scope:edge", notDependOnLibsWithTags: ["type:lib"] },
  {
    sourceTag: "scope:domain",
    notDependOnLibsWithTags: ["scope:contract", "scope:edge", ...services]
  },
  { sourceTag: "scope:contract", notDependOnLibsWithTags: services },
  {
    sourceTag: "scope:ldap",
    notDependOnLibsWithTags: ["scope:contract", "scope:dfo", "scope:writeback"]
  },
  {
    sourceTag: "scope:dfo",
    notDependOnLibsWithTags: ["scope:contract", "scope:ldap", "scope:writeback"]
  },
  { sourceTag: "scope:writeback", notDependOnLibsWithTags: ["scope:contract", "scope:events"] },
  {
    sourceTag: "scope:events",
    notDependOnLibsWithTags: ["scope:contract", "scope:ldap", "scope:dfo", "scope:writeback"]
  },
  { sourceTag: "scope:lease", notDependOnLibsWithTags: ["scope:contract", ...services] }
]
export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.nx/**",
      "libs/contract/src/gen/**",
      "bench/**"
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "@nx": nx },
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }
      ],
      "@typescript-eslint/no-namespace": "off",
      "@nx/enforce-module-boundaries": ["error", { allow: [], depConstraints: graph("src") }]
    }
  },
  {
    // Tests stand on the real parts the tools start (slapd, the DFØ emulator, processes).
    files: ["**/test/**/*.ts"],
    rules: {
      "@nx/enforce-module-boundaries": ["error", { allow: [], depConstraints: graph("test") }]
    }
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } }
  },
  prettier
)
