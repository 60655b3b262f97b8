# Tutorial 001 (进程池), example 4 (7.1 server): a Pool(4) socket echo server. Indentation and line numbers fixed.
# Changed so that it runs alone and ends: it binds an ephemeral port (not 8080, which may be taken), starts a
# bounded driver of 6 client processes (standin_server.echo_client: 3 messages each, 0.5 s apart), accepts exactly
# those 6 connections instead of looping for ever, then closes and joins the pool. Only 4 clients are served at once.
from socket import *
from multiprocessing import Pool
import os
import sys; sys.dont_write_bytecode = True  # added: importing standin_server leaves no __pycache__
from multiprocessing import Process  # added: the driver's clients
from standin_server import echo_client  # added: the driver's clients

#Pool内的进程数默认是cpu核数,假设为4(查看方法os.cpu_count())
#开启6个客户端,会发现2个客户端处于等待状态
#在每个进程内查看pid,会发现pid使用为4个,即多个客户端公用4个进程
server=socket(AF_INET,SOCK_STREAM)
server.setsockopt(SOL_SOCKET,SO_REUSEADDR,1)
server.bind(('127.0.0.1',0))  # was: 8080
server.listen(5)

def talk(conn):
    print('进程pid: %s' %os.getpid())
    while True:
        try:
            msg=conn.recv(1024)
            if not msg:break
            conn.send(msg.upper())
        except Exception:
            break

if __name__ == '__main__':
    p=Pool(4)
    clients=[Process(target=echo_client,args=(server.getsockname()[1],i)) for i in range(6)]  # added: the driver
    for c in clients:  # added
        c.start()  # added
    for client_no in range(6):  # was: while True:
        conn,*_=server.accept()
        p.apply_async(talk,args=(conn,))
        # p.apply(talk,args=(conn,client_addr)) #同步的话,则同一时间只有一个客户端能访问
    p.close()  # added: the server ends once the 6 clients were served
    p.join()  # added
