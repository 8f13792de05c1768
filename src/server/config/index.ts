export { ADMIN_KEY_FILE, loadOrCreateAdminKey, type StoredAdminKey } from './admin-key.js';
export { makeAddressFilter, parseCidr, type Cidr } from './cidr.js';
export { ENV_VARIABLES } from './env.js';
export { ConfigError } from './errors.js';
export type { StaticRoute } from './file.js';
export { START_OPTIONS } from './flags.js';
export { EXAMPLE_CONFIG, START_HELP } from './help.js';
export { isHelpRequest, loadConfig, type HelpRequest, type LoadConfigInput, type ServerConfig } from './load.js';
export { DEFAULTS, SETTINGS, type SettingValues } from './settings.js';
