import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, FileSystem, Layer } from "effect"
import { TestClock } from "effect/testing"
import { readFileSync } from "node:fs"
import { type AvatarOptions, Avatars, avatarUrl, defaultAvatarIndex, keepAliveHttpClient } from "../src/index.ts"
import { type FakeAvatarCdn, makeFakeAvatarCdn, solidPng } from "../src/testing/index.ts"

const ALICE = "100000000000000001"
const BOB = "100000000000000002"
const HASH_A = "0123456789abcdef0123456789abcdef"
const HASH_B = "a_fedcba9876543210fedcba9876543210"
const RED = solidPng([255, 0, 0], 64)
const BLUE = solidPng([0, 0, 255], 64)

/** A cache directory for the test's scope, and the fake CDN with Alice's and Bob's pictures. */
const setup = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-avatars-" })
  const cdn = yield* makeFakeAvatarCdn
  cdn.add(ALICE, HASH_A, RED)
  cdn.add(BOB, HASH_B, BLUE)
  return { dir, cdn, fs }
}).pipe(Effect.provide(NodeServices.layer))

/** Run `f` with an Avatars service of its own (a fresh memory, the given directory). */
const withAvatars = <A, E>(
  cdn: FakeAvatarCdn,
  options: Omit<AvatarOptions, "baseUrl">,
  f: (avatars: Avatars["Service"]) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    return yield* f(yield* Avatars)
  }).pipe(
    Effect.provide(
      Avatars.layer({ baseUrl: cdn.baseUrl, ...options }).pipe(Layer.provide(Layer.mergeAll(keepAliveHttpClient(), NodeServices.layer)))
    )
  )

const reasonOf = (exit: Exit.Exit<unknown, { readonly reason: string }>) =>
  Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" ? exit.cause.reasons[0].error.reason : undefined

