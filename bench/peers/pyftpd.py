# pyftpdlib peer for the Ferry benchmark (run with Debian's /usr/bin/python3).
# usage: pyftpd.py HOST PORT ROOT PASV_MIN PASV_MAX USER PASS CERTFILE
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.servers import FTPServer

host, port, root, pmin, pmax, user, pw, cert = sys.argv[1:9]
logging.basicConfig(level=logging.WARNING)
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
try:
    from pyftpdlib.handlers import TLS_FTPHandler as Handler
    Handler.certfile = cert
    Handler.tls_control_required = False
    Handler.tls_data_required = False
except ImportError:  # no pyOpenSSL: plain FTP only
    from pyftpdlib.handlers import FTPHandler as Handler
auth = DummyAuthorizer()
auth.add_user(user, pw, root, perm="elradfmwMT")
Handler.authorizer = auth
Handler.passive_ports = range(int(pmin), int(pmax) + 1)
Handler.banner = "pyftpdlib bench ready"
server = FTPServer((host, int(port)), Handler)
server.max_cons = 4000
server.max_cons_per_ip = 0
server.serve_forever(handle_exit=True)
