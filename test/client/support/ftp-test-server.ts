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
  /** Most parallel mirror connections that work in active mode, when the server has a limit (see pyftpdlib.ts). */
  readonly activeModeParallelLimit?: number;
  /** Make files the test created on disk under the server root usable (owned) by the server's user. */
  adoptLocalFiles(localPath: string): Promise<void>;
  stop(): Promise<void>;
}
