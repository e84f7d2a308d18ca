/**
 * End to end through the full layers (DiscordRpc → VoiceState → Controller → Deck on a
 * FakeDeck): a Discord event until the key's face is written, and a key press until the
 * command frame reaches the fake. Targets: event → face median ≤ 2 ms, p99 ≤ 5 ms;
 * press → frame median ≤ 1 ms.
 */
import { pending, type Row } from "./stats.ts"

const GROUP = "end to end"
const WHY = "the Controller (deck ⇄ Discord wiring) has not landed on main yet; measured once it has"

export async function benchEndToEnd(): Promise<Array<Row>> {
  return [
    pending(GROUP, "Discord event → face written on a FakeDeck", "median ≤ 2 ms, p99 ≤ 5 ms", WHY),
    pending(GROUP, "key press → command frame on the fake's socket", "median ≤ 1 ms", WHY),
    pending(GROUP, "storm through VoiceState + Controller: faces written vs events", "writes coalesced", WHY)
  ]
}
