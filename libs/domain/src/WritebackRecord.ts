/**
 * The values IAM wants DFØ to hold for one employee (the seed's "writeback record").
 * `brukerident` is present only when brukerident writeback is on.
 */
export interface WritebackRecord {
  readonly eksternIdent: string
  readonly epost: string
  readonly brukerident?: string
}
