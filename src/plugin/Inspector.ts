/**
 * The plugin's side of the property inspectors: setup (Application ID and secret, written to
 * deckcord's own 0600 config file, never to the host's settings), "Authorize" (reconnect, so
 * Discord asks for consent), the connection status, and the picker lists (members, devices,
 * sounds, servers and channels) read from Discord. The inspector asks with `sendToPlugin`;
 * answers go back with `sendToPropertyInspector` to the instance that asked.
 *
 * @since 0.1.0
 */
import { Deferred, Duration, Effect, Layer, Redacted, Result, Schema, Stream } from "effect"
import { isLive } from "../control/actions/index.ts"
import { DiscordRpc } from "../discord/DiscordRpc.ts"
import { Settings } from "../config/Settings.ts"
import { VoiceState, type VoiceModel } from "../discord/VoiceState.ts"
import { HostConnection } from "./HostConnection.ts"
import { PluginSurface } from "./PluginSurface.ts"

/** What an inspector may ask. */
export const InspectorRequest = Schema.Union([
  Schema.Struct({ type: Schema.Literal("status") }),
  Schema.Struct({ type: Schema.Literal("saveSetup"), clientId: Schema.String, clientSecret: Schema.String }),
  Schema.Struct({ type: Schema.Literal("authorize") }),
  /** `refresh`: ask Discord again instead of answering from the last lists. */
  Schema.Struct({ type: Schema.Literal("choices"), refresh: Schema.optionalKey(Schema.Boolean) })
])
export type InspectorRequest = typeof InspectorRequest.Type

/** One entry of a picker. */
export interface Choice {
  readonly id: string
  readonly name: string
}

/** Discord's lists can be slow on a big account; the inspector shows what came in time. */
const CHOICES_TIMEOUT = Duration.seconds(3)

export const connectionText = (model: VoiceModel, configured: boolean): string => {
  if (!configured) return "Not set up: enter the Application ID and secret below."
  switch (model.connection._tag) {
    case "Ready":
      if (!model.synced) return "Connected; reading your voice settings…"
      return `Connected to Discord${model.connection.user === undefined ? "" : ` as ${model.connection.user.username}`}.`
    case "Authenticating":
      return "Authorizing with Discord: check Discord for a consent prompt."
    case "Connecting":
      return "Connecting to Discord…"
    case "Disconnected":
      return "Discord is not running or not reachable; deckcord keeps trying."
  }
}

const unique = (choices: ReadonlyArray<Choice>): ReadonlyArray<Choice> =>
  [...new Map(choices.map((c) => [c.id, c] as const)).values()]

