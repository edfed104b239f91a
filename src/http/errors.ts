/** Why the admin server could not start. */
export type AdminServerErrorCode = 'ADDRESS_IN_USE' | 'LISTEN_FAILED';

/** The admin server could not listen on its address; `host` and `port` name it. */
export class AdminServerError extends Error {
  /** `ADDRESS_IN_USE` when something else listens there, else `LISTEN_FAILED`. */
  readonly code: AdminServerErrorCode;
  /** The host it tried to bind. */
  readonly host: string;
  /** The port it tried to bind. */
  readonly port: number;

  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const inUse = cause.code === 'EADDRINUSE';
    super(
      inUse
        ? `Admin server cannot listen on ${host}:${port}: the address is already in use (set admin.port, or 0 for any free port)`
        : `Admin server cannot listen on ${host}:${port}: ${cause.code ?? ''} ${cause.message}`.replace(/\s+/g, ' '),
      { cause },
    );
    this.name = 'AdminServerError';
    this.code = inUse ? 'ADDRESS_IN_USE' : 'LISTEN_FAILED';
    this.host = host;
    this.port = port;
  }

  /** Plain JSON form, so the code survives serialisation. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, host: this.host, port: this.port };
  }
}
