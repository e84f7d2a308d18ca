/**
 * A loopback stand-in for Discord's CDN (docs/discord-rpc.md#avatars): a `node:http` server on
 * 127.0.0.1 that serves `/avatars/<user>/<hash>.png` for the avatars a test registered, as
 * real PNGs (`solidPng`), 404 for anything else, and can be told to hang, fail with a 5xx,
 * cut the connection, or answer with something that is not a PNG. It counts requests per
 * path, so a test can prove one fetch per avatar or none at all.
 *
 * @since 0.3.0
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import { Effect, type Scope } from "effect"

/** How the CDN answers. @category models */
export type FakeCdnMode =
  /** Registered avatars as PNGs, 404 otherwise. */
  | "ok"
  /** Accept, then never answer. */
  | "hang"
  /** 503 for everything. */
  | "fail"
  /** Close the connection without an answer, as when the network is down. */
  | "cut"
  /** 200 with `text/html`, as a captive portal does. */
  | "html"

/** The running fake. @category models */
export interface FakeAvatarCdn {
  /** Give Avatars this as its `baseUrl`. */
  readonly baseUrl: string
  /** Serve `png` for this user and hash (default: a solid picture of `rgb`). */
  readonly add: (userId: string, hash: string, png: Uint8Array) => void
  readonly setMode: (mode: FakeCdnMode) => void
  /** Requests so far for one avatar, or for all. */
  readonly requestCount: (userId?: string, hash?: string) => number
  /** Succeeds once at least `n` requests have arrived (for one avatar, or any). */
  readonly awaitRequests: (n: number, userId?: string, hash?: string) => Effect.Effect<void>
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Uint8Array) => {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const out = Buffer.alloc(body.length + 8)
  out.writeUInt32BE(data.length, 0)
  body.copy(out, 4)
  out.writeUInt32BE(crc32(body), body.length + 4)
  return out
}

/** A PNG of one colour, `size`×`size` (RGB, 8 bits): what a test can look for in a rendered key. */
export const solidPng = (rgb: readonly [number, number, number], size = 128): Uint8Array => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // truecolour
  const row = Buffer.alloc(1 + size * 3)
  for (let x = 0; x < size; x++) row.set(rgb, 1 + x * 3)
  const raw = Buffer.concat(Array.from({ length: size }, () => row))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", Zlib.deflateSync(raw)),
    chunk("IEND", new Uint8Array())
  ])
}

/** Start the fake for the calling scope. */
export const makeFakeAvatarCdn: Effect.Effect<FakeAvatarCdn, never, Scope.Scope> = Effect.gen(function*() {
  const pictures = new Map<string, Uint8Array>()
  const counts = new Map<string, number>()
  const waiters = new Set<() => void>()
  let total = 0
  let mode: FakeCdnMode = "ok"
  const hanging = new Set<Http.ServerResponse>()

  const server = Http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://cdn").pathname
    total++
    counts.set(path, (counts.get(path) ?? 0) + 1)
    for (const wake of waiters) wake()
    if (mode === "hang") {
      hanging.add(res)
      return
    }
    if (mode === "cut") return void req.socket.destroy()
    if (mode === "fail") return void res.writeHead(503, { "content-type": "text/plain" }).end("unavailable")
    if (mode === "html") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>sign in</html>")
    const png = pictures.get(path)
    if (png === undefined) return void res.writeHead(404, { "content-type": "application/json" }).end("{\"message\":\"404: Not Found\"}")
    res.writeHead(200, { "content-type": "image/png", "content-length": png.length }).end(png)
  })
  const port = yield* Effect.acquireRelease(
    Effect.callback<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.callback<void>((resume) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
  const pathOf = (userId: string, hash: string) => `/avatars/${userId}/${hash}.png`
  const requestCount = (userId?: string, hash?: string) =>
    userId === undefined || hash === undefined ? total : counts.get(pathOf(userId, hash)) ?? 0
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    add: (userId, hash, png) => void pictures.set(pathOf(userId, hash), png),
    setMode: (next) => {
      mode = next
    },
    requestCount,
    awaitRequests: (n, userId, hash) =>
      Effect.callback<void>((resume) => {
        const check = () => {
          if (requestCount(userId, hash) < n) return
          waiters.delete(check)
          resume(Effect.void)
        }
        waiters.add(check)
        check()
        return Effect.sync(() => void waiters.delete(check))
      })
  }
})
