# Tutorial 003 (day 32 管道,信号量,进程池), example 10 (进程池的异步方法): Pool(4), ten 0.5-second apply_async
# tasks, results taken with get() without close/join. Lost indentation restored; code as written.
import time
from multiprocessing import Process,Pool
def f1(n):
    time.sleep(0.5)
    # print(n)
    return n*n
if __name__ == '__main__':
    pool = Pool(4)
    res_list = []
    for i in range(10):
        print('xxxx')
        #异步给进程池提交任务
        res = pool.apply_async(f1,args=(i,))
        res_list.append(res)
    # print('等待所有任务执行完')
    # pool.close() #锁住进程池,意思就是不让其他的程序再往这个进程池里面提交任务了
    # pool.join()
    #打印结果,如果异步提交之后的结果对象
    for i in res_list:
        print(i.get())
