"""FTPS with Python's ftplib for Ferry's interop specs.

argv[1] is JSON: host, port, user, password, tls ("1.2" or "1.3"), passive, reuse, download,
upload (local paths), remote names. Prints one JSON object: the outcome of each step.

Stock ftplib.FTP_TLS does not resume the control connection's TLS session on data connections,
so servers that require session reuse (vsftpd, Ferry) refuse them. ReusingFTP_TLS is the usual
workaround: pass session=self.sock.session when wrapping the data socket.
"""
import ftplib
import json
import ssl
import sys


class ReusingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def main():
    options = json.loads(sys.argv[1])
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[options["tls"]]
    context.minimum_version = version
    context.maximum_version = version
    factory = ReusingFTP_TLS if options["reuse"] else ftplib.FTP_TLS
    ftp = factory(context=context, timeout=20)
    ftp.connect(options["host"], options["port"])
    ftp.login(options["user"], options["password"])
    ftp.prot_p()
    ftp.set_pasv(options["passive"])
    result = {"protocol": ftp.sock.version()}
    try:
        with open(options["download"], "wb") as target:
            result["retr"] = ftp.retrbinary("RETR " + options["remoteDownload"], target.write)
        with open(options["upload"], "rb") as source:
            result["stor"] = ftp.storbinary("STOR " + options["remoteUpload"], source)
    except ftplib.all_errors as error:
        result["error"] = str(error)
        if not isinstance(error, ftplib.Error):
            # The data handshake failed first (the server closed it); the refusal is still queued.
            try:
                result["reply"] = ftp.getresp()
            except ftplib.all_errors as reply:
                result["reply"] = str(reply)
    ftp.close()
    print(json.dumps(result))


main()