describe("Avatars", () => {
  it("builds the CDN address and the default avatar from the id", () => {
    assert.strictEqual(
      avatarUrl("https://cdn.discordapp.com/", `${ALICE}-${HASH_A}`, 64),
      `https://cdn.discordapp.com/avatars/${ALICE}/${HASH_A}.png?size=64`
    )
    // (id >> 22) % 6, as Discord documents for users without a discriminator
    assert.strictEqual(defaultAvatarIndex("80351110224678912"), Number((80351110224678912n >> 22n) % 6n))
    assert.strictEqual(defaultAvatarIndex("not an id"), 0)
  })

  it.effect("fetches once, then serves from disk: a second instance reads the file without the network", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      const file = yield* withAvatars(cdn, { cacheDir: dir }, (a) =>
        Effect.gen(function*() {
          const first = yield* a.load(ALICE, HASH_A)
          const again = yield* a.load(ALICE, HASH_A)
          assert.strictEqual(again, first)
          assert.deepStrictEqual([...(yield* a.files).entries()], [[`${ALICE}-${HASH_A}`, first]])
          return first
        }))
      assert.strictEqual(cdn.requestCount(ALICE, HASH_A), 1)
      assert.deepStrictEqual(new Uint8Array(readFileSync(file)), RED)
      cdn.setMode("fail")
      const fromDisk = yield* withAvatars(cdn, { cacheDir: dir }, (a) => a.load(ALICE, HASH_A))
      assert.strictEqual(fromDisk, file)
      assert.strictEqual(cdn.requestCount(), 1, "the second instance must not ask the CDN")
    }).pipe(Effect.scoped))

  it.effect("keeps the directory within its size bound, dropping the least recently used picture", () =>
    Effect.gen(function*() {
      const { cdn, dir, fs } = yield* setup
      yield* withAvatars(cdn, { cacheDir: dir, maxDiskBytes: RED.length + BLUE.length - 1 }, (a) =>
        Effect.gen(function*() {
          const alice = yield* a.load(ALICE, HASH_A)
          const bob = yield* a.load(BOB, HASH_B)
          assert.isFalse(yield* fs.exists(alice), "the older picture is removed")
          assert.isTrue(yield* fs.exists(bob))
          assert.deepStrictEqual([...(yield* a.files).keys()], [`${BOB}-${HASH_B}`])
        }))
      // a new run counts what the last one left against the bound too
      cdn.add(ALICE, HASH_A, RED)
      yield* withAvatars(cdn, { cacheDir: dir, maxDiskBytes: RED.length + BLUE.length - 1 }, (a) => a.load(ALICE, HASH_A))
      assert.deepStrictEqual((yield* fs.readDirectory(dir)).sort(), [`${ALICE}-${HASH_A}.png`])
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))

  it.effect("shares one fetch among concurrent requests for an avatar", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      const files = yield* withAvatars(cdn, { cacheDir: dir }, (a) =>
        Effect.all(Array.from({ length: 12 }, () => a.load(ALICE, HASH_A)), { concurrency: "unbounded" }))
      assert.strictEqual(new Set(files).size, 1)
      assert.strictEqual(cdn.requestCount(ALICE, HASH_A), 1)
    }).pipe(Effect.scoped))

  it.effect("refuses ids and hashes that are not Discord's, before any path or request is made", () =>
    Effect.gen(function*() {
      const { cdn, dir, fs } = yield* setup
      yield* withAvatars(cdn, { cacheDir: dir }, (a) =>
        Effect.gen(function*() {
          for (const [id, hash] of [[ALICE, "../../../etc/passwd"], ["../x", HASH_A], [ALICE, HASH_A.toUpperCase()], [ALICE, null]] as const) {
            assert.strictEqual(reasonOf(yield* Effect.exit(a.load(id, hash))), "Invalid")
          }
          yield* a.want([{ id: ALICE, avatar: "a_../../x" }, { id: "1", avatar: HASH_A }])
        }))
      assert.strictEqual(cdn.requestCount(), 0)
      assert.deepStrictEqual(yield* fs.readDirectory(dir), [])
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))

  it.effect("a 404, a 503, a cut connection, a page that is no PNG and a picture too large each fail typed", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      const reasons: Array<string | undefined> = []
      for (const mode of ["ok", "fail", "cut", "html"] as const) {
        cdn.setMode(mode)
        // a fresh instance each time: a failure is remembered
        reasons.push(reasonOf(yield* Effect.exit(withAvatars(cdn, { cacheDir: dir }, (a) => a.load(BOB, HASH_A)))))
      }
      cdn.setMode("ok")
      reasons.push(reasonOf(yield* Effect.exit(withAvatars(cdn, { cacheDir: dir, maxImageBytes: 100 }, (a) => a.load(ALICE, HASH_A)))))
      assert.deepStrictEqual(reasons, ["NotFound", "Status", "Network", "NotPng", "TooLarge"])
    }).pipe(Effect.scoped))

  it.effect("a picture that failed while not shown is fetched when it is shown again after its backoff", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      cdn.setMode("fail")
      yield* withAvatars(cdn, { cacheDir: dir, retryBase: "30 seconds" }, (a) =>
        Effect.gen(function*() {
          yield* a.want([{ id: ALICE, avatar: HASH_A }])
          yield* cdn.awaitRequests(1)
          // Alice leaves before the retry: it finds her not shown and does nothing
          yield* a.want([])
          yield* TestClock.adjust("30 seconds")
          assert.strictEqual(cdn.requestCount(), 1)
          cdn.setMode("ok")
          yield* a.want([{ id: ALICE, avatar: HASH_A }])
          yield* cdn.awaitRequests(2)
          yield* a.load(ALICE, HASH_A)
        }))
    }).pipe(Effect.scoped))

  it.effect("gives up on a CDN that does not answer after the timeout", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      cdn.setMode("hang")
      const exit = yield* withAvatars(cdn, { cacheDir: dir, timeout: "2 seconds" }, (a) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(a.load(ALICE, HASH_A)))
          yield* cdn.awaitRequests(1)
          yield* TestClock.adjust("2 seconds")
          return yield* Fiber.join(fiber)
        }))
      assert.strictEqual(reasonOf(exit), "Timeout")
    }).pipe(Effect.scoped))

  it.effect("remembers a failure: no request until the backoff passes, then one retry while it is still shown", () =>
    Effect.gen(function*() {
      const { cdn, dir } = yield* setup
      cdn.setMode("fail")
      yield* withAvatars(cdn, { cacheDir: dir, retryBase: "30 seconds" }, (a) =>
        Effect.gen(function*() {
          yield* a.want([{ id: ALICE, avatar: HASH_A }])
          yield* cdn.awaitRequests(1)
          // every model change asks again; none of them reaches the CDN
          for (let i = 0; i < 5; i++) yield* a.want([{ id: ALICE, avatar: HASH_A }])
          assert.strictEqual(reasonOf(yield* Effect.exit(a.load(ALICE, HASH_A))), "Status")
          assert.strictEqual(cdn.requestCount(), 1)
          cdn.setMode("ok")
          yield* TestClock.adjust("30 seconds")
          yield* cdn.awaitRequests(2)
          const file = yield* a.load(ALICE, HASH_A)
          assert.deepStrictEqual([...(yield* a.files).values()], [file])
        }))
    }).pipe(Effect.scoped))
})
