// The version printed by --version and written into presence entries.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
