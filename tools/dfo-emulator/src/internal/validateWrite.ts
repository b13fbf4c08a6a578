/** The fields a write (`PUT`) may change (CONTRACT §3). */
export const WRITABLE_FIELDS = ["eksternIdent", "epost", "brukerident"] as const

/**
 * DFØ's field lengths ("maks feltlengde"): `brukerident` holds an employee number, 8 in
 * the read model (the PUT's 10 is the SAP column; `dfoBrukerident` adds the company code).
 */
export const MAX_LENGTH = { eksternIdent: 241, epost: 241, brukerident: 8 } as const

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export type WriteCheck =
  | { readonly ok: true; readonly fields: Readonly<Record<string, string | null>> }
  | { readonly ok: false; readonly status: 400 | 422; readonly faultText: string }

/**
 * Checks a write body the way DFØ does: structure, length and control characters are `400`
 * naming the field; an e-mail address SAP refuses is `422`. `null` or `""` clears a field.
 */
export const validateWrite = (body: unknown): WriteCheck => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, status: 400, faultText: "Forespørselen må være et JSON-objekt" }
  }
  const entries = Object.entries(body)
  if (entries.length === 0) {
    return { ok: false, status: 400, faultText: "Ingen felt å oppdatere" }
  }
  const fields: Record<string, string | null> = {}
  for (const [key, value] of entries) {
    if (!(WRITABLE_FIELDS as ReadonlyArray<string>).includes(key)) {
      return { ok: false, status: 400, faultText: `Ukjent felt: ${key}` }
    }
    if (value !== null && typeof value !== "string") {
      return { ok: false, status: 400, faultText: `Feltet ${key} må være en tekst` }
    }
    const max = MAX_LENGTH[key as keyof typeof MAX_LENGTH]
    if (value !== null && value.length > max) {
      return { ok: false, status: 400, faultText: `Feltet ${key} kan ha maks ${max} tegn` }
    }
    if (value !== null && CONTROL.test(value)) {
      return { ok: false, status: 400, faultText: `Feltet ${key} har et ugyldig tegn` }
    }
    if (key === "epost" && value !== null && value !== "" && !EMAIL.test(value)) {
      return { ok: false, status: 422, faultText: `Ugyldig e-postadresse: ${value}` }
    }
    fields[key] = value
  }
  return { ok: true, fields }
}
