/**
 * The TLS sessions the data connections of one control connection may resume (RFC 4217 §10.2,
 * vsftpd's require_ssl_reuse): TLS 1.3 and 1.2 tickets sealed with this connection's own ticket
 * key, and TLS 1.2 session IDs in its own cache. A ticket or session ID counts only when it was
 * issued on the control connection or on a data connection that itself resumed, so every accepted
 * data connection descends from the control connection's handshake.
 *
 * A resumed download or listing is issued a fresh ticket. curl (OpenSSL) uses a TLS 1.3 ticket
 * once (after resuming it, OpenSSL marks the session not resumable, as RFC 8446 §C.4 advises) and
 * offers the newest ticket it was given on its next data connection. Node's own ticket handling
 * never issues a ticket on a resumed TLS 1.3 connection, so curl's second data connection offered
 * nothing and was refused (522); its third resumed a ticket issued on that refused full handshake,
 * which the attribution below no longer honours either.
 */
import { randomBytes } from 'node:crypto';
import { Server, type SecureContext } from 'node:tls';

/** Session IDs remembered per control connection (TLS 1.2 clients that resume by ID, e.g. curl). */
const maxSessionsPerConnection = 64;
/**
 * Ticket names from data connections honoured per control connection (clients offer the newest);
 * those of the control handshake itself are kept apart and never evicted (lftp, basic-ftp and
 * Ferry's client offer the control connection's session every time).
 */
const maxDataTicketNamesPerConnection = 64;
/** Sizes Node's ticket key callback requires: 16-byte name, IV and AES-128 key; HMAC-SHA256 key. */
const ticketPartBytes = 16;
const ticketHmacKeyBytes = 32;

/** OpenSSL's ticket key callback results (SSL_CTX_set_tlsext_ticket_key_cb). */
const ticketUnknown = 0;
const ticketIssued = 1;
const ticketAccepted = 1;
const ticketAcceptedRenew = 2;

type TicketKeyResult = [number, Buffer, Buffer, Buffer?, Buffer?];

/**
 * Node's native secure context. `enableTicketKeyCallback` installs OpenSSL's ticket key callback,
 * which calls `onticketkeycallback(name, iv, isEncrypting)`; it is how Node implemented the
 * `ticketKeys` option before its compatibility callback, and the only way a Node server can
 * renew a ticket (return 2), since it offers no SSL_CTX_set_num_tickets or SSL_new_session_ticket.
 */
interface NativeSecureContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, isEncrypting: boolean) => TicketKeyResult;
}

/** Something a handshake on this control connection's context or cache issued. */
type Issued = { readonly kind: 'ticket'; readonly name: string } | { readonly kind: 'session'; readonly id: string; readonly data: Buffer };

/** One data connection whose tickets and session IDs count only if it resumed. */
export interface DataConnectionIssuance {
  /** After the handshake: keep what it was issued (it resumed, or reuse is not required) or drop it. */
  settle(isAccepted: boolean): void;
  /** The socket closed: nothing more can be issued on it. */
  end(): void;
}

class DataConnectionWindow implements DataConnectionIssuance {
  verdict: 'pending' | 'accepted' | 'refused' = 'pending';
  readonly pending: Issued[] = [];

  constructor(
    private readonly owner: SessionResumption,
    readonly renewsTicket: boolean,
  ) {}

  settle(isAccepted: boolean): void {
    if (this.verdict !== 'pending') return;
    this.verdict = isAccepted ? 'accepted' : 'refused';
    if (isAccepted) {
      // Proven: whatever the connection is issued from now on descends from the control session.
      this.owner.closeWindow(this);
      for (const issued of this.pending) this.owner.remember(issued);
    }
    this.pending.length = 0;
  }

  end(): void {
    this.pending.length = 0;
    this.owner.closeWindow(this);
  }
}

/** Per control connection: its ticket key, its session-ID cache, and what they may resume. */
export class SessionResumption {
  /** The `server` option of every TLSSocket of this control connection: Node's session-ID hooks. */
  readonly sessionCache: Server;
  private readonly hmacKey = randomBytes(ticketHmacKeyBytes);
  private readonly aesKey = randomBytes(ticketPartBytes);
  private readonly controlTicketNames = new Set<string>();
  private readonly dataTicketNames = new Set<string>();
  private readonly controlSessions = new Map<string, Buffer>();
  private readonly dataSessions = new Map<string, Buffer>();
  /** Until the first data connection, everything issued belongs to the control handshake. */
  private hasDataConnections = false;
  /** Data connections not (yet) proven to resume: what is issued meanwhile may be theirs. */
  private readonly doubtfulWindows = new Set<DataConnectionWindow>();

