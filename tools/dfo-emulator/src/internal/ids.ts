/**
 * DFØ's employee ids are 8 digits with leading zeros (`00030202`), while the Portal LDAP may
 * hold `30202`: a numeric id of 1–8 digits is stored and looked up in its 8-digit form.
 * Anything else (letters, longer ids) is kept as given, so such requests find nobody.
 */
export const canonicalId = (id: string): string => (/^\d{1,8}$/.test(id) ? id.padStart(8, "0") : id)

/** A path relative to the base with its id segment in canonical form: `/30202` → `/00030202`. */
export const canonicalPath = (path: string): string => {
  if (!path.startsWith("/") || path.indexOf("/", 1) !== -1) return path
  return `/${canonicalId(path.slice(1))}`
}
