/**
 * Members' Discord avatars as local PNG files, for faces to draw. The RPC data names an avatar
 * by user id and hash; the picture comes from Discord's CDN (docs/discord-rpc.md#avatars) over
 * effect's `HttpClient`, and is kept in a cache directory bounded by total size (least
 * recently used files go first) and in a bounded map in memory. One fetch per avatar at a
 * time, a few at once; a failure is remembered and retried later with backoff, never on every
 * model change. Nothing from Discord becomes a path or a URL without passing the patterns
 * below.
 *
 * `withAvatars` puts the loaded files into the `VoiceModel` (`avatars`), so faces stay pure
 * functions of the model and redraw when a picture arrives.
 *
 * @since 0.3.0
 */
import { Clock, Context, Deferred, Duration, Effect, FileSystem, Layer, Path, Schema, Semaphore, Stream, SubscriptionRef } from "effect"
import { HttpClient } from "effect/http"
import { SNOWFLAKE_PATTERN } from "../protocol/Message.ts"
import { type Member, type VoiceModel, VoiceState } from "./VoiceState.ts"

// ---------------------------------------------------------------------------------------------
// names and addresses
// ---------------------------------------------------------------------------------------------

/** Discord's CDN. */
export const DISCORD_CDN = "https://cdn.discordapp.com"
/** An avatar hash: 32 hex digits, `a_` first when animated (the PNG is its first frame). */
export const AVATAR_HASH_PATTERN = /^(a_)?[0-9a-f]{32}$/
/** Pixels asked of the CDN: a power of two it serves, sharp on the largest key (120 px). */
export const AVATAR_SIZE = 128

/** The cache key and file stem of an avatar, or undefined when either part is not what Discord sends. */
export const avatarKey = (userId: string, hash: string | null | undefined): string | undefined =>
  typeof hash === "string" && SNOWFLAKE_PATTERN.test(userId) && AVATAR_HASH_PATTERN.test(hash)
    ? `${userId}-${hash}`
    : undefined

const KEY_PATTERN = /^(\d{17,20})-((?:a_)?[0-9a-f]{32})$/
const FILE_PATTERN = /^\d{17,20}-(?:a_)?[0-9a-f]{32}\.png$/

/** The CDN address of an avatar (docs/discord-rpc.md#avatars). `key` comes from `avatarKey`. */
export const avatarUrl = (baseUrl: string, key: string, size: number = AVATAR_SIZE): string => {
  const [, userId, hash] = KEY_PATTERN.exec(key) ?? []
  return `${baseUrl.replace(/\/+$/, "")}/avatars/${userId}/${hash}.png?size=${size}`
}

/**
 * Which of Discord's six default avatars a user without a picture has: `(id >> 22) % 6` for
 * the current username system (docs/discord-rpc.md#avatars). Faces tint the initials' disc
 * with its colour.
 */
export const defaultAvatarIndex = (userId: string): number =>
  SNOWFLAKE_PATTERN.test(userId) ? Number((BigInt(userId) >> 22n) % 6n) : 0

/** The loaded picture of a member, if any. */
export const avatarFile = (model: VoiceModel, member: Pick<Member, "id" | "avatar">): string | undefined => {
  const key = avatarKey(member.id, member.avatar)
  return key === undefined ? undefined : model.avatars?.get(key)
}

/** `$XDG_CACHE_HOME/deckcord/avatars`, else `~/.cache/deckcord/avatars`. */
export const avatarCacheDir = (env: Readonly<Record<string, string | undefined>>, home: string): string => {
  const xdg = env["XDG_CACHE_HOME"]
  const base = xdg !== undefined && xdg.startsWith("/") ? xdg : `${home}/.cache`
  return `${base}/deckcord/avatars`
}

// ---------------------------------------------------------------------------------------------
// errors and options
// ---------------------------------------------------------------------------------------------

/** An avatar could not be had; the face shows initials instead. */
export class AvatarError extends Schema.TaggedError<AvatarError>()("AvatarError", {
  key: Schema.String,
  reason: Schema.Literals(["Invalid", "NotFound", "Status", "Timeout", "Network", "TooLarge", "NotPng", "Disk"]),
  message: Schema.String
}) {}

