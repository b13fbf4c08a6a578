import { Settings } from "@dfo-writeback/edge"
import { HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"
import { Array as Arr } from "effect"
import { catalogue } from "./Catalogue.js"

/** Every setting, from the catalogue, for `writeback --help`. */
export const settingsHelp: HelpDoc.HelpDoc = HelpDoc.blocks([
  HelpDoc.p(
    "dfo-writeback: writes identifiers from the Portal LDAP back to DFØ's employee API. " +
      "Commands: `writeback run`, `writeback plan`, `writeback apply`, `writeback check` " +
      "(test the configuration and both connections), `writeback config` (the effective " +
      "configuration, secrets redacted), `writeback report` (skipped and failed users for " +
      "people); see `writeback run --help`. " +
      "Options: --help, --version."
  ),
  HelpDoc.p("Settings come from the environment (and WRITEBACK_CONFIG):"),
  HelpDoc.descriptionList(
    Arr.map(
      catalogue.all as Arr.NonEmptyReadonlyArray<Settings.Setting>,
      (setting): [Span.Span, HelpDoc.HelpDoc] => [
        Span.text(setting.name),
        HelpDoc.p(Settings.describe(setting))
      ]
    )
  )
])

/** The one-line usage printed on a usage error. */
export const usage =
  "usage: writeback run (--key-field username|uh-username|idautoID|employee-id --key-value V | --process-all) " +
  "[--log-only] [--max-updates N] [--json] [--log-file FILE] [--log-level LEVEL] [--metrics-file PATH]\n" +
  "       writeback plan (--key-field … --key-value V | --process-all) --out FILE [--force] [--format table|markdown|csv]\n" +
  "       writeback apply FILE [--max-updates N] [--json]\n" +
  "       writeback check [--metrics-file PATH]\n" +
  "       writeback config [--json]\n" +
  "       writeback report --process-all [--reasons R,…] [--format csv|markdown|json] --out FILE|- [--force]\n" +
  "       writeback --help | --version"
