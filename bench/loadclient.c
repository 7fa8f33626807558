// Ferry benchmark load client. Speaks FTP (and explicit FTPS) on raw sockets.
// The same binary drives every server so that differences come from the servers.
// Build: gcc -O2 -o loadclient loadclient.c -lssl -lcrypto -lpthread
//
// Modes (all print one JSON object on stdout):
//   tcpceil  --bytes N [--sha]            raw loopback TCP, no FTP (with --sha: receiver hashes like RETR does)
//   hashfile PATH                         size + SHA-256 of a local file
//   retr   --path P --size N --sha HEX [--data pasv|epsv|port] [--tls]
//   stor   --path P --src LOCALFILE [--data pasv|epsv|port] [--tls]
//   logins --sessions C --secs S          C concurrent sessions doing connect+USER+PASS+QUIT in a loop
//   files  --sessions C --secs S --path P --size N --sha HEX   each session: login once, then PASV+RETR loop
//   uploads --sessions C --secs S --path PREFIX --src LOCALFILE  each session: login once, then PASV+STOR
//          of LOCALFILE to PREFIX-<session>-<n>.bin, n = 0, 1, … (the caller checks the stored files)
//   list   --cmd LIST|MLSD --dir D --iters K [--warmup W] [--expect N]   (median of K after W untimed)
//   idle   --sessions C                   open C logged-in sessions, print {"ready":C}, hold until stdin EOF
// Common: --host 127.0.0.1 --port 21 --user U --pass P
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *g_host = "127.0.0.1";
static int g_port = 21;
static const char *g_user = "ftpbench", *g_pass = "benchpass";
static const char *g_path = NULL, *g_src = NULL, *g_sha = NULL, *g_cmd = "LIST", *g_dir = ".";
static const char *g_data = "pasv";
static long long g_size = -1, g_bytes = 1LL << 30;
static int g_tls = 0, g_sessions = 100, g_iters = 5, g_warmup = 0, g_hash = 0;
static long g_expect = -1;
static double g_secs = 10;
static SSL_CTX *g_ctx = NULL;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n') *p = ' ';
  printf("{\"ok\":false,\"error\":\"%s\"}\n", msg);
  fflush(stdout);
  exit(1);
}

// ---------------------------------------------------------------- sockets
static int g_timeout = 20;  // seconds; a stuck server must not hang the harness
static void set_timeouts(int fd) {
  struct timeval tv = {.tv_sec = g_timeout};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}
static int tcp_connect(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_timeouts(fd);
  return fd;
}
static int tcp_listen(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) return -1;
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

// ---------------------------------------------------------------- connection (plain or TLS)
typedef struct {
  int fd;
  SSL *ssl;
} conn_t;

