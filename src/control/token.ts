/**
 * The HTTP control API's access token: 24 random bytes, URL-safe (it travels in the web UI's
 * address and cookie). Its own module so the daemon can make one before it loads the server.
 */
import { randomBytes } from "node:crypto"

export const makeToken = (): string => randomBytes(24).toString("base64url")
