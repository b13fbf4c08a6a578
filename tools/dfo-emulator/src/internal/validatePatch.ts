/** The fields a PATCH may change (CONTRACT §3). */
export const WRITABLE_FIELDS = ["eksternIdent", "epost", "brukerident"] as const

/** Longest values SAP accepts; `brukerident` is SAP's 12-character user name. */
export const MAX_LENGTH = { eksternIdent: 100, epost: 241, brukerident: 12 } as const

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/

export type PatchCheck =
  | { readonly ok: true; readonly fields: Readonly<Record<string, string | null>> }
  | { readonly ok: false; readonly status: 400 | 422; readonly faultText: string }

/**
 * Checks a PATCH body the way SAP does: structure problems are `400`, values SAP refuses
 * are `422`. `null` or `""` clears a field.
 */
export const validatePatch = (body: unknown): PatchCheck => {
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
      return { ok: false, status: 422, faultText: `Feltet ${key} kan ha maks ${max} tegn` }
    }
    if (key === "epost" && value !== null && value !== "" && !EMAIL.test(value)) {
      return { ok: false, status: 422, faultText: `Ugyldig e-postadresse: ${value}` }
    }
    fields[key] = value
  }
  return { ok: true, fields }
}
