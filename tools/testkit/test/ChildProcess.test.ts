// Real child processes (this Node running small scripts): output, exit codes, environment,
// readiness, and that a started child never outlives its scope.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { ChildProcess } from "../src/index.js"

const node = (script: string) => [process.execPath, ["-e", script]] as const

describe("ChildProcess.run", () => {
  it.live("returns the exit code and what the child printed; a failing exit is an answer", () =>
    Effect.gen(function* () {
      const out = yield* ChildProcess.run(
        ...node(`console.log("one"); console.log("two"); console.error("oops"); process.exit(3)`)
      )
      assert.strictEqual(out.code, 3)
      assert.isNull(out.signal)
      assert.strictEqual(out.stdout, "one\ntwo\n")
      assert.strictEqual(out.stderr, "oops\n")
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.live("with inheritEnv: false the child sees exactly env and PATH", () =>
    Effect.gen(function* () {
      const out = yield* ChildProcess.run(
        ...node(`console.log(JSON.stringify(Object.keys(process.env).sort()))`),
        { env: { ONLY_THIS: "1" }, inheritEnv: false }
      )
      assert.strictEqual(out.code, 0, out.stderr)
      assert.deepStrictEqual(JSON.parse(out.stdout), ["ONLY_THIS", "PATH"])
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.live("a child past its timeout is killed and reported with what it printed", () =>
    Effect.gen(function* () {
      // sh prints its pid at once and becomes sleep (same pid): no start-up to race with.
      const error = yield* ChildProcess.run("sh", ["-c", "echo $$; exec sleep 600"], {
        timeout: "2 seconds"
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ChildProcessError")
      assert.strictEqual(error.reason, "timeout")
      const pid = Number(error.output.trim())
      assert.isAbove(pid, 0)
      assert.isFalse(ChildProcess.alive(pid))
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.live("runOk: an exit other than 0 is a failed error carrying the last lines", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* ChildProcess.runOk("sh", ["-c", "echo fine"])).stdout, "fine\n")
      const error = yield* ChildProcess.runOk("sh", ["-c", "echo a >&2; echo b >&2; exit 3"]).pipe(
        Effect.flip
      )
      assert.strictEqual(error.reason, "failed")
      assert.strictEqual(
        error.message,
        "sh -c 'echo a >&2; echo b >&2; exit 3': failed (exit code 3)\na\nb"
      )
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.live("a command that cannot start is a spawn error", () =>
    Effect.gen(function* () {
      const error = yield* ChildProcess.run("/nonexistent/command", []).pipe(Effect.flip)
      assert.strictEqual(error.reason, "spawn")
      assert.include(error.message, "/nonexistent/command")
    }).pipe(Effect.provide(ChildProcess.layer))
  )
})

describe("ChildProcess.start", () => {
  it.live("waits for the line that says ready and stops the child when the scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const child = yield* ChildProcess.start(
        ...node(`console.log("booting"); setTimeout(() => console.log("listening on 4711"), 50);
                 setInterval(() => {}, 1000)`),
        { readyWhen: (line) => /^listening on (\d+)$/.exec(line)?.[1] }
      ).pipe(Scope.extend(scope))
      assert.strictEqual(child.ready, "4711")
      assert.strictEqual(yield* child.stdoutLines, 2)
      assert.isTrue(ChildProcess.alive(child.pid))
      yield* Scope.close(scope, Exit.void)
      const end = yield* child.exit
      assert.strictEqual(end.signal, "SIGTERM")
      assert.isFalse(ChildProcess.alive(child.pid))
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.live("a child that ignores SIGTERM gets SIGKILL after the grace", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const child = yield* ChildProcess.start(
        ...node(`process.on("SIGTERM", () => console.log("ignored")); console.log("up");
                 setInterval(() => {}, 1000)`),
        { readyWhen: (line) => (line === "up" ? true : undefined), stopGrace: "300 millis" }
      ).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      const end = yield* child.exit
      assert.strictEqual(end.signal, "SIGKILL")
      assert.include(end.stdout, "ignored")
      assert.isFalse(ChildProcess.alive(child.pid))
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.scopedLive("a child that ends before it is ready fails with what it printed", () =>
    Effect.gen(function* () {
      const error = yield* ChildProcess.start(
        ...node(`console.error("no config"); process.exit(2)`),
        { readyWhen: (line) => (line === "ready" ? true : undefined) }
      ).pipe(Effect.flip)
      assert.strictEqual(error.reason, "not-ready")
      assert.include(error.detail, "exit code 2")
      assert.include(error.output, "no config")
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.scopedLive("signal reaches the child; exit reports how it ended", () =>
    Effect.gen(function* () {
      const child = yield* ChildProcess.start(
        ...node(`process.on("SIGINT", () => { console.log("bye"); process.exit(130) });
                 console.log("up"); setInterval(() => {}, 1000)`),
        { readyWhen: (line) => (line === "up" ? true : undefined) }
      )
      yield* child.signal("SIGINT")
      const end = yield* child.exit
      assert.strictEqual(end.code, 130)
      assert.strictEqual(end.stdout, "up\nbye\n")
    }).pipe(Effect.provide(ChildProcess.layer))
  )
})