  constructor() {
    this.sessionCache = new Server();
    this.sessionCache.on('newSession', (sessionId: Buffer, sessionData: Buffer, done: () => void) => {
      this.issue({ kind: 'session', id: sessionId.toString('hex'), data: sessionData });
      done();
    });
    this.sessionCache.on('resumeSession', (sessionId: Buffer, done: (error: Error | null, sessionData: Buffer | null) => void) => {
      const id = sessionId.toString('hex');
      done(null, this.controlSessions.get(id) ?? this.dataSessions.get(id) ?? null);
    });
  }

  /**
   * Seal and open the tickets of `secureContext` with this connection's key, renewing each ticket
   * it accepts. False when this Node has no ticket key callback: the context then keeps its own
   * `ticketKeys` (no renewal, so curl over TLS 1.3 fails every second transfer).
   */
  installTicketKeys(secureContext: SecureContext): boolean {
    const native = (secureContext as unknown as { context?: NativeSecureContext }).context;
    if (typeof native?.enableTicketKeyCallback !== 'function') return false;
    // Runs inside OpenSSL's handshake: anything thrown fails the handshake, so keep it plain.
    native.onticketkeycallback = (name, _iv, isEncrypting) => {
      if (isEncrypting) {
        const ticketName = randomBytes(ticketPartBytes);
        this.issue({ kind: 'ticket', name: ticketName.toString('hex') });
        return [ticketIssued, this.hmacKey, this.aesKey, ticketName, randomBytes(ticketPartBytes)];
      }
      // SECURITY: only tickets issued on this control connection or on a data connection that
      // resumed are honoured (RFC 4217 §10.2: a stranger must not take over a data connection).
      const ticketName = name.toString('hex');
      if (!this.controlTicketNames.has(ticketName) && !this.dataTicketNames.has(ticketName)) return [ticketUnknown, this.hmacKey, this.aesKey];
      return [this.renewsTicket() ? ticketAcceptedRenew : ticketAccepted, this.hmacKey, this.aesKey];
    };
    native.enableTicketKeyCallback();
    return true;
  }

  /**
   * Call before a data connection's handshake; settle it after, end it when the socket closes.
   * `renewsTicket`: issue a fresh ticket if it resumes. Only where the client reads (downloads,
   * listings): curl never reads an upload's data connection, closes it with the ticket unread,
   * and that close is a TCP reset which can cut off the end of the upload (seen: 426, truncated).
   */
  beginDataConnection(renewsTicket: boolean): DataConnectionIssuance {
    this.hasDataConnections = true;
    const window = new DataConnectionWindow(this, renewsTicket);
    this.doubtfulWindows.add(window);
    return window;
  }

  /** @internal */
  closeWindow(window: DataConnectionWindow): void {
    this.doubtfulWindows.delete(window);
  }

  /** @internal Make an issued ticket or session resumable. */
  remember(issued: Issued): void {
    if (!this.hasDataConnections) {
      if (issued.kind === 'ticket') this.controlTicketNames.add(issued.name);
      else this.controlSessions.set(issued.id, issued.data);
    } else if (issued.kind === 'ticket') {
      if (this.dataTicketNames.size >= maxDataTicketNamesPerConnection) this.dataTicketNames.delete(this.dataTicketNames.values().next().value!);
      this.dataTicketNames.add(issued.name);
    } else {
      if (this.dataSessions.size >= maxSessionsPerConnection) this.dataSessions.delete(this.dataSessions.keys().next().value!);
      this.dataSessions.set(issued.id, issued.data);
    }
  }

  /** Whether the handshake resuming now (the one data connection in doubt) is to get a new ticket. */
  private renewsTicket(): boolean {
    if (this.doubtfulWindows.size !== 1) return false;
    const [window] = this.doubtfulWindows;
    return window!.renewsTicket;
  }

  /**
   * Attribute what a handshake just issued. The passive listener accepts one connection and PORT
   * makes one, so at most one data handshake is in doubt at a time: with none, the issue is the
   * control connection's or a proven data connection's; with one, it waits for that one's verdict.
   * SECURITY: anything that cannot be attributed (two in doubt) is dropped, never honoured.
   */
  private issue(issued: Issued): void {
    if (this.doubtfulWindows.size === 0) {
      this.remember(issued);
      return;
    }
    if (this.doubtfulWindows.size > 1) return;
    const [window] = this.doubtfulWindows;
    if (window!.verdict === 'pending') window!.pending.push(issued);
  }
}
