// Check 6a's search for one employee id: one unpaged search when the directory answers it
// whole, paging when the server's size limit stops that search, so a size limit never
// drops a claimant.
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, layer } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { LdapMetrics, PortalDirectory } from "../src/index.js"
import { optionsFor } from "./support.js"

const entry = (idautoID: string, payrollId: string) => ({
  idautoID,
  idautoPersonSystem1ID: idautoID,
  idautoPersonPayrollID: payrollId
})

/** Above the server's size limit of 2: three claimants of 30202 and one holding its digits. */
const entries = [
  entry("claim-padded", "00030202"),
  entry("claim-bare", "30202"),
  entry("claim-short", "0030202"),
  entry("claim-other", "300202"),
  entry("alone", "00040404"),
  entry("five", "00000005"),
  entry("five-bare", "5")
]

const pages = Effect.map(
  Metric.value(Metric.tagged(LdapMetrics.searchDuration, "operation", "page")),
  (state) => state.count
)

const claimants = (directory: PortalDirectory.Service, id: string) =>
  Effect.map(directory.findByEmployeeId(id), (users) => users.map((u) => u.idautoId).sort())

layer(LdapTestbed.layer({ entries, sizeLimit: 2 }), { excludeTestServices: true })(
  "findByEmployeeId against a server size limit",
  (it) => {
    it.scoped("answers in one request when the matches fit, pages when they do not", () =>
      Effect.gen(function* () {
        const t = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 2 }))

        const before = yield* pages
        assert.deepStrictEqual(yield* claimants(directory, "40404"), ["alone"])
        assert.strictEqual((yield* pages) - before, 1)

        // Four entries hold 30202's digits: the unpaged search stops at two, and the
        // claim search pages through every one of them instead.
        const want = ["claim-bare", "claim-padded", "claim-short"]
        const paged = yield* pages
        assert.deepStrictEqual(yield* claimants(directory, "00030202"), want)
        assert.isAbove((yield* pages) - paged, 2)
        const several = yield* directory.findByEmployeeIds(["30202"])
        assert.deepStrictEqual(
          several
            .get("30202")
            ?.map((u) => u.idautoId)
            .sort(),
          want
        )

        // A short key's digits are held by many ids: paged from the start.
        assert.deepStrictEqual(yield* claimants(directory, "05"), ["five", "five-bare"])
      })
    )
  }
)
