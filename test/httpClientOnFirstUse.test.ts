/**
 * The OAuth client's HTTP stack is built on the first request (its https agent initialises
 * TLS, which most daemon runs never need), once, and released with the layer's scope.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { httpClientOnFirstUse, nodeHttpClientOnFirstUse } from "../src/index.ts"

describe("httpClientOnFirstUse", () => {
  it.effect("builds the real client on the first request only, and releases it with the scope", () =>
    Effect.gen(function*() {
      let built = 0
      let released = 0
      let requests = 0
      const real = Layer.effect(
        HttpClient.HttpClient,
        Effect.acquireRelease(
          Effect.sync(() => {
            built++
            return HttpClient.make((request) =>
              Effect.sync(() => {
                requests++
                return HttpClientResponse.fromWeb(request, new Response(`reply ${requests}`))
              })
            )
          }),
          () => Effect.sync(() => void released++)
        )
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(httpClientOnFirstUse(real))
        const client = context.pipe((c) => c)
        const http = yield* HttpClient.HttpClient.pipe(Effect.provide(client))
        assert.strictEqual(built, 0, "nothing built before a request")
        const first = yield* http.execute(HttpClientRequest.get("http://127.0.0.1/one"))
        const second = yield* http.execute(HttpClientRequest.get("http://127.0.0.1/two"))
        assert.deepStrictEqual([yield* first.text, yield* second.text], ["reply 1", "reply 2"])
        assert.strictEqual(built, 1, "built once")
        assert.strictEqual(released, 0)
      }))
      assert.strictEqual(released, 1, "released with the layer's scope")
    }))
})

describe("nodeHttpClientOnFirstUse", () => {
  it.effect("loads node:http's client on the first request and talks to a real server with it", () =>
    Effect.gen(function*() {
      const server = Http.createServer((request, response) => response.end(`got ${request.url}`))
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const { port } = server.address() as AddressInfo
      const http = yield* HttpClient.HttpClient.pipe(
        Effect.provide(nodeHttpClientOnFirstUse({ keepAlive: true, maxSockets: 1 }))
      )
      const reply = yield* http.execute(HttpClientRequest.get(`http://127.0.0.1:${port}/avatar.png`))
      assert.strictEqual(yield* reply.text, "got /avatar.png")
    }).pipe(Effect.scoped))
})
