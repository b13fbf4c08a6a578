import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit } from "effect"
import { AttributeMappingConfig, defaultMapping, keyAttribute } from "../src/index.js"

describe("AttributeMapping configuration", () => {
  it.effect("defaults to RapidIdentity's names", () =>
    Effect.gen(function* () {
      const mapping = yield* AttributeMappingConfig
      assert.deepStrictEqual(mapping, defaultMapping)
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromJson({})))
  )

  it("takes epost without a mail fallback and brukerident from the employee number", () => {
    assert.deepStrictEqual(defaultMapping.eksternIdent, ["idautoPersonSystem5ID", "mail"])
    assert.deepStrictEqual(defaultMapping.epost, ["idautoPersonSystem2ID"])
    assert.deepStrictEqual(defaultMapping.brukerident, ["idautoPersonPayrollID"])
    assert.deepStrictEqual(defaultMapping.brukerident, [defaultMapping.sapId])
  })

  it.effect("lets brukerident and epost be mapped to other attributes", () =>
    Effect.gen(function* () {
      const mapping = yield* AttributeMappingConfig
      assert.deepStrictEqual(mapping.brukerident, ["idautoPersonSystem1ID"])
      assert.deepStrictEqual(mapping.epost, ["idautoPersonSystem2ID", "mail"])
      assert.strictEqual(mapping.sapId, "idautoPersonPayrollID")
    }).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromJson({
          mapping: {
            brukerident: ["idautoPersonSystem1ID"],
            epost: ["idautoPersonSystem2ID", "mail"]
          }
        })
      )
    )
  )

  it.effect("overrides single fields from the mapping section", () =>
    Effect.gen(function* () {
      const mapping = yield* AttributeMappingConfig
      assert.strictEqual(mapping.sapId, "employeeNumber")
      assert.deepStrictEqual(mapping.epost, ["mail"])
      assert.strictEqual(mapping.idautoId, "idautoID")
    }).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromJson({ mapping: { sapId: "employeeNumber", epost: ["mail"] } })
      )
    )
  )

  it.effect("refuses an empty attribute name", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(AttributeMappingConfig)
      assert.isTrue(Exit.isFailure(exit))
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromJson({ mapping: { sapId: " " } })))
  )

  it("maps key fields to attributes", () => {
    assert.strictEqual(keyAttribute(defaultMapping, "username"), "idautoPersonSystem1ID")
    assert.strictEqual(keyAttribute(defaultMapping, "uh-username"), "idautoPersonSAMAccountName")
    assert.strictEqual(keyAttribute(defaultMapping, "idautoID"), "idautoID")
    assert.strictEqual(keyAttribute(defaultMapping, "employee-id"), "idautoPersonPayrollID")
  })
})