static ssize_t c_read(conn_t *c, void *buf, size_t n) {
  if (c->ssl) {
    int r = SSL_read(c->ssl, buf, n > (1 << 30) ? (1 << 30) : (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) return 0;  // EOF (with or without close_notify)
    ERR_clear_error();
    return -1;
  }
  for (;;) {
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}
static int c_write_all(conn_t *c, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w;
    if (c->ssl) {
      int r = SSL_write(c->ssl, p, n > (1 << 20) ? (1 << 20) : (int)n);
      if (r <= 0) return -1;
      w = r;
    } else {
      w = send(c->fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
    }
    p += w;
    n -= w;
  }
  return 0;
}
static void c_close(conn_t *c) {
  if (c->ssl) {
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}
static int c_starttls(conn_t *c, SSL_SESSION *reuse) {
  c->ssl = SSL_new(g_ctx);
  SSL_set_fd(c->ssl, c->fd);
  if (reuse) SSL_set_session(c->ssl, reuse);
  if (SSL_connect(c->ssl) != 1) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

// ---------------------------------------------------------------- FTP control
typedef struct {
  conn_t c;
  char buf[8192];
  int len;
  char last[4096];  // text of the last reply (all lines)
} ftp_t;

// read one full reply; returns code or -1
static int ftp_reply(ftp_t *f) {
  int code = -1, multi = 0;
  size_t lastlen = 0;
  f->last[0] = 0;
  for (;;) {
    char *nl = memchr(f->buf, '\n', f->len);
    if (!nl) {
      if (f->len >= (int)sizeof f->buf - 1) f->len = 0;  // overlong line: drop
      ssize_t r = c_read(&f->c, f->buf + f->len, sizeof f->buf - 1 - f->len);
      if (r <= 0) return -1;
      f->len += r;
      continue;
    }
    int ll = nl - f->buf + 1;
    if (lastlen + ll < sizeof f->last - 1) {
      memcpy(f->last + lastlen, f->buf, ll);
      lastlen += ll;
      f->last[lastlen] = 0;
    }
    int done = 0;
    if (ll >= 4 && f->buf[0] >= '0' && f->buf[0] <= '9' && f->buf[1] >= '0' && f->buf[1] <= '9' &&
        f->buf[2] >= '0' && f->buf[2] <= '9') {
      int c = (f->buf[0] - '0') * 100 + (f->buf[1] - '0') * 10 + (f->buf[2] - '0');
      if (code < 0) {
        code = c;
        if (f->buf[3] == '-') multi = 1;
        else done = 1;
      } else if (c == code && f->buf[3] == ' ') {
        done = 1;
      }
    } else if (!multi) {
      done = 0;
    }
    memmove(f->buf, f->buf + ll, f->len - ll);
    f->len -= ll;
    if (done) return code;
  }
}
static int ftp_cmd(ftp_t *f, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 2, fmt, ap);
  va_end(ap);
  line[n++] = '\r';
  line[n++] = '\n';
  if (c_write_all(&f->c, line, n) < 0) return -1;
  return ftp_reply(f);
}
// connect + (AUTH TLS) + login. returns 0 or -1 with reason in err
static int ftp_login(ftp_t *f, char *err, size_t errlen) {
  f->len = 0;
  f->c.ssl = NULL;
  f->c.fd = tcp_connect(g_host, g_port);
  if (f->c.fd < 0) {
    snprintf(err, errlen, "connect: %s", strerror(errno));
    return -1;
  }
  int code = ftp_reply(f);
  if (code != 220) {
    snprintf(err, errlen, "greeting %d %.200s", code, f->last);
    goto fail;
  }
  if (g_tls) {
    code = ftp_cmd(f, "AUTH TLS");
    if (code != 234) {
      snprintf(err, errlen, "AUTH TLS %d %.200s", code, f->last);
      goto fail;
    }
    if (c_starttls(&f->c, NULL) < 0) {
      snprintf(err, errlen, "TLS handshake failed");
      goto fail;
    }
  }
  code = ftp_cmd(f, "USER %s", g_user);
  if (code == 331) code = ftp_cmd(f, "PASS %s", g_pass);
  if (code != 230) {
    snprintf(err, errlen, "login %d %.200s", code, f->last);
    goto fail;
  }
  if (g_tls) {
    if (ftp_cmd(f, "PBSZ 0") != 200) {
      snprintf(err, errlen, "PBSZ %.200s", f->last);
      goto fail;
    }
    if (ftp_cmd(f, "PROT P") != 200) {
      snprintf(err, errlen, "PROT P %.200s", f->last);
      goto fail;
    }
  }
  return 0;
fail:
  c_close(&f->c);
  return -1;
}
static void ftp_quit(ftp_t *f) {
  ftp_cmd(f, "QUIT");
  c_close(&f->c);
}

// Open the data connection for command `cmd` (already formatted). Reads the 1xx reply.
// On success returns 0 and a connected (TLS if enabled) data conn.
static int ftp_data_open(ftp_t *f, const char *mode, const char *cmd, conn_t *d, char *err, size_t errlen) {
  d->fd = -1;
  d->ssl = NULL;
  int lfd = -1, code;
  if (!strcmp(mode, "port")) {
    int port;
    lfd = tcp_listen(&port);
    if (lfd < 0) {
      snprintf(err, errlen, "listen failed");
      return -1;
    }
    code = ftp_cmd(f, "PORT 127,0,0,1,%d,%d", port >> 8, port & 255);
    if (code != 200) {
      snprintf(err, errlen, "PORT %d %.200s", code, f->last);
      close(lfd);
      return -1;
    }
  } else {
    int port = -1;
    if (!strcmp(mode, "epsv")) {
      code = ftp_cmd(f, "EPSV");
      char *p = strstr(f->last, "(|||");
      if (code != 229 || !p) {
        snprintf(err, errlen, "EPSV %d %.200s", code, f->last);
        return -1;
      }
      port = atoi(p + 4);
    } else {
      code = ftp_cmd(f, "PASV");
      char *p = strchr(f->last + 4, '(');
      int h[6];
      if (code != 227 || !p || sscanf(p + 1, "%d,%d,%d,%d,%d,%d", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]) != 6) {
        // some servers omit the parentheses
        p = f->last + 4;
        while (*p && !(*p >= '0' && *p <= '9')) p++;
        if (code != 227 || sscanf(p, "%d,%d,%d,%d,%d,%d", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]) != 6) {
          snprintf(err, errlen, "PASV %d %.200s", code, f->last);
          return -1;
        }
      }
      port = h[4] * 256 + h[5];
    }
    d->fd = tcp_connect(g_host, port);
    if (d->fd < 0) {
      snprintf(err, errlen, "data connect %d: %s", port, strerror(errno));
      return -1;
    }
  }
  char line[1100];
  int n = snprintf(line, sizeof line, "%s\r\n", cmd);
  if (c_write_all(&f->c, line, n) < 0) {
    snprintf(err, errlen, "send %s failed", cmd);
    goto fail;
  }
  // Plain: read the 1xx first (fails fast on 4xx/5xx). TLS: some servers (ftp-srv) only send
  // 150 once the data TLS handshake is done, so connect/accept + handshake come first.
  if (!g_tls) {
    code = ftp_reply(f);
    if (code != 150 && code != 125) {
      snprintf(err, errlen, "%s -> %d %.200s", cmd, code, f->last);
      goto fail;
    }
  }
  if (lfd >= 0) {
    set_timeouts(lfd);
    d->fd = accept(lfd, NULL, NULL);
    close(lfd);
    lfd = -1;
    if (d->fd < 0) {
      snprintf(err, errlen, "accept failed");
      goto fail;
    }
    set_timeouts(d->fd);
  }
  if (g_tls) {
    if (c_starttls(d, SSL_get_session(f->c.ssl)) < 0) {
      snprintf(err, errlen, "data TLS handshake failed");
      goto fail;
    }
    code = ftp_reply(f);
    if (code != 150 && code != 125) {
      snprintf(err, errlen, "%s -> %d %.200s", cmd, code, f->last);
      goto fail;
    }
  }
  return 0;
fail:
  if (lfd >= 0) close(lfd);
  c_close(d);
  return -1;
}

static void hex(const unsigned char *md, char *out) {
  for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
}

// ---------------------------------------------------------------- pipelined hasher (so SHA-256 runs beside recv)
#define NBUF 16
#define BUFSZ (256 << 10)
typedef struct {
  char *buf[NBUF];
  size_t len[NBUF];
  int head, tail, count, eof;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  EVP_MD_CTX *md;
} pipe_t;
static void *hasher(void *arg) {
  pipe_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->eof) pthread_cond_wait(&p->cv, &p->mu);
    if (p->count == 0 && p->eof) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    int i = p->tail;
    pthread_mutex_unlock(&p->mu);
    EVP_DigestUpdate(p->md, p->buf[i], p->len[i]);
    pthread_mutex_lock(&p->mu);
    p->tail = (p->tail + 1) % NBUF;
    p->count--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
}
// receive everything from d, hashing in a second thread; returns bytes or -1
static long long recv_hashed(conn_t *d, int do_hash, char *hexout) {
  static pipe_t P;
  static int init = 0;
  if (!init) {
    for (int i = 0; i < NBUF; i++) P.buf[i] = malloc(BUFSZ);
    pthread_mutex_init(&P.mu, NULL);
    pthread_cond_init(&P.cv, NULL);
    init = 1;
  }
  P.head = P.tail = P.count = P.eof = 0;
  P.md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(P.md, EVP_sha256(), NULL);
  pthread_t th;
  if (do_hash) pthread_create(&th, NULL, hasher, &P);
  long long total = 0;
  int failed = 0;
  for (;;) {
    pthread_mutex_lock(&P.mu);
    while (P.count == NBUF) pthread_cond_wait(&P.cv, &P.mu);
    int i = P.head;
    pthread_mutex_unlock(&P.mu);
    size_t got = 0;
    int eof = 0;
    while (got < BUFSZ) {
      ssize_t r = c_read(d, P.buf[i] + got, BUFSZ - got);
      if (r < 0) {
        failed = 1;
        eof = 1;
        break;
      }
      if (r == 0) {
        eof = 1;
        break;
      }
      got += r;
    }
    total += got;
    if (do_hash && got) {
      pthread_mutex_lock(&P.mu);
      P.len[i] = got;
      P.head = (P.head + 1) % NBUF;
      P.count++;
      pthread_cond_broadcast(&P.cv);
      pthread_mutex_unlock(&P.mu);
    }
    if (eof) break;
  }
  if (do_hash) {
    pthread_mutex_lock(&P.mu);
    P.eof = 1;
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
    pthread_join(th, NULL);
  }
  unsigned char md[32];
  EVP_DigestFinal_ex(P.md, md, NULL);
  EVP_MD_CTX_free(P.md);
  hex(md, hexout);
  return failed ? -1 : total;
}

