/**
 * The two messages the demo publishes, shaped as their senders send them (CONTRACT §8):
 * Felles IAM's SCIM Notify event, which names the changed attributes but never their
 * values, and DFØ's notification that an employee record changed.
 */

/** Felles IAM's event for a changed work e-mail of the account `idautoId` (its UHID). */
export const scimModify = (idautoId: string, time: Date) => ({
  schemas: ["urn:ietf:params:scim:schemas:notify:2.0:Event"],
  type: "MODIFY",
  time: time.toISOString(),
  resourceUris: [`https://iga.uni.no/scim/v2/Users/${idautoId}`],
  attributes: ['emails[type eq "work"].value']
})

/** DFØ's notification that employee `id`'s record changed (here: by our own write). */
export const dfoNotification = (id: string, time: Date) => ({
  id,
  uri: "dfo:ansatte",
  gyldigEtter: time.toISOString().slice(0, 10)
})
