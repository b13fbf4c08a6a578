/**
 * The messages the sector's broker carries about the population's people (CONTRACT §8),
 * shaped as their senders send them: Felles IAM's SCIM Notify event, which names the
 * changed attributes but never their values, and DFØ's notification that an employee
 * record changed. Tests, the demo and the bench publish these.
 */

export const scimNotifySchema = "urn:ietf:params:scim:schemas:notify:2.0:Event"

export interface ScimEventOptions {
  /** The changed attributes' names (a MODIFY's), e.g. `emails[type eq "work"].value`. */
  readonly attributes?: ReadonlyArray<string>
  /** When it happened; now unless given. */
  readonly time?: Date
}

/** Felles IAM's event of `type` (`ADD`, `MODIFY`, …) for the account `idautoId` (its UHID). */
export const scimEvent = (type: string, idautoId: string, options: ScimEventOptions = {}) => ({
  schemas: [scimNotifySchema],
  type,
  time: (options.time ?? new Date()).toISOString(),
  resourceUris: [`https://iga.example.no/scim/v2/Users/${idautoId}`],
  ...(options.attributes === undefined ? {} : { attributes: options.attributes })
})

/** The attribute Felles IAM names when an account's work e-mail changed. */
export const workEmailAttribute = 'emails[type eq "work"].value'

/** DFØ's notification that employee `id`'s record changed, valid from `validFrom`'s date. */
export const dfoNotification = (id: string, validFrom: Date = new Date()) => ({
  id,
  uri: "dfo:ansatte",
  gyldigEtter: validFrom.toISOString().slice(0, 10)
})
