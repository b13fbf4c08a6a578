import { Config, ConfigError, Context, Either, Layer, ParseResult, Schema } from "effect"
import type { KeyField } from "./KeyField.js"

const AttributeName = Schema.Trim.pipe(Schema.nonEmptyString())
const Sources = Schema.NonEmptyArray(AttributeName)

/**
 * Which Portal LDAP attributes feed each value. Where a DFØ field has several
 * sources, the first one with a non-empty value wins (CONTRACT §1).
 */
export class AttributeMapping extends Schema.Class<AttributeMapping>("AttributeMapping")({
  idautoId: AttributeName,
  sapId: AttributeName,
  eksternIdent: Sources,
  epost: Sources,
  brukerident: Sources,
  username: AttributeName,
  uhUsername: AttributeName,
  disabled: AttributeName,
  deleted: AttributeName,
  entitlements: Schema.Array(AttributeName),
  adEntitlement: Schema.Trim.pipe(Schema.nonEmptyString()),
  businessRoles: AttributeName
}) {}

/** The defaults of CONTRACT §1–2: RapidIdentity's attribute names, as Felles IAM uses them. */
export const defaultMapping: AttributeMapping = AttributeMapping.make({
  idautoId: "idautoID",
  sapId: "idautoPersonPayrollID",
  eksternIdent: ["idautoPersonSystem5ID", "mail"],
  // No `mail` fallback: in Felles IAM `mail` holds the Feide ID, not a mailbox.
  epost: ["idautoPersonSystem2ID"],
  // The employee number (Felles IAM's sapWritebackEmployeeIDAsBrukerident).
  brukerident: ["idautoPersonPayrollID"],
  username: "idautoPersonSystem1ID",
  uhUsername: "idautoPersonSAMAccountName",
  disabled: "idautoDisabled",
  deleted: "idautoPersonExtBool3",
  entitlements: ["idautoPersonAppRoles2", "idautoPersonAppRoles6"],
  adEntitlement: "active directory",
  businessRoles: "idautoPersonAppRoles10"
})

/** The attribute a key field is matched against. */
export const keyAttribute = (mapping: AttributeMapping, keyField: KeyField): string => {
  switch (keyField) {
    case "username":
      return mapping.username
    case "uh-username":
      return mapping.uhUsername
    case "idautoID":
      return mapping.idautoId
    case "employee-id":
      return mapping.sapId
  }
}

/** Every attribute the rules read, so a search asks the directory for nothing more. */
export const requestedAttributes = (mapping: AttributeMapping): ReadonlyArray<string> => [
  ...new Set([
    mapping.idautoId,
    mapping.sapId,
    ...mapping.eksternIdent,
    ...mapping.epost,
    ...mapping.brukerident,
    mapping.username,
    mapping.uhUsername,
    mapping.disabled,
    mapping.deleted,
    ...mapping.entitlements,
    mapping.businessRoles
  ])
]

/**
 * What each key of the configuration's `mapping` section holds: one attribute name, a
 * non-empty list of attribute names (the first with a value wins), or a plain value.
 */
export const mappingKinds: {
  readonly [K in keyof AttributeMapping]: "attribute" | "attributes" | "value"
} = {
  idautoId: "attribute",
  sapId: "attribute",
  eksternIdent: "attributes",
  epost: "attributes",
  brukerident: "attributes",
  username: "attribute",
  uhUsername: "attribute",
  disabled: "attribute",
  deleted: "attribute",
  entitlements: "attributes",
  adEntitlement: "value",
  businessRoles: "attribute"
}

const attribute = (key: string, fallback: string) =>
  Config.string(key).pipe(Config.withDefault(fallback))
const attributes = (key: string, fallback: ReadonlyArray<string>) =>
  Config.array(Config.string(), key).pipe(Config.withDefault(fallback))

/**
 * The `mapping` section of the configuration (usually in the `WRITEBACK_CONFIG` JSON
 * file): any subset of the fields, each overriding its default.
 */
export const AttributeMappingConfig: Config.Config<AttributeMapping> = Config.all({
  idautoId: attribute("idautoId", defaultMapping.idautoId),
  sapId: attribute("sapId", defaultMapping.sapId),
  eksternIdent: attributes("eksternIdent", defaultMapping.eksternIdent),
  epost: attributes("epost", defaultMapping.epost),
  brukerident: attributes("brukerident", defaultMapping.brukerident),
  username: attribute("username", defaultMapping.username),
  uhUsername: attribute("uhUsername", defaultMapping.uhUsername),
  disabled: attribute("disabled", defaultMapping.disabled),
  deleted: attribute("deleted", defaultMapping.deleted),
  entitlements: attributes("entitlements", defaultMapping.entitlements),
  adEntitlement: attribute("adEntitlement", defaultMapping.adEntitlement),
  businessRoles: attribute("businessRoles", defaultMapping.businessRoles)
}).pipe(
  Config.nested("mapping"),
  Config.mapOrFail((fields) =>
    Schema.decodeUnknownEither(AttributeMapping)(fields).pipe(
      Either.mapLeft((error) =>
        ConfigError.InvalidData(["mapping"], ParseResult.TreeFormatter.formatErrorSync(error))
      )
    )
  )
)

/**
 * The one attribute mapping of a process: the LDAP directory (which attributes it asks
 * for and matches keys against) and the writeback's rules (which it derives values from)
 * both take it from here, so the two cannot read different mappings. The apps provide it
 * once, from the configuration they read once.
 */
export class ConfiguredMapping extends Context.Tag("@dfo-writeback/domain/ConfiguredMapping")<
  ConfiguredMapping,
  AttributeMapping
>() {
  /** A mapping given directly (tests, benchmarks, or the app's one reading of the configuration). */
  static readonly layer = (mapping: AttributeMapping): Layer.Layer<ConfiguredMapping> =>
    Layer.succeed(ConfiguredMapping, mapping)

  /** The `mapping` section of the configuration, read once when the layer is built. */
  static readonly layerConfig: Layer.Layer<ConfiguredMapping, ConfigError.ConfigError> =
    Layer.effect(ConfiguredMapping, AttributeMappingConfig)
}
