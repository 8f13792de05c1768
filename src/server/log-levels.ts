/** Log levels, least severe first; a logger at one level drops messages of the levels before it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
