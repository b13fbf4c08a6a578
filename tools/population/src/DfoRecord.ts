import { ascii, givenNames, surnames } from "./internal/names.js"

/**
 * An employee object as DFØ returns it: `id` plus many other fields. The emulator keeps
 * whatever it is given; only the fields a write may change are checked.
 */
export type DfoRecord = { readonly id: string; readonly [field: string]: unknown }

/** What `makeDfoRecord` takes: an id and any fields to set; an explicit `undefined` drops a field. */
export type DfoRecordInput = { readonly id: string; readonly [field: string]: unknown }

/** Given names of `givenNames` that are women's, for `kjonn`. */
const FEMALE: ReadonlySet<string> = new Set([
  "Kari",
  "Anne",
  "Ingrid",
  "Marit",
  "Liv",
  "Solveig",
  "Astrid",
  "Sigrid",
  "Ragnhild",
  "Tove",
  "Hilde",
  "Berit",
  "Randi",
  "Therese",
  "Nora",
  "Ida",
  "Silje",
  "Åse",
  "Maja"
])
const POSITIONS = [
  { stillingskode: "1011", stillingstittel: "Førsteamanuensis" },
  { stillingskode: "1013", stillingstittel: "Professor" },
  { stillingskode: "1017", stillingstittel: "Stipendiat" },
  { stillingskode: "1352", stillingstittel: "Postdoktor" },
  { stillingskode: "1065", stillingstittel: "Konsulent" },
  { stillingskode: "1363", stillingstittel: "Seniorkonsulent" },
  { stillingskode: "1434", stillingstittel: "Rådgiver" },
  { stillingskode: "1364", stillingstittel: "Seniorrådgiver" },
  { stillingskode: "1054", stillingstittel: "Kontorsjef" },
  { stillingskode: "1087", stillingstittel: "Overingeniør" }
] as const
const UNITS = [
  { organisasjonId: "50000123", tjenestested: "Institutt for informatikk", kostnadssted: "224510" },
  { organisasjonId: "50000124", tjenestested: "Institutt for matematikk", kostnadssted: "224520" },
  { organisasjonId: "50000211", tjenestested: "Det medisinske fakultet", kostnadssted: "130000" },
  { organisasjonId: "50000305", tjenestested: "Universitetsbiblioteket", kostnadssted: "410000" },
  { organisasjonId: "50000412", tjenestested: "IT-avdelingen", kostnadssted: "350100" },
  { organisasjonId: "50000415", tjenestested: "Økonomiavdelingen", kostnadssted: "350200" },
  {
    organisasjonId: "50000520",
    tjenestested: "Institutt for samfunnsvitenskap",
    kostnadssted: "260300"
  }
] as const
const PERCENTAGES = [100, 100, 100, 100, 80, 50, 20] as const

// FNV-1a: a stable, well-spread hash so the same id always yields the same person.
const hash = (text: string, salt: number): number => {
  let h = (0x811c9dc5 ^ salt) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d) >>> 0
  h ^= h >>> 12
  return h >>> 0
}

const pick = <A>(items: ReadonlyArray<A>, id: string, salt: number): A =>
  items[hash(id, salt) % items.length] as A

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const isoDate = (year: number, dayOfYear: number) =>
  new Date(Date.UTC(year, 0, 1 + dayOfYear)).toISOString().slice(0, 10)

/** The e-mail domain `makeDfoRecord` uses for generated `epost` and `eksternIdent` values. */
export const EMPLOYEE_DOMAIN = "uni.example.no"

/**
 * A realistic DFØ employee object: the fields DFØ returns (names, position, unit, dates,
 * phone numbers, a fake birth date) derived deterministically from the id, overridden by
 * `partial`. A key present in `partial` wins even when its value is `null` or `""`; a key
 * present with the value `undefined` is left out of the result.
 */
