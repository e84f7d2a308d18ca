/**
 * Pages: a key or dial press that shows another page of the deck's layout, so a small deck
 * holds more than its keys. Navigation is local: it works while Discord is unavailable.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { defineAction } from "./types.ts"

/** The deck's own `keys` and `encoders`; every other page is named in its `pages`. */
export const HOME_PAGE = "home"

export const PageOptions = Schema.Struct({
  page: Schema.NonEmptyString
})

export const page = defineAction({
  name: "page",
  summary: `Show another page of this deck's layout ("${HOME_PAGE}": its own keys).`,
  title: "Page",
  icon: "folder",
  options: PageOptions,
  offline: true,
  initial: () => undefined,
  face: (_model, options) =>
    options.page === HOME_PAGE
      ? { icon: "back", tone: "neutral", label: "Back" }
      : { icon: "folder", tone: "neutral", label: options.page },
  handle: (input, { navigate, options }) => (input._tag === "Press" ? navigate(options.page) : Effect.void)
})
