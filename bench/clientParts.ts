/**
 * The pieces of one deckcord request, timed alone, to say where a round trip's client-side
 * time goes: nonce, encode, decode of the reply, the envelope Schema, and the Effect
 * machinery around waiting for the reply (with and without the reply timeout).
 */
import { Deferred, Duration, Effect, Exit } from "effect"
import { randomUUID } from "node:crypto"
import { encodeFrame, makeFrameDecoder, Opcode } from "../src/protocol/Frame.ts"
import { commandEnvelope, decodeInbound } from "../src/protocol/Message.ts"
import { fixtures } from "../src/testing/index.ts"
// white-box: the fake's voice model alone makes the reply payload, without a socket
import { World } from "../src/testing/fakeDiscord/world.ts"
import { type Row, summarize } from "./stats.ts"

const GROUP = "request parts"
/** Operations per sample, and samples: the mean of 2,000 ops, 25 times. */
const OPS = 2_000
const SAMPLES = 25

const microseconds = (op: () => void): Array<number> => {
  for (let i = 0; i < OPS; i++) op()
  const samples: Array<number> = []
  for (let s = 0; s < SAMPLES; s++) {
    const start = performance.now()
    for (let i = 0; i < OPS; i++) op()
    samples.push(((performance.now() - start) / OPS) * 1000)
  }
  return samples
}

const microsecondsEffect = async (op: Effect.Effect<unknown>): Promise<Array<number>> =>
  Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < OPS; i++) yield* op
    const samples: Array<number> = []
    for (let s = 0; s < SAMPLES; s++) {
      const start = performance.now()
      for (let i = 0; i < OPS; i++) yield* op
      samples.push(((performance.now() - start) / OPS) * 1000)
    }
    return samples
  }))

/** A reply completed on the next turn of the event loop, as a socket read would. */
const replyLater = () => {
  const reply = Deferred.makeUnsafe<number>()
  setImmediate(() => Deferred.doneUnsafe(reply, Exit.succeed(1)))
  return reply
}

export async function benchClientParts(): Promise<Array<Row>> {
  const world = new World({ user: fixtures.user, voiceSettings: undefined, initialVoiceChannelId: undefined }, { emit: () => {} })
  const reply = encodeFrame(Opcode.Frame, { cmd: "GET_VOICE_SETTINGS", data: world.voiceSettings(), evt: null, nonce: randomUUID() })
  const decoder = makeFrameDecoder()
  const payload = decoder.push(reply).frames[0]?.payload
  const row = (name: string, samples: Array<number>, note?: string) =>
    summarize(GROUP, name, "µs", samples, note === undefined ? {} : { note })
  return [
    row("randomUUID (nonce)", microseconds(() => randomUUID())),
    row("encode the request frame", microseconds(() => encodeFrame(Opcode.Frame, commandEnvelope("GET_VOICE_SETTINGS", randomUUID(), {})))),
    row(`decode the ${reply.length} B reply frame (UTF-8 + JSON.parse)`, microseconds(() => decoder.push(reply))),
    row("decodeInbound: the envelope Schema", microseconds(() => decodeInbound(payload))),
    row(
      "await a reply (Deferred), no timeout",
      await microsecondsEffect(Effect.suspend(() => Deferred.await(replyLater()))),
      "includes one setImmediate turn, as the real reply arrives on a later event-loop turn"
    ),
    row(
      "await a reply with a timer armed at send (as DiscordRpc does)",
      await microsecondsEffect(Effect.suspend(() => {
        const reply = replyLater()
        const timer = setTimeout(() => Deferred.doneUnsafe(reply, Exit.succeed(0)), 15_000)
        return Deferred.await(reply).pipe(Effect.ensuring(Effect.sync(() => clearTimeout(timer))))
      })),
      "the difference to the no-timeout row is what the reply timeout costs per request"
    ),
    row(
      "await a reply with Effect.timeoutOrElse (the earlier design)",
      await microsecondsEffect(Effect.suspend(() =>
        Deferred.await(replyLater()).pipe(
          Effect.timeoutOrElse({ duration: Duration.millis(15_000), orElse: () => Effect.succeed(0) })
        )
      )),
      "racing a sleep fiber per request: why DiscordRpc arms a plain timer instead"
    )
  ]
}
