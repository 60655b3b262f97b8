# Tutorial 003 (day 32 管道,信号量,进程池), example 2 (管道): the parent sends one message through a Pipe.
# Lost indentation restored; code as written. (The tutorial's page is pasted twice; each example counts once.)
from multiprocessing import Process,Pipe
def f1(conn):
    from_zhujincheng = conn.recv()
    print('我是子进程')
    print('来自主进程的消息:',from_zhujincheng)
if __name__ == '__main__':
    conn1,conn2 = Pipe() #创建一个管道对象,全双工,返回管道的两端,但是一端发送的消息,只能另外一端接收,自己这一端是不能接收的
    #可以将一端或者两端发送给其他的进程,那么多个进程之间就可以通过这一个管道进行通信了
    p1 = Process(target=f1,args=(conn2,))
    p1.start()
    conn1.send('小宝贝,你在哪')
    print('我是主进程')
