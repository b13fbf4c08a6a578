import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { assert, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Redacted } from "effect"
import { DfoEmployees, HttpProxy } from "../src/index.js"
import * as RecordingProxy from "./utils/RecordingProxy.js"

const employee = makeEmployee({ id: "00300001", epost: "a@uni.no" })

/** The emulator, a recording proxy, and a client made from `env` as the apps read it. */
const setup = (env: (proxy: RecordingProxy.RecordingProxy) => Record<string, string>) =>
  Effect.gen(function* () {
    const emu = yield* DfoEmulator.scoped({ employees: [employee] }).pipe(Effect.orDie)
    const proxy = yield* RecordingProxy.scoped
    const provider = ConfigProvider.fromMap(
      new Map(Object.entries({ ...emu.environment, SAP_MAX_RETRIES: "0", ...env(proxy) }))
    )
    const options = yield* Effect.withConfigProvider(DfoEmployees.config, provider).pipe(
      Effect.orDie
    )
    const dfo = yield* DfoEmployees.make(options)
    return { emu, proxy, dfo, origin: new URL(emu.baseUrl).host }
  })

it.scoped("sends DFØ requests through HTTP_PROXY: the proxy saw them, DFØ answered", () =>
  Effect.gen(function* () {
    const { emu, proxy, dfo, origin } = yield* setup((p) => ({ HTTP_PROXY: p.url }))
    const found = yield* dfo.get("00300001")
    assert.strictEqual(found._tag === "Found" ? found.employee.epost : undefined, "a@uni.no")
    assert.strictEqual((yield* dfo.get("00300002"))._tag, "NotFound")
    // undici tunnels through the proxy (CONNECT) to DFØ's origin, a tunnel per connection.
    const forwarded = proxy.forwarded()
    assert.isAbove(forwarded.length, 0)
    for (const entry of forwarded)
      assert.deepStrictEqual(entry, { kind: "CONNECT", target: origin })
    assert.deepStrictEqual(
      emu.log().map((entry) => `${entry.method} ${entry.path}`),
      [`GET ${emu.basePath}/00300001`, `GET ${emu.basePath}/00300002`]
    )
  })
)

it.scoped("honours the lower-case http_proxy too", () =>
  Effect.gen(function* () {
    const { proxy, dfo, origin } = yield* setup((p) => ({ http_proxy: p.url }))
    yield* dfo.get("00300001")
    assert.deepStrictEqual(proxy.forwarded(), [{ kind: "CONNECT", target: origin }])
  })
)

it.scoped("reaches hosts in NO_PROXY directly", () =>
  Effect.gen(function* () {
    for (const noProxy of ["127.0.0.1", "localhost,127.0.0.1", "*"]) {
      const { emu, proxy, dfo } = yield* setup((p) => ({ HTTP_PROXY: p.url, NO_PROXY: noProxy }))
      yield* dfo.get("00300001")
      assert.deepStrictEqual(proxy.forwarded(), [], `NO_PROXY=${noProxy}`)
      assert.strictEqual(emu.log().length, 1)
    }
  })
)

it.scoped("uses HTTPS_PROXY for https: DFØ URLs only; an http: URL goes direct", () =>
  Effect.gen(function* () {
    const { emu, proxy, dfo } = yield* setup((p) => ({ HTTPS_PROXY: p.url }))
    yield* dfo.get("00300001")
    assert.deepStrictEqual(proxy.forwarded(), [])
    assert.strictEqual(emu.log().length, 1)
  })
)

it.scoped("a proxy that is down fails the request as transient, naming no credentials", () =>
  Effect.gen(function* () {
    const { emu, dfo } = yield* setup(() => ({
      HTTP_PROXY: "http://writeback:s3cret-proxy@127.0.0.1:1"
    }))
    const exit = yield* Effect.exit(dfo.get("00300001"))
    assert.isTrue(Exit.isFailure(exit))
    assert.notInclude(String(exit), "s3cret-proxy")
    assert.deepStrictEqual(emu.log(), [], "nothing reached DFØ")
  })
)

it.effect("reads the settings as given and refuses a proxy that is not an http(s) URL", () =>
  Effect.gen(function* () {
    const read = (env: Record<string, string>) =>
      Effect.withConfigProvider(
        HttpProxy.config,
        ConfigProvider.fromMap(new Map(Object.entries(env)))
      ).pipe(Effect.either)
    const none = yield* read({})
    assert.deepStrictEqual(none._tag === "Right" ? none.right : undefined, {
      httpsProxy: undefined,
      httpProxy: undefined,
      noProxy: undefined
    })
    const given = yield* read({
      HTTPS_PROXY: "http://proxy.uni.no:3128",
      NO_PROXY: ".uni.no,localhost"
    })
    assert(given._tag === "Right")
    assert.strictEqual(Redacted.value(given.right.httpsProxy!), "http://proxy.uni.no:3128")
    assert.strictEqual(given.right.noProxy, ".uni.no,localhost")
    assert.notInclude(String(given.right.httpsProxy), "proxy.uni.no", "redacted when printed")
    const wrong = yield* read({ HTTPS_PROXY: "socks5://proxy:1080" })
    assert(wrong._tag === "Left")
    assert.include(String(wrong.left), "HTTPS_PROXY must be an http(s) URL")
  })
)