// ---------------------------------------------------------------- modes
static int mode_hashfile(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  char *buf = malloc(BUFSZ);
  long long total = 0;
  ssize_t r;
  while ((r = read(fd, buf, BUFSZ)) > 0) {
    EVP_DigestUpdate(md, buf, r);
    total += r;
  }
  unsigned char d[32];
  char h[65];
  EVP_DigestFinal_ex(md, d, NULL);
  hex(d, h);
  printf("{\"ok\":true,\"bytes\":%lld,\"sha256\":\"%s\"}\n", total, h);
  return 0;
}

static void *ceil_sender(void *arg) {
  int lfd = *(int *)arg;
  int fd = accept(lfd, NULL, NULL);
  char *buf = malloc(BUFSZ);
  memset(buf, 0x5a, BUFSZ);
  long long left = g_bytes;
  while (left > 0) {
    ssize_t w = send(fd, buf, left > BUFSZ ? BUFSZ : left, MSG_NOSIGNAL);
    if (w <= 0) break;
    left -= w;
  }
  close(fd);
  return NULL;
}
static int mode_tcpceil(void) {
  int port, lfd = tcp_listen(&port);
  pthread_t th;
  pthread_create(&th, NULL, ceil_sender, &lfd);
  double t0 = now();
  conn_t d = {.fd = tcp_connect("127.0.0.1", port), .ssl = NULL};
  char h[65];
  long long got = recv_hashed(&d, g_hash, h);
  double dt = now() - t0;
  pthread_join(th, NULL);
  close(d.fd);
  close(lfd);
  printf("{\"ok\":%s,\"bytes\":%lld,\"secs\":%.4f,\"MBps\":%.1f}\n", got == g_bytes ? "true" : "false", got, dt,
         got / dt / 1048576.0);
  return 0;
}

