/** What the client specifications need to know about a server under test. */
export interface FtpTestServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Undefined for anonymous login. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** The server's root directory on this machine. */
  readonly root: string;
  /** A directory (remote path) the client may write to. */
  readonly writableDir: string;
  /** The same directory on this machine, to check uploads byte for byte. */
  readonly writableLocalDir: string;
  /** True when FEAT offers MLST/MLSD. */
  readonly supportsMlsd: boolean;
  stop(): Promise<void>;
}
