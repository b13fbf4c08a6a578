/** Scenario results built from chosen figures, for the pure parts of the report. */
import { type ScenarioSpec, scenarios, type Sizes } from "../src/Plan.js"
import { type Repetition, resultOf, type ScenarioResult } from "../src/Report.js"

const repetition = (spec: ScenarioSpec, figures: Partial<Repetition>): Repetition => ({
  wallMs: 1000,
  cpuMs: 800,
  users: spec.users,
  peakRssMb: 100,
  metrics: {},
  ...figures
})

const specNamed = (sizes: Sizes, name: string): ScenarioSpec => {
  const spec = scenarios(sizes).find((s) => s.name === name)
  if (spec === undefined) throw new Error(`no scenario ${name}`)
  return spec
}

/** The named scenario's row from its repetitions. */
export const result = (
  sizes: Sizes,
  name: string,
  repetitions: ReadonlyArray<Partial<Repetition>>
): ScenarioResult => {
  const spec = specNamed(sizes, name)
  return resultOf(
    spec,
    repetitions.map((figures) => repetition(spec, figures))
  )
}