static int mode_retr(void) {
  ftp_t *f = calloc(1, sizeof *f);
  char err[512];
  if (ftp_login(f, err, sizeof err) < 0) die("%s", err);
  if (ftp_cmd(f, "TYPE I") != 200) die("TYPE I: %s", f->last);
  double t0 = now();
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "RETR %s", g_path);
  conn_t d;
  if (ftp_data_open(f, g_data, cmd, &d, err, sizeof err) < 0) die("%s", err);
  char h[65];
  long long got = recv_hashed(&d, 1, h);
  c_close(&d);
  int code = ftp_reply(f);
  double dt = now() - t0;
  if (code != 226 && code != 250) die("RETR end reply %d %s", code, f->last);
  ftp_quit(f);
  if (got != g_size) die("size mismatch: got %lld want %lld", got, g_size);
  if (g_sha && strcmp(h, g_sha)) die("sha256 mismatch: got %s want %s", h, g_sha);
  printf("{\"ok\":true,\"bytes\":%lld,\"secs\":%.4f,\"MBps\":%.1f,\"sha256\":\"%s\"}\n", got, dt, got / dt / 1048576.0, h);
  return 0;
}

static int mode_stor(void) {
  int sfd = open(g_src, O_RDONLY);
  if (sfd < 0) die("open %s", g_src);
  struct stat st;
  fstat(sfd, &st);
  char *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, sfd, 0);
  if (map == MAP_FAILED) die("mmap");
  ftp_t *f = calloc(1, sizeof *f);
  char err[512];
  if (ftp_login(f, err, sizeof err) < 0) die("%s", err);
  if (ftp_cmd(f, "TYPE I") != 200) die("TYPE I: %s", f->last);
  double t0 = now();
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "STOR %s", g_path);
  conn_t d;
  if (ftp_data_open(f, g_data, cmd, &d, err, sizeof err) < 0) die("%s", err);
  if (c_write_all(&d, map, st.st_size) < 0) die("data write failed");
  c_close(&d);
  int code = ftp_reply(f);
  double dt = now() - t0;
  if (code != 226 && code != 250) die("STOR end reply %d %s", code, f->last);
  ftp_quit(f);
  printf("{\"ok\":true,\"bytes\":%lld,\"secs\":%.4f,\"MBps\":%.1f}\n", (long long)st.st_size, dt,
         st.st_size / dt / 1048576.0);
  return 0;
}

