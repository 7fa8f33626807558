"""Drive every ftplib command group against an FTP server and print one JSON object of results.

Usage: ftplib_session.py '<json>' with host, port, user, password, passive (bool), workdir (a
local directory holding the files to upload; downloads are written there too), restOffset, and
optionally abort ("inline" or "urgent": run only the ABOR scenario) and timeout (seconds). The node test
prepares the payloads, checks sizes and SHA-256 on both ends, and asserts on the printed replies.
Each step is recorded separately as {"ok": true, "value": ...} or {"ok": false, "error": "..."}
so that one failure does not hide the others.
"""
import ftplib
import json
import os
import sys

options = json.loads(sys.argv[1])
workdir = options["workdir"]
results = {}


def local(name):
    return os.path.join(workdir, name)


def step(name, action):
    try:
        results[name] = {"ok": True, "value": action()}
    except Exception as error:  # recorded, asserted on by the node test
        results[name] = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}


def download(ftp, command, target, rest=None, mode="wb"):
    with open(local(target), mode) as handle:
        return ftp.retrbinary(command, handle.write, rest=rest)


def upload(ftp, command, source, rest=None):
    with open(local(source), "rb") as handle:
        if rest:
            handle.seek(rest)
        return ftp.storbinary(command, handle, rest=rest)


class RecordingFTP(ftplib.FTP):
    """Records the verb of every command sent, so the test can see which data commands were used."""

    sent = []

    def putcmd(self, line):
        self.sent.append(line.split(" ")[0].upper())
        super().putcmd(line)


ftp = RecordingFTP(timeout=options.get("timeout", 15))
step("connect", lambda: ftp.connect(options["host"], options["port"]))
# RFC 7151: HOST comes before USER.
step("host_before_login", lambda: ftp.sendcmd("HOST localhost"))
step("login", lambda: ftp.login(options["user"], options["password"]))
step("host_after_login", lambda: ftp.sendcmd("HOST localhost"))
ftp.set_pasv(options["passive"])