export interface AvatarOptions {
  /** Where pictures are kept (`avatarCacheDir`). */
  readonly cacheDir: string
  /** The CDN (default `DISCORD_CDN`; tests and demos point it at a fake). */
  readonly baseUrl?: string
  /** One fetch, headers and body, at most this long (default 5 s). */
  readonly timeout?: Duration.Input
  /** The cache directory's bound (default 16 MiB: a thousand pictures or so). */
  readonly maxDiskBytes?: number
  /** A larger answer is refused (default 256 KiB; a 128 px PNG is ~10 kB). */
  readonly maxImageBytes?: number
  /** Avatars remembered in memory (default 512). */
  readonly memoryEntries?: number
  /** The first retry after a failure waits this long, doubling up to `retryCap` (defaults 30 s, 15 min). */
  readonly retryBase?: Duration.Input
  readonly retryCap?: Duration.Input
  /** Fetches at once (default 4): a full channel joining does not open fifty connections. */
  readonly concurrency?: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const isPng = (bytes: Uint8Array) => bytes.length > PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b)

type Entry =
  | { readonly _tag: "Loading"; readonly done: Deferred.Deferred<string, AvatarError> }
  | { readonly _tag: "Loaded"; readonly file: string }
  | { readonly _tag: "Failed"; readonly error: AvatarError; readonly retryAt: number; readonly failures: number }

// ---------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------

export class Avatars extends Context.Service<Avatars, {
  /** The file of an avatar, from memory, the disk or the CDN; concurrent calls share one fetch. */
  readonly load: (userId: string, hash: string | null) => Effect.Effect<string, AvatarError>
  /** The avatars shown now: each missing one is loaded in the background; a failed one is retried later. */
  readonly want: (members: Iterable<Pick<Member, "id" | "avatar">>) => Effect.Effect<void>
  /** Loaded avatars, `avatarKey` → file. */
  readonly files: Effect.Effect<ReadonlyMap<string, string>>
  /** The loaded avatars now, then on every change. */
  readonly changes: Stream.Stream<ReadonlyMap<string, string>>
}>()("deckcord/Avatars") {
  /** Over the `HttpClient` and `FileSystem` in context. */
  static readonly layer = (options: AvatarOptions): Layer.Layer<Avatars, never, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
    Layer.effect(Avatars, makeAvatars(options))
}

