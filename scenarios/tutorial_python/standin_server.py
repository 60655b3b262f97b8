"""Stand-ins for the network the tutorials use, so that their examples run offline (standard library only).

- http_urls(names): starts, once per process, a tiny HTTP server on 127.0.0.1 with an ephemeral port, in a daemon
  thread, and returns one URL per name ('www.baidu.com' -> 'http://127.0.0.1:PORT/www.baidu.com'). Every path
  answers a small fixed page; 'maoyan.com/board/7' answers a board page that the tutorial's regex can parse.
- requests: the part of the `requests` package the crawlers use (get(url) -> .status_code, .text), on urllib.request,
  because `requests` is not installed in Debian's python3.11.
- echo_server(): an upper-casing echo server in a daemon thread (for the tutorial's echo client); returns its port.
- echo_client(port, i): one scripted client of the tutorial's echo server (the bounded driver).
"""
import http.server
import socket
import socketserver
import threading
import time
import urllib.error
import urllib.request

MAOYAN_BOARD = """<html><head><meta charset="utf-8"><title>猫眼电影 TOP100榜</title></head><body><dl class="board-wrapper">
<dd><i class="board-index board-index-1">1</i><a href="/films/1203" title="霸王别姬" class="image-link"></a>
<div class="movie-item-info"><p class="name"><a href="/films/1203" title="霸王别姬">霸王别姬</a></p>
<p class="star">
                主演：张国荣,张丰毅,巩俐
        </p>
<p class="releasetime">上映时间：1993-07-26</p></div></dd>
<dd><i class="board-index board-index-2">2</i><a href="/films/1297" title="肖申克的救赎" class="image-link"></a>
<div class="movie-item-info"><p class="name"><a href="/films/1297" title="肖申克的救赎">肖申克的救赎</a></p>
<p class="star">
                主演：蒂姆·罗宾斯,摩根·弗里曼,鲍勃·冈顿
        </p>
<p class="releasetime">上映时间：1994-09-10(加拿大)</p></div></dd>
<dd><i class="board-index board-index-3">3</i><a href="/films/2641" title="罗马假日" class="image-link"></a>
<div class="movie-item-info"><p class="name"><a href="/films/2641" title="罗马假日">罗马假日</a></p>
<p class="star">
                主演：格利高里·派克,奥黛丽·赫本,埃迪·艾伯特
        </p>
<p class="releasetime">上映时间：1953-09-02(美国)</p></div></dd>
</dl></body></html>
"""


def _page(path):
    """The fixed page for a path: its length depends only on the path, so db.txt is the same every run."""
    if path.strip('/') == 'maoyan.com/board/7':
        return MAOYAN_BOARD
    site = path.strip('/') or 'index'
    return '<!DOCTYPE html>\n<html><head><title>%s</title></head><body><p>stand-in page</p></body></html>\n' % site


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = _page(self.path).encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: the lesson's output is the crawler's, not the server's
        pass


_base = None


def http_urls(names):
    """Start the stand-in web server (once) and return a URL on it for each site name."""
    global _base
    if _base is None:
        server = http.server.HTTPServer(('127.0.0.1', 0), _Handler)
        threading.Thread(target=server.serve_forever, name='standin-http', daemon=True).start()
        _base = 'http://127.0.0.1:%d' % server.server_address[1]
    return ['%s/%s' % (_base, name) for name in names]


class _Response:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text


class requests:  # noqa: N801 -- used as the module `requests` would be: requests.get(url)
    @staticmethod
    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return _Response(r.status, r.read().decode('utf-8'))
        except urllib.error.HTTPError as e:
            return _Response(e.code, e.read().decode('utf-8', 'replace'))


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):  # the tutorial's talk(conn): send back each message upper-cased until the client closes
        while True:
            msg = self.request.recv(1024)
            if not msg:
                break
            self.request.send(msg.upper())


def echo_server():
    """An upper-casing echo server on 127.0.0.1, ephemeral port, in a daemon thread; returns the port."""
    server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), _EchoHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name='standin-echo', daemon=True).start()
    return server.server_address[1]


def echo_client(port, i, messages=3, seconds=0.5):
    """The tutorial's client (7.2) with its input() scripted: `messages` lines, one every `seconds`, then it closes."""
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.connect(('127.0.0.1', port))
    for k in range(messages):
        client.send(('hello %d from client %d' % (k, i)).encode('utf-8'))
        msg = client.recv(1024)
        print(msg.decode('utf-8'))
        time.sleep(seconds)
    client.close()
