import { assert, layer } from "@effect/vitest"
import { Effect, Tracer } from "effect"
import { client, emulatorLayer, setup } from "./utils.js"

/** Runs `effect` with a tracer that keeps every span it starts (the default tracer's own). */
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const base = yield* Effect.tracer
    const spans: Array<Tracer.Span> = []
    const recording = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = base.span(name, parent, context, links, startTime, kind, options)
        spans.push(span)
        return span
      },
      context: base.context
    })
    const value = yield* Effect.withTracer(effect, recording)
    return { value, spans }
  })

/** A native span's events: name and attributes. */
const eventsOf = (span: Tracer.Span | undefined) =>
  (
    span as unknown as { readonly events: ReadonlyArray<[string, bigint, Record<string, unknown>]> }
  ).events.map(([name, , attributes]) => [name, attributes])

layer(emulatorLayer, { excludeTestServices: true })("DfoEmployees spans", (it) => {
  it.effect("a read is one span; its failed attempts are events on it, not spans", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ method: "GET", path: "/00100001", times: 2, status: 503 })
      const { spans } = yield* traced(dfo.get("00100001"))
      assert.deepStrictEqual(
        spans.map((span) => span.name),
        ["DfoEmployees.get"]
      )
      const [span] = spans
      assert.strictEqual(span?.attributes.get("http.request.method"), "GET")
      assert.strictEqual(span?.attributes.get("http.response.status_code"), 200)
      assert.deepStrictEqual(eventsOf(span), [
        ["DFØ attempt failed", { attempt: 1, "http.response.status_code": 503 }],
        ["DFØ attempt failed", { attempt: 2, "http.response.status_code": 503 }]
      ])
    }).pipe(Effect.provide(client()))
  )

  it.effect("the list keeps one DfoEmployees.request span per attempt", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ method: "GET", path: "", status: 429 })
      const { spans } = yield* traced(dfo.list())
      assert.deepStrictEqual(
        spans.map((span) => [span.name, span.attributes.get("http.response.status_code")]),
        [
          ["DfoEmployees.list", undefined],
          ["DfoEmployees.request", "429"],
          ["DfoEmployees.request", "200"]
        ]
      )
    }).pipe(Effect.provide(client()))
  )
})