export const makeAvatars = (options: AvatarOptions) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const scope = yield* Effect.scope
    const baseUrl = options.baseUrl ?? DISCORD_CDN
    const timeout = Duration.fromInputUnsafe(options.timeout ?? "5 seconds")
    const maxDiskBytes = options.maxDiskBytes ?? 16 * 1024 * 1024
    const maxImageBytes = options.maxImageBytes ?? 256 * 1024
    const memoryEntries = Math.max(1, options.memoryEntries ?? 512)
    const retryBase = Duration.toMillis(Duration.fromInputUnsafe(options.retryBase ?? "30 seconds"))
    const retryCap = Duration.toMillis(Duration.fromInputUnsafe(options.retryCap ?? "15 minutes"))
    const fetches = yield* Semaphore.make(Math.max(1, options.concurrency ?? 4))

    const entries = new Map<string, Entry>()
    const loaded = yield* SubscriptionRef.make<ReadonlyMap<string, string>>(new Map())
    let wanted: ReadonlySet<string> = new Set()
    /** Files in the directory, least recently used first (Map keeps insertion order), with their sizes. */
    const disk = new Map<string, number>()
    let diskBytes = 0
    const told = new Set<string>()

    const publish = Effect.suspend(() => {
      const next = new Map<string, string>()
      for (const [key, entry] of entries) if (entry._tag === "Loaded") next.set(key, entry.file)
      return SubscriptionRef.set(loaded, next)
    })
    /** Remember an entry as the newest; past the bound the oldest settled ones are forgotten. */
    const remember = (key: string, entry: Entry) => {
      entries.delete(key)
      entries.set(key, entry)
      for (const [old, e] of entries) {
        if (entries.size <= memoryEntries) break
        if (e._tag !== "Loading" && old !== key) entries.delete(old)
      }
    }
    const fileOf = (key: string) => path.join(options.cacheDir, `${key}.png`)
    const fail = (key: string, reason: AvatarError["reason"], message: string) => new AvatarError({ key, reason, message })

    // the directory as it is at start: another run's pictures count against the bound
    yield* fs.makeDirectory(options.cacheDir, { recursive: true, mode: 0o700 }).pipe(Effect.ignore)
    const found = yield* fs.readDirectory(options.cacheDir).pipe(Effect.orElseSucceed((): Array<string> => []))
    const stats = yield* Effect.forEach(found.filter((name) => FILE_PATTERN.test(name)), (name) =>
      fs.stat(path.join(options.cacheDir, name)).pipe(
        Effect.map((info) => ({ key: name.slice(0, -4), size: Number(info.size), at: info.mtime._tag === "Some" ? info.mtime.value.getTime() : 0 })),
        Effect.orElseSucceed(() => undefined)
      ))
    for (const s of stats.filter((s) => s !== undefined).sort((a, b) => a.at - b.at)) {
      disk.set(s.key, s.size)
      diskBytes += s.size
    }

    /** Keep the directory within its bound, oldest first, never the file just used. */
    const trimDisk = (keep: string) =>
      Effect.gen(function*() {
        let dropped = false
        for (const [key, size] of disk) {
          if (diskBytes <= maxDiskBytes) break
          if (key === keep) continue
          disk.delete(key)
          diskBytes -= size
          yield* fs.remove(fileOf(key)).pipe(Effect.ignore)
          if (entries.get(key)?._tag === "Loaded") {
            entries.delete(key)
            dropped = true
          }
        }
        if (dropped) yield* publish
      })
    const noteOnDisk = (key: string, size: number) => {
      diskBytes -= disk.get(key) ?? 0
      disk.delete(key)
      disk.set(key, size)
      diskBytes += size
    }

    /** A picture another run (or this one) left: checked like a download. */
    const fromDisk = (key: string) =>
      Effect.gen(function*() {
        const file = fileOf(key)
        const bytes = yield* fs.readFile(file).pipe(Effect.orElseSucceed(() => undefined))
        if (bytes === undefined) return undefined
        if (bytes.length > maxImageBytes || !isPng(bytes)) {
          yield* fs.remove(file).pipe(Effect.ignore)
          return undefined
        }
        const now = yield* Clock.currentTimeMillis
        // its time says when it was last used: the bound drops the longest unused
        yield* fs.utimes(file, now / 1000, now / 1000).pipe(Effect.ignore)
        noteOnDisk(key, bytes.length)
        return file
      })

    const download = (key: string): Effect.Effect<Uint8Array, AvatarError> =>
      Effect.scoped(Effect.gen(function*() {
        const response = yield* http.get(avatarUrl(baseUrl, key), { headers: { accept: "image/png" } }).pipe(
          Effect.mapError((e) => fail(key, "Network", `the CDN did not answer (${e.reason._tag})`))
        )
        // the body is read, capped, whatever the status: an unread one holds its keep-alive connection
        const chunks: Array<Uint8Array> = []
        let total = 0
        const body = response.stream.pipe(
          Stream.mapError((e) => fail(key, "Network", `the answer broke off (${e.reason._tag})`)),
          Stream.runForEach((chunk) => {
            total += chunk.length
            chunks.push(chunk)
            return total > maxImageBytes ? Effect.fail(fail(key, "TooLarge", `more than ${maxImageBytes} bytes`)) : Effect.void
          })
        )
        if (response.status !== 200) {
          yield* Effect.ignore(body)
          return yield* response.status === 404
            ? fail(key, "NotFound", "the CDN has no such avatar (404)")
            : fail(key, "Status", `the CDN answered ${response.status}`)
        }
        const type = response.headers["content-type"] ?? ""
        if (!type.toLowerCase().startsWith("image/png")) {
          yield* Effect.ignore(body)
          return yield* fail(key, "NotPng", `the CDN sent ${type || "no type"}, not a PNG`)
        }
        const length = Number(response.headers["content-length"])
        if (Number.isFinite(length) && length > maxImageBytes) return yield* fail(key, "TooLarge", `${length} bytes is too large`)
        yield* body
        const bytes = Buffer.concat(chunks)
        if (!isPng(bytes)) return yield* fail(key, "NotPng", "the answer is not a PNG")
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      })).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(fail(key, "Timeout", `no answer within ${Duration.format(timeout)}`))
        })
      )

    const fromNetwork = (key: string) =>
      fetches.withPermit(download(key)).pipe(
        Effect.flatMap((bytes) => {
          const file = fileOf(key)
          const partial = `${file}.${process.pid}.part`
          // written whole, then renamed: a crash or a second run never sees half a picture
          return fs.writeFile(partial, bytes, { mode: 0o600 }).pipe(
            Effect.andThen(fs.rename(partial, file)),
            Effect.tapError(() => Effect.ignore(fs.remove(partial))),
            Effect.mapError((e) => fail(key, "Disk", `cannot write ${file}: ${e.message}`)),
            Effect.tap(() => Effect.sync(() => noteOnDisk(key, bytes.length))),
            Effect.tap(() => trimDisk(key)),
            Effect.as(file)
          )
        })
      )

    const settle = (key: string, done: Deferred.Deferred<string, AvatarError>, previous: number) =>
      (result: { readonly file: string } | { readonly error: AvatarError }) =>
        Effect.gen(function*() {
          if ("file" in result) {
            remember(key, { _tag: "Loaded", file: result.file })
            yield* publish
            return yield* Deferred.succeed(done, result.file)
          }
          const failures = previous + 1
          // a 404 is a picture replaced since: its new hash comes with the next event
          const wait = result.error.reason === "NotFound" ? retryCap : Math.min(retryCap, retryBase * 2 ** (failures - 1))
          const now = yield* Clock.currentTimeMillis
          remember(key, { _tag: "Failed", error: result.error, retryAt: now + wait, failures })
          if (!told.has(result.error.reason)) {
            told.add(result.error.reason)
            yield* Effect.logDebug(`avatar ${key}: ${result.error.message}; showing initials, trying again later`)
          }
          // still shown then: try again
          yield* Effect.sleep(Duration.millis(wait)).pipe(
            Effect.andThen(Effect.suspend(() => (wanted.has(key) ? Effect.ignore(load(key)) : Effect.void))),
            Effect.forkIn(scope)
          )
          return yield* Deferred.fail(done, result.error)
        })

    const load = (key: string): Effect.Effect<string, AvatarError> =>
      Effect.suspend(() => {
        const entry = entries.get(key)
        if (entry?._tag === "Loaded") {
          remember(key, entry)
          return Effect.succeed(entry.file)
        }
        if (entry?._tag === "Loading") return Deferred.await(entry.done)
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          if (entry?._tag === "Failed" && now < entry.retryAt) return Effect.fail(entry.error)
          const done = Deferred.makeUnsafe<string, AvatarError>()
          remember(key, { _tag: "Loading", done })
          const job = fromDisk(key).pipe(
            Effect.flatMap((file) => (file === undefined ? fromNetwork(key) : Effect.succeed(file))),
            Effect.matchEffect({
              onSuccess: (file) => settle(key, done, 0)({ file }),
              onFailure: (error) => settle(key, done, entry?._tag === "Failed" ? entry.failures : 0)({ error })
            })
          )
          // in the layer's scope: a caller that stops waiting does not cancel it for the others
          return Effect.forkIn(job, scope).pipe(Effect.andThen(Deferred.await(done)))
        })
      })

    return Avatars.of({
      load: (userId, hash) =>
        Effect.suspend(() => {
          const key = avatarKey(userId, hash)
          return key === undefined
            ? Effect.fail(fail(`${userId.slice(0, 24)}`, "Invalid", "not a Discord user id and avatar hash"))
            : load(key)
        }),
      want: (members) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const keys = new Set<string>()
          for (const m of members) {
            const key = avatarKey(m.id, m.avatar)
            if (key !== undefined) keys.add(key)
          }
          wanted = keys
          // new ones, and failed ones due again (their own retry found them not shown)
          const missing = [...keys].filter((key) => {
            const entry = entries.get(key)
            return entry === undefined || (entry._tag === "Failed" && now >= entry.retryAt)
          })
          return Effect.forEach(missing, (key) => Effect.forkIn(Effect.ignore(load(key)), scope), { discard: true })
        }),
      files: SubscriptionRef.get(loaded),
      changes: SubscriptionRef.changes(loaded)
    })
  })

