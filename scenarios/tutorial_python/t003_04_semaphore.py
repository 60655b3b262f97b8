# Tutorial 003 (day 32 管道,信号量,进程池), example 4 (信号量 Semaphore): Semaphore(4), 10 guests, 1-3 s each.
# Lost indentation restored; code as written.
import time
import random
from multiprocessing import Process,Semaphore
def f1(i,s):
    s.acquire()
    print('%s男嘉宾到了' %i)
    time.sleep(random.randint(1,3))
    s.release()
if __name__ == '__main__':
    s =Semaphore(4)
    for i in range(10):
        p = Process(target=f1,args=(i,s))
        p.start()
