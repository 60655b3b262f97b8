# Tutorial 003 (day 32 管道,信号量,进程池), example 9 (进程池的同步方法): Pool(4), ten 1-second tasks with apply.
# Lost indentation restored; code as written.
import time
from multiprocessing import Process,Pool
def f1(n):
    time.sleep(1)
    # print(n)
    return n*n
if __name__ == '__main__':
    pool = Pool(4)
    for i in range(10):
        print('xxxxxx')
        res = pool.apply(f1,args=(i,))
        print(res)