export const inspectorLayer: Layer.Layer<never, never, HostConnection | PluginSurface | Settings | DiscordRpc | VoiceState> =
  Layer.effectDiscard(
    Effect.gen(function*() {
      const host = yield* HostConnection
      const surface = yield* PluginSurface
      const settings = yield* Settings
      const rpc = yield* DiscordRpc
      const voice = yield* VoiceState
      /** Answers run beside the event reader, and stop with the plugin. */
      const scope = yield* Effect.scope

      const status = Effect.gen(function*() {
        const config = yield* settings.config
        const model = yield* voice.get
        return {
          type: "status",
          clientId: config.clientId ?? "",
          hasSecret: config.clientSecret !== undefined,
          // connected and synced: what the keys show is current
          connected: isLive(model),
          message: connectionText(model, config.clientId !== undefined),
          configFile: settings.file
        }
      })

      const choices = Effect.gen(function*() {
        const model = yield* voice.get
        const members = [model.channel, ...model.watched.values()].flatMap((c) =>
          c === null ? [] : [...c.members.values()].map((m) => ({ id: m.id, name: m.name }))
        )
        const devices = (io: { readonly available_devices?: ReadonlyArray<{ id: string; name: string }> } | undefined) =>
          (io?.available_devices ?? []).map((d) => ({ id: d.id, name: d.name }))
        const sounds = model.soundboard.map((s) => ({ id: s.sound_id, name: s.name ?? s.sound_id, guild: s.guild_id ?? "0" }))
        const guilds = yield* rpc.getGuilds.pipe(Effect.timeout(CHOICES_TIMEOUT), Effect.orElseSucceed(() => []))
        const channels = yield* Effect.forEach(
          guilds,
          (g) =>
            rpc.getChannels(g.id).pipe(
              Effect.map((list) => list.map((c) => ({ id: c.id, name: `${g.name ?? g.id} / ${c.name ?? c.id}`, type: c.type ?? 0 }))),
              Effect.orElseSucceed(() => [])
            ),
          { concurrency: 4 }
        ).pipe(Effect.timeout(CHOICES_TIMEOUT), Effect.orElseSucceed(() => []))
        const all = channels.flat()
        return {
          type: "choices",
          members: unique(members),
          inputDevices: devices(model.settings?.input),
          outputDevices: devices(model.settings?.output),
          sounds,
          // GUILD_VOICE (2) and stage (13) channels are joinable; the rest are text-like
          voiceChannels: all.filter((c) => c.type === 2 || c.type === 13).map(({ id, name }) => ({ id, name })),
          textChannels: all.filter((c) => c.type !== 2 && c.type !== 13).map(({ id, name }) => ({ id, name }))
        }
      })

      // OpenDeck loads an inspector for every instance on the page, and each asks for the
      // lists: they share one fetch (servers, channels) until the user asks for fresh ones
      let cachedChoices: Deferred.Deferred<Effect.Success<typeof choices>> | undefined
      const sharedChoices = (refresh: boolean) =>
        Effect.gen(function*() {
          if (cachedChoices === undefined || refresh) {
            const next = yield* Deferred.make<Effect.Success<typeof choices>>()
            cachedChoices = next
            yield* Effect.forkIn(Effect.flatMap(choices, (c) => Deferred.succeed(next, c)), scope)
          }
          return yield* Deferred.await(cachedChoices)
        })

      const reply = (context: string, payload: unknown) => host.send({ event: "sendToPropertyInspector", context, payload })

      const answer = (context: string, request: InspectorRequest) =>
        Effect.gen(function*() {
          switch (request.type) {
            case "status":
              return yield* reply(context, yield* status)
            case "authorize":
              yield* rpc.reconnect
              return yield* reply(context, yield* status)
            case "choices":
              return yield* reply(context, yield* sharedChoices(request.refresh === true))
            case "saveSetup": {
              const saved = yield* settings.saveCredentials(request.clientId.trim(), Redacted.make(request.clientSecret.trim())).pipe(
                Effect.result
              )
              if (Result.isFailure(saved)) return yield* reply(context, { type: "error", message: saved.failure.message })
              yield* Effect.logInfo("application id and secret saved; reconnecting to Discord")
              yield* rpc.reconnect
              return yield* reply(context, yield* status)
            }
          }
        })

      // inspectors on show hear when the connection or the setup changes, without asking;
      // lists fetched while Discord was away are empty, so a new connection fetches them again
      const shown = new Set<string>()
      let wasConnected = false
      yield* Stream.merge(voice.changes, settings.changes).pipe(
        Stream.mapEffect(() => status),
        Stream.changesWith((a, b) => JSON.stringify(a) === JSON.stringify(b)),
        Stream.runForEach((s) =>
          Effect.gen(function*() {
            yield* Effect.forEach([...shown], (context) => reply(context, s), { discard: true })
            const connectedNow = s.connected && !wasConnected
            wasConnected = s.connected
            if (!connectedNow) return
            cachedChoices = undefined
            if (shown.size > 0) {
              const lists = yield* sharedChoices(false)
              yield* Effect.forEach([...shown], (context) => reply(context, lists), { discard: true })
            }
          })
        ),
        Effect.forkScoped
      )

      yield* surface.uiEvents.pipe(
        Stream.runForEach((event) => {
          if (event.event === "propertyInspectorDidDisappear") return Effect.sync(() => void shown.delete(event.context))
          if (event.event === "propertyInspectorDidAppear") {
            shown.add(event.context)
            return Effect.forkIn(answer(event.context, { type: "status" }), scope)
          }
          if (event.event !== "sendToPlugin") return Effect.void
          const request = Schema.decodeUnknownResult(InspectorRequest)(event.payload)
          if (Result.isFailure(request)) {
            // only the type: a malformed setup message may still carry a secret
            const type = (event.payload as { readonly type?: unknown } | null)?.type
            return Effect.logWarning(`ignoring an inspector message deckcord does not know (type ${JSON.stringify(type ?? null)})`)
          }
          // one slow answer (Discord's lists) must not hold up the next
          return Effect.forkIn(answer(event.context, request.success), scope)
        }),
        Effect.forkScoped
      )
    })
  )