static atomic_long g_ok, g_fail;
static atomic_int g_errprinted;
static atomic_int g_ready, g_go;
static double g_deadline;
static void note_err(const char *e) {
  if (atomic_fetch_add(&g_errprinted, 1) < 3) fprintf(stderr, "loadclient: %s\n", e);
}
static void *login_worker(void *arg) {
  (void)arg;
  ftp_t *f = calloc(1, sizeof *f);
  char err[512];
  while (now() < g_deadline) {
    if (ftp_login(f, err, sizeof err) < 0) {
      atomic_fetch_add(&g_fail, 1);
      note_err(err);
      usleep(1000);
      continue;
    }
    if (ftp_cmd(f, "QUIT") != 221) {
      atomic_fetch_add(&g_fail, 1);
      note_err("QUIT reply not 221");
    } else {
      atomic_fetch_add(&g_ok, 1);
    }
    c_close(&f->c);
  }
  free(f);
  return NULL;
}
/* A files/uploads session: log in (and TYPE I) once; the first time, wait at the barrier until
   every session is ready. Returns 1 when logged in; on failure counts it and returns 0. */
static int worker_login(ftp_t *f, char *err, size_t errlen) {
  if (ftp_login(f, err, errlen) < 0 || ftp_cmd(f, "TYPE I") != 200) {
    atomic_fetch_add(&g_fail, 1);
    note_err(err);
    usleep(10000);
    return 0;
  }
  if (!atomic_load(&g_go)) {
    atomic_fetch_add(&g_ready, 1);
    while (!atomic_load(&g_go)) usleep(1000);
  }
  return 1;
}
/* A failed transfer: count it, drop the control connection (the session logs in again). Returns 0 (not logged in). */
static int worker_failed(ftp_t *f, const char *why) {
  atomic_fetch_add(&g_fail, 1);
  note_err(why);
  c_close(&f->c);
  return 0;
}
static void *files_worker(void *arg) {
  (void)arg;
  ftp_t *f = calloc(1, sizeof *f);
  char err[512], cmd[1024];
  char *buf = malloc(BUFSZ);
  snprintf(cmd, sizeof cmd, "RETR %s", g_path);
  int logged = 0;
  while (now() < g_deadline) {
    if (!logged && !(logged = worker_login(f, err, sizeof err))) continue;
    conn_t d;
    if (ftp_data_open(f, "pasv", cmd, &d, err, sizeof err) < 0) {
      logged = worker_failed(f, err);
      continue;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    long long total = 0;
    ssize_t r;
    while ((r = c_read(&d, buf, BUFSZ)) > 0) {
      EVP_DigestUpdate(md, buf, r);
      total += r;
    }
    c_close(&d);
    unsigned char dg[32];
    char h[65];
    EVP_DigestFinal_ex(md, dg, NULL);
    EVP_MD_CTX_free(md);
    hex(dg, h);
    int code = ftp_reply(f);
    if (code != 226 && code != 250) {
      logged = worker_failed(f, "RETR end reply not 226");
      continue;
    }
    if (total != g_size || (g_sha && strcmp(h, g_sha))) {
      atomic_fetch_add(&g_fail, 1);
      note_err("size/sha mismatch");
      continue;
    }
    atomic_fetch_add(&g_ok, 1);
  }
  if (logged) ftp_quit(f);
  free(buf);
  free(f);
  return NULL;
}
static int run_workers(void *(*fn)(void *), const char *unit, int barrier);
static const char *g_upload_map;
static off_t g_upload_size;
static atomic_int g_upload_session;
static void *uploads_worker(void *arg) {
  (void)arg;
  int session = atomic_fetch_add(&g_upload_session, 1);
  ftp_t *f = calloc(1, sizeof *f);
  char err[512], cmd[1024];
  int logged = 0;
  for (long n = 0; now() < g_deadline;) {
    if (!logged && !(logged = worker_login(f, err, sizeof err))) continue;
    snprintf(cmd, sizeof cmd, "STOR %s-%d-%ld.bin", g_path, session, n++);
    conn_t d;
    if (ftp_data_open(f, "pasv", cmd, &d, err, sizeof err) < 0) {
      logged = worker_failed(f, err);
      continue;
    }
    int wrote = c_write_all(&d, g_upload_map, g_upload_size);
    c_close(&d);
    int code = ftp_reply(f);
    if (wrote < 0 || (code != 226 && code != 250)) {
      logged = worker_failed(f, wrote < 0 ? "data write failed" : "STOR end reply not 226");
      continue;
    }
    atomic_fetch_add(&g_ok, 1);
  }
  if (logged) ftp_quit(f);
  free(f);
  return NULL;
}
static int mode_uploads(void) {
  int sfd = open(g_src, O_RDONLY);
  if (sfd < 0) die("open %s", g_src);
  struct stat st;
  fstat(sfd, &st);
  g_upload_size = st.st_size;
  g_upload_map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, sfd, 0);
  if (g_upload_map == MAP_FAILED) die("mmap");
  return run_workers(uploads_worker, "per_sec", 1);
}