export const makeDfoRecord = (partial: DfoRecordInput): DfoRecord => {
  const id = partial.id
  const fornavn = pick(givenNames, id, 1)
  const etternavn = pick(surnames, id, 2)
  const position = pick(POSITIONS, id, 3)
  const unit = pick(UNITS, id, 4)
  const n = hash(id, 5)
  // Three letters and the id's last five digits: unique across consecutive ids, at most 12 long.
  const digits = id.replace(/\D/g, "").slice(-5).padStart(5, "0")
  const brukerident = `${ascii(fornavn).slice(0, 1)}${ascii(etternavn).slice(0, 2)}${digits}`
  const birthYear = 1955 + (hash(id, 6) % 45)
  const startYear = Math.max(birthYear + 23, 1990 + (hash(id, 7) % 34))
  const temporary = hash(id, 8) % 5 === 0
  const generated: Record<string, unknown> = {
    id,
    fornavn,
    etternavn,
    brukerident,
    dfoBrukerident: `${brukerident.toUpperCase()}${pad(hash(id, 9) % 100, 2)}`,
    eksternIdent: `${brukerident}@${EMPLOYEE_DOMAIN}`,
    epost: `${ascii(fornavn)}.${ascii(etternavn)}${n % 100}@${EMPLOYEE_DOMAIN}`,
    privatEpost: null,
    fodselsdato: isoDate(birthYear, hash(id, 10) % 365),
    kjonn: FEMALE.has(fornavn) ? "K" : "M",
    landkode: "NO",
    medarbeidergruppe: temporary ? "8" : "1",
    medarbeiderundergruppe: temporary ? "09" : "04",
    stillingId: 30_000_000 + (hash(id, 11) % 1_000_000),
    stillingskode: position.stillingskode,
    stillingstittel: position.stillingstittel,
    stillingsprosent: pick(PERCENTAGES, id, 12),
    startdato: isoDate(startYear, hash(id, 13) % 365),
    sluttdato: temporary
      ? isoDate(Math.max(startYear + 3, 2026), hash(id, 14) % 365)
      : "9999-12-31",
    organisasjonId: unit.organisasjonId,
    tjenestested: unit.tjenestested,
    kostnadssted: unit.kostnadssted,
    jurBedriftsnummer: "974767880",
    telefon: `+47 7764${pad(hash(id, 15) % 10_000, 4)}`,
    mobilnr: `+47 9${pad(hash(id, 16) % 10_000_000, 7)}`,
    portaltilgang: true,
    reservasjonPublisering: hash(id, 17) % 10 === 0,
    lederflagg: hash(id, 18) % 12 === 0,
    tilleggsstilling: []
  }
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) delete generated[key]
    else generated[key] = value
  }
  return generated as DfoRecord
}

/** Options for `makeDfoRecords`. */
export interface MakeDfoRecordsOptions {
  /** The first id as a number; ids are zero-padded to `idWidth` digits. Default 100001. */
  readonly firstId?: number
  /** Default 8, as DFØ's ids usually are (`00100001`). */
  readonly idWidth?: number
  /**
   * Share (0–1) of employees with no value in one of `eksternIdent`, `epost` or
   * `brukerident` (alternately `null` and `""`), chosen deterministically. Default 0.
   */
  readonly missingShare?: number
}

/** `count` employees with consecutive ids, each from `makeDfoRecord`. */
export const makeDfoRecords = (
  count: number,
  options: MakeDfoRecordsOptions = {}
): ReadonlyArray<DfoRecord> => {
  const firstId = options.firstId ?? 100_001
  const width = options.idWidth ?? 8
  const missing = Math.max(0, Math.min(1, options.missingShare ?? 0))
  const fields = ["eksternIdent", "epost", "brukerident"] as const
  const out: Array<DfoRecord> = new Array(count)
  for (let i = 0; i < count; i++) {
    const id = pad(firstId + i, width)
    const h = hash(id, 19)
    if (missing > 0 && (h % 10_000) / 10_000 < missing) {
      const field = fields[h % 3] as (typeof fields)[number]
      out[i] = makeDfoRecord({ id, [field]: h % 2 === 0 ? null : "" })
    } else {
      out[i] = makeDfoRecord({ id })
    }
  }
  return out
}
