# Tutorial 001 (进程池), example 2 (6.1 同步): Pool(3), ten 3-second tasks submitted with apply, one at a time.
# Lost indentation and pasted line numbers restored/removed; code as written (res_l stays empty, so it prints []).
# Takes 10 x 3 s = 30 s, longer than the others: kept as written, because the duration is what it teaches.
import os,time
from multiprocessing import Pool

def work(n):
    print('%s run' %os.getpid())
    time.sleep(3)
    return n**2

if __name__ == '__main__':
    p=Pool(3) #进程池中从无到有创建三个进程,以后一直是这三个进程在执行任务
    res_l=[]
    for i in range(10):
        res=p.apply(work,args=(i,)) # 同步调用,直到本次任务执行完毕拿到res,等待任务work执行的过程中可能有阻塞也可能没有阻塞
                                    # 但不管该任务是否存在阻塞,同步调用都会在原地等着
    print(res_l)