// Measure ops completed inside a fixed window; stragglers stuck in I/O are not waited for.
static int run_workers(void *(*fn)(void *), const char *unit, int barrier) {
  pthread_t *th = calloc(g_sessions, sizeof *th);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 256 * 1024);
  g_deadline = now() + 3600;
  if (!barrier) atomic_store(&g_go, 1);
  for (int i = 0; i < g_sessions; i++) pthread_create(&th[i], &at, fn, NULL);
  double setup = 0;
  if (barrier) {  // wait until every session is logged in (max 120 s), then open the window
    double t = now();
    while (atomic_load(&g_ready) < g_sessions && now() - t < 120) usleep(10000);
    setup = now() - t;
  }
  long ok0 = atomic_load(&g_ok), fail0 = atomic_load(&g_fail);
  double t0 = now();
  g_deadline = t0 + g_secs;
  atomic_store(&g_go, 1);
  while (now() < g_deadline) usleep(2000);
  double dt = now() - t0;
  long ok = atomic_load(&g_ok) - ok0, fail = atomic_load(&g_fail) - fail0;
  printf("{\"ok\":%s,\"count\":%ld,\"failed\":%ld,\"ready\":%d,\"setup_secs\":%.2f,\"secs\":%.3f,\"%s\":%.1f}\n",
         ok > 0 ? "true" : "false", ok, fail, barrier ? atomic_load(&g_ready) : g_sessions, setup, dt, unit, ok / dt);
  fflush(stdout);
  _exit(0);
}

