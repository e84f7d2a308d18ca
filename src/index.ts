/**
 * deckcord as a library: Effect layers for Discord's local RPC and the Stream Deck.
 *
 * @since 0.1.0
 */
export * as Frame from "./protocol/Frame.ts"
export * as Message from "./protocol/Message.ts"
export * as RpcError from "./protocol/RpcError.ts"
export * as SocketPath from "./protocol/SocketPath.ts"
export * from "./services/Face.ts"
export { KeyRenderer } from "./services/KeyRenderer.ts"
export { VERSION } from "./version.ts"
