/** Where and as whom a bench worker logs its clients in: user names are `${prefix}${i}`. */
export interface LoginTarget {
  host: string;
  port: number;
  fingerprint: string;
  password: string;
  prefix: string;
  /** Connections handshaking and logging in at once. */
  concurrency: number;
}
