# Tutorial 003 (day 32 管道,信号量,进程池), example 7 (基于事件的进程通信): the child computes for 2 s, then sets
# the Event the parent waits on. Lost indentation restored; code as written.
import time
from multiprocessing import Process,Event
def f1(e):
    time.sleep(2)
    n = 100
    print('子进程计算结果为',n)
    e.set()
if __name__ == '__main__':
    e = Event()
    p = Process(target=f1,args=(e,))
    p.start()
    print('主进程等待....')
    e.wait()
    print('结果已经写入文件,可以拿到值')