// ---------------------------------------------------------------------------------------------
// into the model
// ---------------------------------------------------------------------------------------------

/** The members a model shows: your channel's and every watched channel's. */
const shownMembers = function*(model: VoiceModel): Iterable<Member> {
  if (model.channel !== null) yield* model.channel.members.values()
  for (const channel of model.watched.values()) yield* channel.members.values()
}

/**
 * `VoiceState` with the avatars of the members it shows in `avatars`: it asks `Avatars` for
 * every member on every change, and publishes again when a picture arrives. Members and
 * settings keep their identity (toggles compare them).
 */
export const withAvatars: Layer.Layer<VoiceState, never, VoiceState | Avatars> = Layer.effect(
  VoiceState,
  Effect.gen(function*() {
    const inner = yield* VoiceState
    const avatars = yield* Avatars
    const attach = (model: VoiceModel, files: ReadonlyMap<string, string>): VoiceModel => ({ ...model, avatars: files })
    yield* inner.changes.pipe(Stream.runForEach((model) => avatars.want(shownMembers(model))), Effect.forkScoped)
    return VoiceState.of({
      ...inner,
      get: Effect.zipWith(inner.get, avatars.files, attach),
      changes: inner.changes.pipe(Stream.zipLatest(avatars.changes), Stream.map(([model, files]) => attach(model, files)))
    })
  })
)
