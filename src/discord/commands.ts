/**
 * The typed commands of the Discord client (docs/discord-rpc.md#voice-commands): their
 * options and the decoding of their replies.
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import { ReplyDecodeError } from "./RpcErrors.ts"

/** @category models */
export interface SelectVoiceChannelOptions {
  /** Move even when in another voice channel (deck software always does, docs/discord-rpc.md#select_voice_channel). Default true. */
  readonly force?: boolean
  /** Seconds Discord may wait to learn about the channel, 0–60. Default 10. */
  readonly timeoutSeconds?: number
  readonly navigate?: boolean
}

/** @category models */
export interface UserVoiceSettingsPatch {
  readonly volume?: number
  readonly mute?: boolean
  readonly pan?: { readonly left: number; readonly right: number }
}

export const decodeReply = <S extends Schema.Top & { readonly DecodingServices: never }>(cmd: string, schema: S) =>
(data: unknown): Effect.Effect<S["Type"], ReplyDecodeError> =>
  Schema.decodeUnknownEffect(schema)(data).pipe(
    Effect.mapError((e) => new ReplyDecodeError({ cmd, detail: e.message }))
  ) as Effect.Effect<S["Type"], ReplyDecodeError>
