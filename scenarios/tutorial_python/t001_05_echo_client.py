# Tutorial 001 (进程池), example 5 (7.2 client): the interactive echo client. Indentation and line numbers fixed.
# Changed so that it runs alone and ends: it talks to a stand-in upper-casing echo server (standin_server, in a
# thread, ephemeral port instead of 8080), and input() is scripted: it "types" two lines and an empty one, then
# the student stops (SystemExit; the tutorial's client only ends with Ctrl-C).
from socket import *
import sys; sys.dont_write_bytecode = True  # added: importing standin_server leaves no __pycache__
from standin_server import echo_server  # added

_typed = iter(['hello', '', 'forkscope'])  # added: what the student types

def input(prompt):  # added: scripted input(), echoing what is "typed" as a terminal would
    line = next(_typed, None)
    if line is None:
        sys.exit(0)
    print(prompt + line)
    return line

client=socket(AF_INET,SOCK_STREAM)
client.connect(('127.0.0.1',echo_server()))  # was: ('127.0.0.1',8080)


while True:
    msg=input('>>: ').strip()
    if not msg:continue

    client.send(msg.encode('utf-8'))
    msg=client.recv(1024)
    print(msg.decode('utf-8'))
