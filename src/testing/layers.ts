/**
 * Layer recipes for tests: deckcord's Discord side wired to a `FakeDiscord`.
 *
 * @since 0.1.0
 */
import { Duration, Layer, Redacted } from "effect"
import { Authenticator } from "../discord/Authenticator.ts"
import { DiscordIpc } from "../discord/DiscordIpc.ts"
import { DiscordRpc, type ReconnectOptions } from "../discord/DiscordRpc.ts"
import { VoiceState } from "../discord/VoiceState.ts"
import { FIXTURE_CLIENT_ID } from "./fakeDiscord/fixtures.ts"

/** Reconnect within tens of milliseconds: tests restart the fake and should not wait seconds. */
export const FAST_RECONNECT: ReconnectOptions = {
  absentBase: Duration.millis(20),
  absentCap: Duration.millis(100),
  failureBase: Duration.millis(50),
  failureCap: Duration.millis(200)
}

export interface FakeDiscordClientOptions {
  /** An access token the fake's authority accepts (see `simpleAuthority`). */
  readonly token: string
  readonly clientId?: string
  readonly reconnect?: ReconnectOptions
  /** Instead of AUTHENTICATE with `token`. */
  readonly authenticator?: Layer.Layer<Authenticator>
  /** The model over the client (default `VoiceState.layer`; e.g. the daemon's, with avatars). */
  readonly voiceState?: Layer.Layer<VoiceState, never, DiscordRpc>
}

/** `VoiceState` and `DiscordRpc`, connected to a fake's socket, authenticated with a token. */
export const fakeDiscordClient = (
  fake: { readonly socketPath: string },
  options: FakeDiscordClientOptions
): Layer.Layer<VoiceState | DiscordRpc> =>
  (options.voiceState ?? VoiceState.layer).pipe(
    Layer.provideMerge(
      DiscordRpc.layer({ clientId: options.clientId ?? FIXTURE_CLIENT_ID, reconnect: options.reconnect ?? FAST_RECONNECT })
    ),
    Layer.provide(
      Layer.mergeAll(
        DiscordIpc.layerWith({ socketPaths: [fake.socketPath] }),
        options.authenticator ?? Authenticator.accessToken(Redacted.make(options.token))
      )
    )
  )
