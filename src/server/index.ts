// The composition root's public face: the proxy for embedding, its configuration loader, routes,
// metrics and logger.
export { createProxy, KafkaWsProxy, type ListenOptions, type ProxyOptions } from './proxy.js';
export { createDemoTokens, type DemoTokens } from './demo/token.js';
export { loadConfig, isHelpRequest, makeAddressFilter, ConfigError, START_HELP, type ServerConfig } from './config/index.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { Registry } from './metrics/index.js';
export { RouteStore } from './routes/store.js';
export { validateRoute } from './routes/schema.js';
export type { KafkaRoute, RouteValue } from './routes/route.js';
export { ProxyError } from './errors.js';
