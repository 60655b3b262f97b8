# Tutorial 000 (多进程三), example 3: Pool(2), apply (sync) and apply_async (async) in one loop, then
# close(), terminate(), join() and get(). Code as written.
from multiprocessing import Pool
import os,time,random

def work(n):
    print('%s is working' %os.getpid())
    time.sleep(random.randint(1,3))
    return n**2

if __name__ == '__main__':
    p=Pool(2)
    objs=[]
    for i in range(5):
        # 同步调用:提交完任务后,在原地等待任务结束,一旦结束可以立刻拿到结果
        res=p.apply(work,args=(i,))
        print(res)

        # 异步调用:提交完任务后,不会在原地等待任务结束,会继续提交下一次任务,等到所有任务都结束后,才get结果
        obj=p.apply_async(work,args=(i,))
        objs.append(obj)
    p.close()  # 等子进程执行完毕后关闭进程池
    p.terminate() # 立刻关闭进程池
    p.join()   # 没有join会立即结束
    for obj in objs:
        print(obj.get())
    print("")

# 阻塞:正在运行的进程遇到io则进入阻塞状态
# 非阻塞:可能是运行状态,也可能是就绪状态
