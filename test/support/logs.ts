import { vi } from 'vitest';

/** One JSON log line the Worker wrote (src/lib/log.ts), parsed. */
export interface LogLine {
  level: string;
  event: string;
  [field: string]: unknown;
}

/**
 * Captures every line the Worker logs (console.log, warn and error) until `restore()`: the raw
 * text, to look for what must never be there, and the parsed lines, to look at their fields.
 */
export function captureLogs() {
  const raw: string[] = [];
  const capture = (...args: unknown[]) => {
    raw.push(args.map(String).join(' '));
  };
  const spies = [
    vi.spyOn(console, 'log').mockImplementation(capture),
    vi.spyOn(console, 'warn').mockImplementation(capture),
    vi.spyOn(console, 'error').mockImplementation(capture),
  ];
  return {
    raw,
    lines: (): LogLine[] => raw.map((line) => JSON.parse(line) as LogLine),
    /** The lines of `event`, in order. */
    of: (event: string): LogLine[] =>
      raw.map((line) => JSON.parse(line) as LogLine).filter((line) => line.event === event),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