static int cmpd(const void *a, const void *b) {
  double x = *(double *)a, y = *(double *)b;
  return x < y ? -1 : x > y;
}
static int mode_list(void) {
  ftp_t *f = calloc(1, sizeof *f);
  char err[512], cmd[1024];
  if (ftp_login(f, err, sizeof err) < 0) die("%s", err);
  snprintf(cmd, sizeof cmd, "%s %s", g_cmd, g_dir);
  /* g_warmup untimed listings first (every server alike): JIT-compiled servers need a few to reach
     their steady speed; the very first listing is reported as first_ms. */
  int total = g_warmup + g_iters;
  double *t = calloc(total, sizeof *t);
  char *buf = malloc(BUFSZ);
  long lines = 0;
  long long bytes = 0;
  for (int it = 0; it < total; it++) {
    double t0 = now();
    conn_t d;
    if (ftp_data_open(f, g_data, cmd, &d, err, sizeof err) < 0) die("%s", err);
    lines = 0;
    bytes = 0;
    ssize_t r;
    while ((r = c_read(&d, buf, BUFSZ)) > 0) {
      bytes += r;
      for (ssize_t i = 0; i < r; i++) lines += buf[i] == '\n';
    }
    c_close(&d);
    int code = ftp_reply(f);
    t[it] = now() - t0;
    if (code != 226 && code != 250) die("%s end reply %d %s", g_cmd, code, f->last);
    if (g_expect >= 0 && lines < g_expect) die("%s returned %ld lines, expected >= %ld", g_cmd, lines, g_expect);
  }
  ftp_quit(f);
  double first = t[0];
  double *timed = t + g_warmup;
  qsort(timed, g_iters, sizeof *t, cmpd);
  printf("{\"ok\":true,\"lines\":%ld,\"bytes\":%lld,\"ms\":%.2f,\"min_ms\":%.2f,\"first_ms\":%.2f}\n", lines, bytes,
         timed[g_iters / 2] * 1000, timed[0] * 1000, first * 1000);
  return 0;
}

static int mode_idle(void) {
  ftp_t *f = calloc(g_sessions, sizeof *f);
  char err[512];
  int n = 0;
  for (int i = 0; i < g_sessions; i++) {
    if (ftp_login(&f[i], err, sizeof err) < 0) {
      printf("{\"ok\":false,\"ready\":%d,\"error\":\"session %d: login failed\"}\n", n, i);
      fprintf(stderr, "loadclient: %s\n", err);
      fflush(stdout);
      break;
    }
    n++;
  }
  // make sure every session has been fully processed by the server
  for (int i = 0; i < n; i++) ftp_cmd(&f[i], "NOOP");
  if (n == g_sessions) printf("{\"ok\":true,\"ready\":%d}\n", n);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int i = 0; i < n; i++) c_close(&f[i].c);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct rlimit rl = {65536, 65536};
  setrlimit(RLIMIT_NOFILE, &rl);
  if (argc < 2) die("usage: loadclient MODE [options]");
  const char *mode = argv[1];
  const char *pos = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "";
#define OPT(name) (!strcmp(a, name) && (i++, 1))
    if (OPT("--host")) g_host = v;
    else if (OPT("--port")) g_port = atoi(v);
    else if (OPT("--user")) g_user = v;
    else if (OPT("--pass")) g_pass = v;
    else if (OPT("--path")) g_path = v;
    else if (OPT("--src")) g_src = v;
    else if (OPT("--sha")) g_sha = v;
    else if (OPT("--size")) g_size = atoll(v);
    else if (OPT("--bytes")) g_bytes = atoll(v);
    else if (OPT("--data")) g_data = v;
    else if (OPT("--sessions")) g_sessions = atoi(v);
    else if (OPT("--secs")) g_secs = atof(v);
    else if (OPT("--iters")) g_iters = atoi(v);
    else if (OPT("--warmup")) g_warmup = atoi(v);
    else if (OPT("--cmd")) g_cmd = v;
    else if (OPT("--timeout")) g_timeout = atoi(v);
    else if (OPT("--dir")) g_dir = v;
    else if (OPT("--expect")) g_expect = atol(v);
    else if (!strcmp(a, "--tls")) g_tls = 1;
    else if (!strcmp(a, "--hash")) g_hash = 1;
    else pos = a;
  }
  if (g_tls) {
    g_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
    // TLS 1.2 keeps data-channel session reuse simple and works with every peer here.
    SSL_CTX_set_max_proto_version(g_ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_CLIENT);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(g_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  }
  if (!strcmp(mode, "hashfile")) return mode_hashfile(pos ? pos : "");
  if (!strcmp(mode, "tcpceil")) return mode_tcpceil();
  if (!strcmp(mode, "retr")) return mode_retr();
  if (!strcmp(mode, "stor")) return mode_stor();
  if (!strcmp(mode, "logins")) return run_workers(login_worker, "per_sec", 0);
  if (!strcmp(mode, "files")) return run_workers(files_worker, "per_sec", 1);
  if (!strcmp(mode, "uploads")) return mode_uploads();
  if (!strcmp(mode, "list")) return mode_list();
  if (!strcmp(mode, "idle")) return mode_idle();
  die("unknown mode %s", mode);
  return 1;
}
