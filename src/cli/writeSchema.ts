/**
 * `npm run schema`: regenerate schema/config.schema.json from the config's Effect schemas.
 * A test fails while the shipped file is out of date.
 */
import * as Fs from "node:fs"
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "../control/ConfigSchema.ts"

const target = new URL(`../../${CONFIG_SCHEMA_FILE}`, import.meta.url)
Fs.writeFileSync(target, configJsonSchemaText())
console.log(`wrote ${CONFIG_SCHEMA_FILE}`)
