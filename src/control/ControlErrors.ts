/**
 * The control API's four errors, each with the HTTP status it answers with. Their own module
 * (effect's Schema only) so that what fails with them, such as the virtual decks, does not
 * load the typed API and its HTTP machinery.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

/** Discord is not connected (or not live) and the command's deadline passed. */
export class NotConnected extends Schema.TaggedError<NotConnected>()("NotConnected", {
  message: Schema.String,
  fix: Schema.optionalKey(Schema.String)
}, { httpApiStatus: 503 }) {}

/** Discord answered with an error. */
export class Refused extends Schema.TaggedError<Refused>()("Refused", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/** No such channel, sound, deck or control. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/** The request cannot be done as asked. */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {
  message: Schema.String
}, { httpApiStatus: 400 }) {}
