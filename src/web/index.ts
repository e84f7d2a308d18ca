/**
 * The web UI: pages served by the daemon's control server, behind its token, Host and Origin
 * checks. Pass `webUiRoutes` in the control server's `routes`; what they need from Discord
 * comes through the control side (`WebLookups`).
 *
 * @since 0.2.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Layer } from "effect"
import { WebLookups } from "../control/WebLookups.ts"
import { ConfigEditor } from "./ConfigEditor.ts"
import { WebUiRoutes } from "./routes.ts"

export { ConfigConflict, ConfigEditor, ConfigInvalid, type ConfigProblem, type ConfigSnapshot } from "./ConfigEditor.ts"
export { CATALOG, type CatalogAction, type CatalogField, type CatalogGroup, type FieldKind } from "./catalog.ts"
export { type LogEntry, LogTail } from "./LogTail.ts"
export { type StatusView } from "../control/WebLookups.ts"

/** The web UI's pages and routes, with the config editor they save through. */
export const webUiRoutes = WebUiRoutes.pipe(
  Layer.provide(WebLookups.layer),
  Layer.provide(ConfigEditor.layer),
  Layer.provide(NodeFileSystem.layer)
)