def full_session():
    # Informational commands.
    step("feat", lambda: ftp.sendcmd("FEAT"))
    step("help", lambda: ftp.sendcmd("HELP"))
    step("stat", lambda: ftp.sendcmd("STAT"))
    step("noop", lambda: ftp.voidcmd("NOOP"))
    step("syst", lambda: ftp.sendcmd("SYST"))
    step("opts_utf8", lambda: ftp.sendcmd("OPTS UTF8 ON"))

    # Directories: pwd/cwd/cdup, mkd/rmd.
    step("pwd_root", ftp.pwd)
    step("mkd", lambda: ftp.mkd("dir"))
    step("cwd", lambda: ftp.cwd("dir"))
    step("mkd_nested", lambda: ftp.mkd("sub"))
    step("cwd_nested", lambda: ftp.cwd("sub"))
    step("pwd_nested", ftp.pwd)
    step("cdup", lambda: ftp.cwd(".."))  # ftplib sends CDUP for ".."
    step("pwd_after_cdup", ftp.pwd)
    step("rmd", lambda: ftp.rmd("sub"))
    step("cwd_missing", lambda: ftp.cwd("no-such-dir"))

    # Binary transfers, SIZE, resume in both directions.
    step("storbinary", lambda: upload(ftp, "STOR big.bin", "big.bin"))
    step("size", lambda: ftp.size("big.bin"))
    step("retrbinary", lambda: download(ftp, "RETR big.bin", "big.down"))
    step("retr_missing", lambda: download(ftp, "RETR no-such-file", "missing.down"))
    rest = options["restOffset"]
    step("storbinary_prefix", lambda: upload(ftp, "STOR resumed.bin", "big.prefix"))
    step("storbinary_rest", lambda: upload(ftp, "STOR resumed.bin", "big.bin", rest=rest))
    step("retr_resumed", lambda: download(ftp, "RETR resumed.bin", "resumed.down"))
    step("retrbinary_rest", lambda: download(ftp, "RETR big.bin", "big.prefix-down", rest=rest, mode="ab"))

    # ASCII transfers: storlines sends CRLF, retrlines strips it.
    def storlines():
        with open(local("text.txt"), "rb") as handle:
            return ftp.storlines("STOR text.txt", handle)


    def retrlines():
        lines = []
        reply = ftp.retrlines("RETR text.txt", lines.append)
        return {"reply": reply, "lines": lines}


    step("storlines", storlines)
    step("retrlines", retrlines)

    # Listings.
    step("nlst", lambda: sorted(ftp.nlst()))
    step("dir", lambda: (lambda lines: (ftp.dir(lines.append), lines)[1])([]))
    step("mlsd", lambda: sorted([name, facts] for name, facts in ftp.mlsd()))

    # Times and modes.
    step("mdtm", lambda: ftp.sendcmd("MDTM big.bin"))
    step("mfmt", lambda: ftp.sendcmd("MFMT 20200102030405 big.bin"))
    step("mdtm_after_mfmt", lambda: ftp.sendcmd("MDTM big.bin"))
    step("site_chmod", lambda: ftp.sendcmd("SITE CHMOD 600 big.bin"))
    step("site_help", lambda: ftp.sendcmd("SITE HELP"))

    # UTF-8 names and a name with spaces and a leading dash.
    utf8_name = "naïve 文件.txt"
    dash_name = "-dash  spaced.bin"
    step("stor_utf8", lambda: upload(ftp, "STOR " + utf8_name, "utf8.bin"))
    step("stor_dash", lambda: upload(ftp, "STOR " + dash_name, "dash.bin"))
    step("nlst_names", lambda: sorted(ftp.nlst()))
    step("mlsd_names", lambda: sorted(name for name, _ in ftp.mlsd()))
    step("size_utf8", lambda: ftp.size(utf8_name))
    step("rename_utf8", lambda: ftp.rename(utf8_name, "Ελληνικά ✓.txt"))
    step("retr_utf8", lambda: download(ftp, "RETR Ελληνικά ✓.txt", "utf8.down"))
    step("retr_dash", lambda: download(ftp, "RETR " + dash_name, "dash.down"))
    step("mkd_utf8", lambda: ftp.mkd("répertoire 目录"))
    step("rmd_utf8", lambda: ftp.rmd("répertoire 目录"))

    # Rename and delete.
    step("rename", lambda: ftp.rename("resumed.bin", "renamed.bin"))
    step("rename_missing", lambda: ftp.rename("no-such-file", "x"))
    step("delete", lambda: ftp.delete("renamed.bin"))
    step("delete_missing", lambda: ftp.delete("renamed.bin"))


# ABOR during a download, then the session must still work. ftplib's own abort() sends "ABOR\r\n"
# as TCP urgent data (MSG_OOB), so its final byte is out of band; "inline" sends the same line
# as ordinary data to tell the two apart.
def abort_download(how):
    connection = ftp.transfercmd("RETR /huge.bin")
    received = 0
    while received < 256 * 1024:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += len(chunk)
    if how == "urgent":
        first = ftp.abort()
    else:
        ftp.sock.sendall(b"ABOR\r\n")
        first = ftp.getmultiline()
    connection.close()
    # ABOR during a transfer: 426 for the transfer, then 226 for ABOR (RFC 959 §4.1.3).
    second = ftp.getmultiline() if first.startswith("426") else None
    return {"first": first, "second": second, "received": received}


def abort_session():
    step("abort", lambda: abort_download(options["abort"]))
    step("noop_after_abort", lambda: ftp.voidcmd("NOOP"))
    step("retr_after_abort", lambda: download(ftp, "RETR /big.bin", "big.after-abort"))


if options.get("abort"):
    abort_session()
else:
    full_session()
step("quit", ftp.quit)

results["verbs"] = {"ok": True, "value": sorted(set(ftp.sent))}
print(json.dumps(results))
