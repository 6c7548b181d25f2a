// The logging surface the vscode-free modules use; VS Code's LogOutputChannel satisfies it as is.
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
